"""The working-day clock: official holidays, adjusted working days and the fallback year."""

import datetime

import pytest

from portal import workdays
from portal.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = datetime.date


def test_national_day_2026_is_not_a_working_day_and_the_saturday_after_is():
    assert not workdays.is_workday(D(2026, 10, 1))
    assert not workdays.is_workday(D(2026, 10, 7))
    assert workdays.is_workday(D(2026, 10, 10))  # Saturday, adjusted working day


def test_the_day_of_the_event_is_not_counted():
    # Accepted on Monday 2026-11-16: one working day later is Tuesday.
    assert workdays.add_workdays(D(2026, 11, 16), 1) == D(2026, 11, 17)


def test_a_period_runs_over_the_weekend():
    # Friday 2026-11-20 + 1 working day = Monday 2026-11-23.
    assert workdays.add_workdays(D(2026, 11, 20), 1) == D(2026, 11, 23)


def test_a_period_skips_the_national_day_holiday_and_counts_the_adjusted_saturday():
    # Accepted on Wednesday 30 September 2026: 1 Oct–7 Oct are holidays, 8 and 9 are
    # working days and Saturday 10 October is an adjusted working day.
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert workdays.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_twenty_working_days_over_the_spring_festival_2026():
    accepted = D(2026, 2, 10)
    due = workdays.add_workdays(accepted, 20)
    assert workdays.workdays_between(accepted, due) == 20
    assert due > accepted + datetime.timedelta(days=28)  # the holiday week pushes it out


def test_zero_working_days_is_the_same_day():
    assert workdays.add_workdays(D(2026, 11, 18), 0) == D(2026, 11, 18)


def test_remaining_working_days_are_zero_on_the_due_date_and_negative_once_overdue():
    due = D(2026, 11, 20)
    assert workdays.workdays_between(D(2026, 11, 18), due) == 2
    assert workdays.workdays_between(due, due) == 0
    assert workdays.workdays_between(D(2026, 11, 24), due) == -2


def test_a_year_without_official_schedule_falls_back_to_monday_to_friday():
    assert not workdays.has_official_schedule(2027)
    assert workdays.is_workday(D(2027, 1, 1))  # a Friday; New Year's Day is not known yet
    assert not workdays.is_workday(D(2027, 1, 2))
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 1)


def test_administrators_are_warned_about_years_without_schedule():
    assert workdays.years_without_schedule(D(2026, 11, 22)) == [2027]
    assert workdays.years_without_schedule(D(2025, 11, 22)) == []


def test_a_holiday_entered_in_the_admin_changes_the_clock_at_once():
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 1)
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert workdays.has_official_schedule(2027)


def test_syncing_from_the_package_is_idempotent():
    before = CalendarDay.objects.count()
    assert workdays.sync_from_chinese_calendar(range(2025, 2027)) == [2025, 2026]
    assert CalendarDay.objects.count() == before
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).name == "国庆节调休上班"
