"""The deemed-acceptance job as cron and beat run it: the command and the Celery task."""

import io

import pytest
from django.core.management import CommandError, call_command

from applications import services, tasks
from applications.models import Case, State

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


@pytest.fixture
def overdue(build, time_machine):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    case = build(State.SUBMITTED)
    time_machine.move_to("2026-11-24 06:00 +0800", tick=False)
    return case


def run(*args) -> str:
    out = io.StringIO()
    call_command("apply_deemed_acceptance", *args, stdout=out)
    return out.getvalue()


def test_the_command_accepts_the_due_cases_and_says_how_many(overdue):
    assert "1 case(s) accepted, 0 failed." in run()
    assert Case.objects.get(pk=overdue.pk).deemed_accepted is True


def test_a_dry_run_lists_the_due_cases_and_changes_nothing(overdue):
    output = run("--dry-run")
    assert overdue.serial in output and "2026-11-23" in output
    assert Case.objects.get(pk=overdue.pk).state == State.SUBMITTED


def test_the_command_can_run_as_of_a_date(overdue):
    assert "0 case(s) accepted" in run("--date", "2026-11-23")
    assert "1 case(s) accepted" in run("--date", "2026-11-24")


def test_a_bad_date_is_refused_clearly(overdue):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "24/11/2026")


def test_one_failing_case_does_not_stop_the_others_and_the_command_fails(overdue, build, monkeypatch):
    real = services.apply_deemed_acceptance

    def flaky(*, case, today=None):
        if case.pk == overdue.pk:
            raise RuntimeError("disk full")
        return real(case=case, today=today)

    other = Case.objects.get(pk=build(State.SUBMITTED).pk)
    Case.objects.filter(pk=other.pk).update(pre_review_due_date=overdue.pre_review_due_date)
    monkeypatch.setattr(services, "apply_deemed_acceptance", flaky)
    with pytest.raises(CommandError, match="1 case"):
        run()
    assert Case.objects.get(pk=other.pk).state == State.ACCEPTED


def test_the_beat_task_does_the_same(overdue):
    assert tasks.apply_deemed_acceptance.delay().get() == {"accepted": 1, "failed": 0}
    assert Case.objects.get(pk=overdue.pk).state == State.ACCEPTED
