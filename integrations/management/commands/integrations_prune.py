"""Delete old integration rows: request logs, used nonces, inbound receipts, delivered messages.

Cron-friendly twin of the beat task ``integrations.tasks.integrations_prune``
(retention periods: integrations.maintenance):

    manage.py integrations_prune
    manage.py integrations_prune --log-days 7
"""

from django.core.management.base import BaseCommand

from integrations import maintenance


class Command(BaseCommand):
    help = "Prune request logs, nonces, inbound receipts and delivered outbox messages (对接数据清理)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--log-days", type=int, default=None, help="Keep request logs this many days (default: setting)."
        )

    def handle(self, *args, log_days=None, **options):
        counts = maintenance.prune(log_days=log_days)
        self.stdout.write(", ".join(f"{name}: {count} deleted" for name, count in counts.items()))
