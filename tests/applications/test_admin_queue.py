"""The work queue (办件工作台): filters, quick filters with counts, search, deadline colours."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from applications.models import Origin, State
from applications.services import ApplicantData
from matters.codes import HandlingForm
from tests import factories
from tests.applications.test_admin_helpers import listed, page_text, queue_url

MONDAY = "2026-11-02 09:00 +0800"  # accepted then: promised 10 working days → due Monday 16 November


@pytest.fixture
def at(time_machine):
    def move(moment: str) -> None:
        time_machine.move_to(moment, tick=False)

    return move


@pytest.fixture
def accepted_on_monday(at, build):
    at(MONDAY)
    case = build(State.ACCEPTED)
    assert f"{case.promised_due_date}" == "2026-11-16"
    return case


def matter_choices(response) -> list[str]:
    """The matter drop-down's options (no drop-down at all: none)."""
    specs = [s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "matter"]
    return [label for spec in specs for _value, label in spec.lookup_choices]


def quick_counts(response) -> dict[str, str]:
    return {item["label"]: item["count"] for item in response.context["quick_filters"]}


def test_the_state_filter_lists_only_that_state(client, build, clerk):
    submitted, accepted = build(State.SUBMITTED), build(State.ACCEPTED)
    client.force_login(clerk)
    assert listed(client.get(queue_url("state=accepted"))) == [accepted.serial]
    assert listed(client.get(queue_url("state=submitted"))) == [submitted.serial]


def test_the_matter_filter_offers_the_departments_matters_only(client, build, clerk, other_department):
    other_matter = factories.MatterFactory(department=other_department, name="外部门事项")
    second = factories.MatterFactory(department=clerk.memberships.get().department, name="第二个事项")
    build(State.SUBMITTED)
    wanted = build(State.SUBMITTED, matter=second)
    client.force_login(clerk)
    response = client.get(queue_url(f"matter={second.pk}"))
    assert listed(response) == [wanted.serial]
    page = page_text(response)
    assert "第二个事项" in page and other_matter.name not in page


def test_the_channel_and_origin_filters_find_a_window_case(client, build, clerk, matter):
    from applications import services

    build(State.SUBMITTED)
    window = services.register_window_case(
        staff=clerk, matter=matter, data=ApplicantData(name="王五", id_number=factories.make_id_number())
    )
    client.force_login(clerk)
    assert listed(client.get(queue_url(f"channel={HandlingForm.WINDOW}"))) == [window.serial]
    assert listed(client.get(queue_url(f"origin={Origin.WINDOW}"))) == [window.serial]


def test_the_submitted_date_filter_keeps_the_last_seven_days(client, build, clerk, at):
    at("2026-10-01 10:00 +0800")
    old = build(State.SUBMITTED)
    at("2026-11-20 10:00 +0800")
    recent = build(State.SUBMITTED)
    client.force_login(clerk)
    response = client.get(queue_url())
    past_week = next(
        link for title, link in response.context["cl"].filter_specs[-1].links if title == "过去7天"
    )
    query = urlencode(past_week)
    assert listed(client.get(queue_url(query))) == [recent.serial]
    assert old.serial in listed(response)


def test_overdue_lists_an_open_case_past_its_promised_date(client, build, clerk, accepted_on_monday, at):
    at("2026-11-18 09:00 +0800")
    client.force_login(clerk)
    build(State.SUBMITTED)
    response = client.get(queue_url("deadline=overdue"))
    assert listed(response) == [accepted_on_monday.serial]
    assert 'class="case-overdue"' in page_text(response)
    assert "-2" in page_text(response)


def test_a_completed_case_past_its_date_is_not_overdue(client, build, clerk, at):
    at(MONDAY)
    build(State.COMPLETED)
    at("2026-11-18 09:00 +0800")
    client.force_login(clerk)
    assert listed(client.get(queue_url("deadline=overdue"))) == []


def test_due_soon_lists_a_case_with_at_most_two_working_days_left(
    client, clerk, accepted_on_monday, build, at
):
    build(State.ACCEPTED)  # accepted the same Monday: due the same day
    at("2026-11-13 09:00 +0800")  # Friday: one working day left
    fresh = build(State.ACCEPTED)  # due in ten working days
    client.force_login(clerk)
    response = client.get(queue_url("deadline=due_soon"))
    assert accepted_on_monday.serial in listed(response)
    assert fresh.serial not in listed(response)
    assert 'class="case-due-soon"' in page_text(response)


def test_due_soon_uses_a_fifth_of_a_long_promised_time(client, clerk, build, at, department):
    long_matter = factories.MatterFactory(department=department, promised_limit_days=20, legal_limit_days=20)
    at(MONDAY)
    case = build(State.ACCEPTED, matter=long_matter)  # due 30 November
    at("2026-11-24 09:00 +0800")  # four working days left: a fifth of twenty
    client.force_login(clerk)
    assert listed(client.get(queue_url("deadline=due_soon"))) == [case.serial]


def test_a_case_whose_clock_stands_still_is_not_due_soon(client, build, reviewer, at):
    at(MONDAY)
    case = build(State.SPECIAL_PROCEDURE)
    at("2026-11-13 09:00 +0800")
    client.force_login(reviewer)
    assert case.serial not in listed(client.get(queue_url("deadline=due_soon")))


def test_todo_lists_the_states_a_reviewer_acts_in(client, build, reviewer):
    build(State.SUBMITTED)
    accepted = build(State.ACCEPTED)
    under_review = build(State.UNDER_REVIEW)
    client.force_login(reviewer)
    response = client.get(queue_url("queue=todo"))
    assert set(listed(response)) == {accepted.serial, under_review.serial}
    assert quick_counts(response)["待办"] == "2"


def test_todo_of_a_clerk_holds_new_decided_and_completed_cases(client, build, clerk):
    wanted = {
        build(state).serial for state in (State.SUBMITTED, State.PRE_REVIEW, State.DECIDED, State.COMPLETED)
    }
    for state in (State.CORRECTION_REQUESTED, State.ACCEPTED, State.UNDER_REVIEW, State.REJECTED):
        build(state)
    client.force_login(clerk)
    assert set(listed(client.get(queue_url("queue=todo")))) == wanted


def test_todo_of_a_clerk_holds_an_accepted_immediate_case(client, build, clerk, immediate_matter):
    immediate = build(State.ACCEPTED, matter=immediate_matter)
    build(State.ACCEPTED)
    client.force_login(clerk)
    assert listed(client.get(queue_url("queue=todo"))) == [immediate.serial]


def test_todo_of_an_approver_holds_the_cases_under_review(client, build, approver):
    under_review = build(State.UNDER_REVIEW)
    build(State.SUBMITTED)
    build(State.ACCEPTED)
    client.force_login(approver)
    assert listed(client.get(queue_url("queue=todo"))) == [under_review.serial]


def test_done_lists_the_cases_the_person_acted_on(client, build, reviewer):
    build(State.ACCEPTED)
    reviewed = build(State.UNDER_REVIEW)
    client.force_login(reviewer)
    response = client.get(queue_url("queue=done"))
    assert listed(response) == [reviewed.serial]
    assert quick_counts(response)["已办"] == "1"


def test_quick_filter_counts_stop_at_the_cap(client, build, clerk, monkeypatch):
    from applications import admin as case_admin

    monkeypatch.setattr(case_admin, "QUICK_COUNT_CAP", 2)
    for _ in range(3):
        build(State.SUBMITTED)
    client.force_login(clerk)
    assert quick_counts(client.get(queue_url()))["待办"] == "2+"


def test_a_supervisor_has_no_todo_or_done_quick_filters(client, build, supervisor):
    build(State.SUBMITTED)
    client.force_login(supervisor)
    assert set(quick_counts(client.get(queue_url()))) == {"即将超期", "超期"}


def test_search_by_the_full_serial_number(client, build, clerk):
    cases = [build(State.SUBMITTED) for _ in range(2)]
    client.force_login(clerk)
    assert listed(client.get(queue_url(f"q={cases[0].serial}"))) == [cases[0].serial]


def test_search_by_the_start_of_the_serial_number(client, build, clerk):
    cases = [build(State.SUBMITTED) for _ in range(2)]
    prefix = cases[0].serial[:39]  # implementation code and date
    client.force_login(clerk)
    assert set(listed(client.get(queue_url(f"q={prefix.lower()}")))) == {c.serial for c in cases}


def test_search_by_the_applicants_name(client, build, clerk, other_citizen):
    ours = build(State.SUBMITTED)
    from applications import services

    draft = services.create_draft(
        applicant=other_citizen, matter=ours.matter, data=ApplicantData(name="王五")
    )
    theirs = services.submit(case=draft, actor=other_citizen)
    client.force_login(clerk)
    assert listed(client.get(queue_url("q=王五"))) == [theirs.serial]


def test_a_staff_member_in_no_department_gets_an_empty_queue(client, build, db):
    build(State.SUBMITTED)
    lonely = factories.StaffFactory(username="lonely")
    client.force_login(lonely)
    response = client.get(queue_url())
    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["register_url"] == ""


def test_the_queue_links_to_window_registration_for_a_clerk(client, clerk):
    client.force_login(clerk)
    assert reverse("admin:applications_case_register") in page_text(client.get(queue_url()))


def test_the_quick_counts_follow_the_persons_own_actions_at_once(client, build, clerk):
    from tests.applications.test_admin_helpers import post_transition

    case = build(State.SUBMITTED)
    client.force_login(clerk)
    assert quick_counts(client.get(queue_url()))["已办"] == "0"
    post_transition(client, case, "sign")
    assert quick_counts(client.get(queue_url()))["已办"] == "1"


@pytest.mark.parametrize("state", [State.ACCEPTED, State.SPECIAL_PROCEDURE, State.COMPLETED, State.SUBMITTED])
def test_the_queue_counts_the_working_days_left_as_the_selector_does(build, at, state):
    import datetime

    from applications import admin as case_admin
    from applications import selectors

    at("2026-09-28 09:00 +0800")  # the National Day holidays lie ahead
    case = build(state)
    for day in ("2026-09-30", "2026-10-09", "2026-10-20"):
        today = datetime.date.fromisoformat(day)
        assert case_admin.remaining(case, today) == selectors.remaining_workdays(case, today)


def test_a_supervisor_filters_by_department_then_by_its_matters(client, build, supervisor, other_department):
    ours = build(State.SUBMITTED)
    foreign_matter = factories.MatterFactory(department=other_department, name="外部门事项")
    theirs = build(State.SUBMITTED, matter=foreign_matter)
    client.force_login(supervisor)
    assert matter_choices(client.get(queue_url())) == []  # no department chosen: no list of every matter
    response = client.get(queue_url(f"department={other_department.pk}"))
    assert listed(response) == [theirs.serial]
    assert matter_choices(response) == ["外部门事项"]
    both = client.get(queue_url(f"department={other_department.pk}&matter={foreign_matter.pk}"))
    assert listed(both) == [theirs.serial]
    assert ours.serial not in listed(both)


def test_search_by_the_name_of_an_applying_organisation(client, clerk, matter):
    from applications import services

    uscc = factories.make_uscc(5, prefix="91442000")
    data = ApplicantData(name="中山市好味餐饮有限公司", org_name="中山市好味餐饮有限公司", org_code=uscc)
    case = services.register_window_case(staff=clerk, matter=matter, data=data)
    client.force_login(clerk)
    assert listed(client.get(queue_url("q=中山市好味餐饮有限公司"))) == [case.serial]


def test_the_selected_quick_filter_is_written_in_the_body_colour_for_enough_contrast(client, clerk):
    client.force_login(clerk)
    page = page_text(client.get(queue_url()))
    assert 'class="active" aria-current="page">全部</a>' in page
    assert ".case-quick a.active { background: var(--selected-bg); color: var(--body-fg);" in page
