"""Send the SMS and e-mail of notifications whose task was lost (a broker down at commit).

Cron-friendly twin of the beat task ``portal.tasks.resend_unsent_notifications``:

    manage.py notifications_resend                 # due for 10 minutes, created within a day
    manage.py notifications_resend --minutes 0     # everything due now
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from portal import notifications


class Command(BaseCommand):
    help = "Send SMS and e-mail of notifications that are still due (未发送的短信和邮件补发)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10, help="Only those due for this long.")
        parser.add_argument("--hours", type=int, default=24, help="Only those created this recently.")

    def handle(self, *args, minutes=10, hours=24, **options):
        sent, failed = notifications.resend_unsent(
            older_than=datetime.timedelta(minutes=minutes), within=datetime.timedelta(hours=hours)
        )
        self.stdout.write(f"{sent} notification(s) sent, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} notification(s) could not be sent; see the log.")
