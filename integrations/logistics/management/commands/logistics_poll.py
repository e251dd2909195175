from django.core.management.base import BaseCommand

from integrations.logistics import services


class Command(BaseCommand):
    help = "Ask the carrier (统一物流) about every parcel on its way and add the tracking events we missed."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many waybills")

    def handle(self, *args, limit=None, **options):
        counts = services.poll(limit=limit)
        waybills, events, errors = counts["waybills"], counts["events"], counts["errors"]
        self.stdout.write(f"waybills asked: {waybills}, new events: {events}, errors: {errors}")
