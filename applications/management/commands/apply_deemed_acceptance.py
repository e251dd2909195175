"""Accept the cases whose pre-review period ran out without a correction notice (Art. 32).

Cron-friendly twin of the beat task ``applications.tasks.apply_deemed_acceptance``:

    manage.py apply_deemed_acceptance              # today
    manage.py apply_deemed_acceptance --dry-run    # list what would be accepted
    manage.py apply_deemed_acceptance --date 2026-11-30
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from applications import selectors, services


class Command(BaseCommand):
    help = "Accept cases whose pre-review period ran out without a correction notice (视为受理)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this date (YYYY-MM-DD); default today.")
        parser.add_argument("--dry-run", action="store_true", help="List the due cases, change nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        if dry_run:
            due = selectors.deemed_acceptance_due(today).order_by("pk")
            for serial, due_date in due.values_list("serial", "pre_review_due_date"):
                self.stdout.write(f"{serial}  pre-review due {due_date}")
            self.stdout.write(f"{due.count()} case(s) due for deemed acceptance.")
            return
        accepted, failed = services.apply_deemed_acceptance_to_due_cases(today)
        self.stdout.write(f"{accepted} case(s) accepted, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} case(s) could not be accepted; see the log.")
