"""Reconcile a day's bank statement with our orders (twin of beat ``payments-reconcile``).

    manage.py payments_reconcile                    # yesterday (local time)
    manage.py payments_reconcile --date 2026-03-01

Exit status 1 when the statement could not be fetched or read (the run is stored as failed);
mismatches are listed in the admin (统一网上缴费 › 对账记录).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.payments import reconciliation
from integrations.payments.models import ReconciliationRun


class Command(BaseCommand):
    help = "Download the bank's statement for a day and compare it with our orders (对账)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday).")

    def handle(self, *args, date=None, **options):
        try:
            day = (
                datetime.date.fromisoformat(date)
                if date
                else timezone.localdate() - datetime.timedelta(days=1)
            )
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD") from None
        run = reconciliation.run(day)
        self.stdout.write(
            f"{day}: {run.get_state_display()} bank {run.bank_count} rows, local {run.local_count}, "
            f"mismatches {run.mismatch_count}"
        )
        if run.state == ReconciliationRun.State.FAILED:
            raise CommandError(f"reconciliation failed: {run.error}")
