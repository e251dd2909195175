"""Seed the official holiday calendar so every deployment counts working days right."""

import datetime

from django.db import migrations


def load(apps, schema_editor):
    import chinese_calendar

    from portal.workdays import HOLIDAY_NAMES

    CalendarDay = apps.get_model("portal", "CalendarDay")
    CalendarYear = apps.get_model("portal", "CalendarYear")
    rows = []
    years = []
    for year in range(2004, 2100):
        try:
            chinese_calendar.is_workday(datetime.date(year, 1, 1))
        except NotImplementedError:
            break
        day = datetime.date(year, 1, 1)
        while day.year == year:
            official = chinese_calendar.is_workday(day)
            if official != (day.weekday() < 5):
                name = HOLIDAY_NAMES.get(chinese_calendar.get_holiday_detail(day)[1], "")
                rows.append(CalendarDay(date=day, is_workday=official, name=f"{name}调休上班" if official else name))
            day += datetime.timedelta(days=1)
        years.append(CalendarYear(year=year, source="chinese-calendar"))
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    CalendarYear.objects.bulk_create(years, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
