"""Who sees which cases: one rule for every page, queue and API."""

import pytest
from django.contrib.auth.models import AnonymousUser

from applications import selectors, services, workflow
from applications.models import State
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


@pytest.fixture
def cases(build, other_department, other_citizen):
    other_matter = factories.MatterFactory(department=other_department)
    return {
        "mine": build(State.SUBMITTED),
        "my_draft": build(State.DRAFT),
        "my_other_department": build(State.SUBMITTED, matter=other_matter),
        "someone_elses": build(State.UNDER_REVIEW, applicant=other_citizen),
        "someone_elses_draft": build(State.DRAFT, applicant=other_citizen),
    }


def visible(user, cases) -> set[str]:
    pks = set(selectors.cases_visible_to(user).values_list("pk", flat=True))
    return {name for name, case in cases.items() if case.pk in pks}


def test_the_applicant_sees_his_own_cases_and_drafts_only(citizen, cases):
    assert visible(citizen, cases) == {"mine", "my_draft", "my_other_department"}


def test_another_citizen_sees_only_his_own(other_citizen, cases):
    assert visible(other_citizen, cases) == {"someone_elses", "someone_elses_draft"}


@pytest.mark.parametrize("role", ["clerk", "reviewer", "approver"])
def test_department_staff_see_their_departments_submitted_cases_but_no_drafts(role, request, cases):
    assert visible(request.getfixturevalue(role), cases) == {"mine", "someone_elses"}


def test_staff_of_another_department_see_only_that_departments_cases(other_department_approver, cases):
    assert visible(other_department_approver, cases) == {"my_other_department"}


def test_catalogue_staff_of_the_department_do_not_see_its_cases(catalogue_staff, cases):
    assert visible(catalogue_staff, cases) == set()


def test_supervisors_see_every_submitted_case_and_cannot_act_on_any(supervisor, cases):
    assert visible(supervisor, cases) == {"mine", "my_other_department", "someone_elses"}
    for case in selectors.cases_visible_to(supervisor):
        assert workflow.allowed(case, supervisor) == []


def test_the_anonymous_visitor_and_disabled_accounts_see_nothing(citizen, clerk, cases):
    assert visible(AnonymousUser(), cases) == set()
    assert visible(None, cases) == set()
    clerk.is_active = False
    clerk.save()
    citizen.is_active = False
    citizen.save()
    assert visible(clerk, cases) == set()
    assert visible(citizen, cases) == set()


def test_staff_who_lost_the_staff_flag_see_only_their_own_applications(clerk, cases):
    clerk.is_staff = False
    clerk.save()
    assert visible(clerk, cases) == set()


def test_a_staff_member_who_applies_sees_his_own_case_and_his_departments(
    build, clerk, other_department, cases
):
    own = build(State.SUBMITTED, matter=factories.MatterFactory(department=other_department), applicant=clerk)
    cases = {**cases, "clerks_own": own}
    assert visible(clerk, cases) == {"mine", "someone_elses", "clerks_own"}


def test_the_queue_holds_only_the_departments_cases(build, clerk, other_department, cases):
    build(State.SUBMITTED, matter=factories.MatterFactory(department=other_department), applicant=clerk)
    queue = set(selectors.department_cases(clerk).values_list("pk", flat=True))
    assert queue == {cases["mine"].pk, cases["someone_elses"].pk}
    assert not selectors.department_cases(AnonymousUser()).exists()


def test_my_cases_are_listed_newest_first(citizen, cases):
    listed = list(selectors.applicant_cases(citizen))
    assert [c.pk for c in listed] == sorted((c.pk for c in listed), reverse=True)
    assert not selectors.applicant_cases(AnonymousUser()).exists()


def test_the_visible_list_does_not_query_per_row(citizen, cases, django_assert_num_queries):
    # One query for the account's groups (is the user a supervisor?), one for the list.
    with django_assert_num_queries(2):
        rows = [
            (c.matter.name, c.department.name, c.current_record) for c in selectors.cases_visible_to(citizen)
        ]
    assert len(rows) == 3


def test_the_timeline_is_in_order(build, clerk):
    case = build(State.ACCEPTED)
    assert [r.action for r in selectors.timeline(case)] == ["submit", "sign", "accept"]


def test_the_public_summary_carries_no_personal_data(build):
    case = build(State.SUBMITTED)
    summary = selectors.public_summary(selectors.case_by_serial(case.serial.lower()))
    assert summary["matter"]["name"] == case.matter.name
    assert summary["state"] == {"code": "submitted", "label": "已提交"}
    text = str(summary)
    assert "李四" not in text and case.submission.applicant_id_number not in text


def test_a_serial_that_does_not_exist_has_no_case(db):
    assert selectors.case_by_serial("") is None
    assert selectors.case_by_serial("X" * 43) is None


def test_deemed_acceptance_due_lists_the_overdue_cases_only(build, time_machine):
    import datetime

    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    submitted = build(State.SUBMITTED)
    corrected = services.supply_correction(case=build(State.CORRECTION_REQUESTED), actor=submitted.applicant)
    due = selectors.deemed_acceptance_due(datetime.date(2026, 11, 24))
    assert list(due.values_list("pk", flat=True)) == [submitted.pk]
    assert corrected.pk not in due.values_list("pk", flat=True)
