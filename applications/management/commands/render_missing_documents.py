"""Render issued documents (受理回执, 补正告知书…) whose rendering task was lost.

Cron-friendly twin of the beat task ``applications.tasks.render_missing_documents``:

    manage.py render_missing_documents              # missing for 10 minutes or more
    manage.py render_missing_documents --minutes 0  # everything missing now
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from applications import pdf


class Command(BaseCommand):
    help = "Render issued documents whose PDF is missing (文书补生成)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10, help="Only those missing for this long.")

    def handle(self, *args, minutes=10, **options):
        rendered, failed = pdf.render_missing(older_than=datetime.timedelta(minutes=minutes))
        self.stdout.write(f"{rendered} document(s) rendered, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} document(s) could not be rendered; see the log.")
