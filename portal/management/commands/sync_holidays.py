from django.core.management.base import BaseCommand

from portal import workdays


class Command(BaseCommand):
    help = "Load official holidays and adjusted working days from the chinese-calendar package."

    def handle(self, *args, **options):
        years = workdays.sync_from_chinese_calendar()
        self.stdout.write(
            f"loaded {len(years)} years ({years[0]}–{years[-1]})" if years else "nothing loaded"
        )
        missing = workdays.years_without_schedule()
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"no official schedule for {', '.join(map(str, missing))}: Monday–Friday is used "
                    "until the State Council notice is entered in the admin or chinese-calendar is upgraded"
                )
            )
