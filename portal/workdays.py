"""Working days (工作日) of the Administrative Licensing Law (Art. 82).

Official holidays and adjusted working days (调休) are rows of ``CalendarDay``, seeded
from the ``chinese-calendar`` package (``manage.py sync_holidays``) and editable in the
admin. A year with no official schedule yet (no ``CalendarYear`` row) falls back to
Monday–Friday; ``years_without_schedule()`` tells the admin to warn.

Periods follow the Civil Code: the day of the event is not counted, so the due date of
"N working days from acceptance on D" is the Nth working day after D.
"""

import datetime
import time
from functools import lru_cache

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from portal.models import CalendarDay, CalendarYear

_VERSION_KEY = "workdays:version"
_MAX_SCAN_DAYS = 3660  # ten years: no real period is longer


_local_version: list = [0, 0.0]  # [version, monotonic time read]
_VERSION_TTL = 1.0  # seconds a process trusts its copy of the shared version


def _version() -> int:
    """The shared calendar version, read from the cache at most once a second per process
    (a long queue page counts thousands of days; an edit shows up within a second)."""
    now = time.monotonic()
    if now - _local_version[1] < _VERSION_TTL and _local_version[0]:
        return _local_version[0]
    version = cache.get(_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(_VERSION_KEY, version, timeout=None)
    _local_version[:] = [version, now]
    return version


@lru_cache(maxsize=64)
def _exceptions_for(year: int, version: int) -> tuple[dict[datetime.date, bool], bool]:
    """({date: is_workday} for the year's exceptions, whether the year has an official schedule)."""
    days = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
    official = CalendarYear.objects.filter(year=year).exists()
    return days, official


def _year(year: int) -> tuple[dict[datetime.date, bool], bool]:
    return _exceptions_for(year, _version())


def invalidate() -> None:
    """Forget cached calendars in every process (called when a calendar row changes)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, timeout=None)
    _local_version[:] = [0, 0.0]


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs) -> None:
    invalidate()


def is_workday(day: datetime.date) -> bool:
    exceptions, _official = _year(day.year)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def has_official_schedule(year: int) -> bool:
    return _year(year)[1]


def years_without_schedule(today: datetime.date | None = None) -> list[int]:
    """This year and next year when their official schedule is missing (for the admin warning)."""
    today = today or timezone.localdate()
    return [year for year in (today.year, today.year + 1) if not has_official_schedule(year)]


def add_workdays(start: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted).

    ``count == 0`` is the same day (immediate cases are due the day they are accepted).
    """
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    for _ in range(_MAX_SCAN_DAYS):
        if remaining == 0:
            return day
        day += datetime.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    raise ValueError("period too long")


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``.

    ``workdays_between(today, due_date)`` is the number of working days left (0 on the due
    date itself, negative once overdue: the overdue working days).
    """
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            count += 1
    return sign * count


def sync_from_chinese_calendar(years: range | None = None) -> list[int]:
    """Load official holidays and adjusted working days for the years the package knows.

    Only exceptions to the Monday–Friday rule are stored. Rows edited in the admin for a
    date are overwritten by the official schedule. Returns the years loaded.
    """
    import chinese_calendar

    loaded = []
    for year in years or range(2004, timezone.localdate().year + 2):
        try:
            chinese_calendar.is_workday(datetime.date(year, 1, 1))
        except NotImplementedError:
            continue
        day = datetime.date(year, 1, 1)
        while day.year == year:
            official = chinese_calendar.is_workday(day)
            if official != (day.weekday() < 5):
                _holiday, name = chinese_calendar.get_holiday_detail(day)
                label = HOLIDAY_NAMES.get(name, name or "")
                if official:
                    label = f"{label}调休上班" if label else "调休上班"
                CalendarDay.objects.update_or_create(
                    date=day, defaults={"is_workday": official, "name": label}
                )
            day += datetime.timedelta(days=1)
        CalendarYear.objects.update_or_create(year=year, defaults={"source": "chinese-calendar"})
        loaded.append(year)
    invalidate()
    return loaded


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
