"""Expire unpaid payment orders past their deadline (twin of beat ``payments-expire``).

An order the applicant took to the bank is queried first (订单查询): a payment whose
notification was lost is recorded instead. Safe to run twice or concurrently.

    manage.py payments_expire
    manage.py payments_expire --no-query      # do not ask the bank (it is known to be down)
"""

from django.core.management.base import BaseCommand

from integrations.payments import services


class Command(BaseCommand):
    help = "Expire unpaid payment orders past their deadline (缴费单过期)."

    def add_arguments(self, parser):
        parser.add_argument("--no-query", action="store_true", help="Do not query the bank first.")

    def handle(self, *args, no_query=False, **options):
        counts = services.expire_due(query_bank=not no_query)
        self.stdout.write(
            f"expired {counts['expired']}, found paid {counts['paid']}, "
            f"skipped (bank unreachable) {counts['skipped']}"
        )
