"""Who sees which case in the back office: department staff their departments', supervisors all, read-only."""

import pytest

from applications.models import State
from tests import factories
from tests.applications.test_admin_helpers import (
    case_url,
    listed,
    page_text,
    post_transition,
    queue_url,
    reload,
    transition_url,
)


@pytest.fixture
def case(build):
    return build(State.PRE_REVIEW)


def test_staff_of_another_department_do_not_see_the_case_in_their_queue(
    client, case, other_department_approver
):
    client.force_login(other_department_approver)
    response = client.get(queue_url())
    assert response.status_code == 200
    assert case.serial not in listed(response)


def test_staff_of_another_department_get_404_on_the_case_page(client, case, other_department_approver):
    client.force_login(other_department_approver)
    assert client.get(case_url(case)).status_code == 404


def test_staff_of_another_department_get_404_on_a_transition_and_the_case_is_unchanged(
    client, case, other_department_approver
):
    client.force_login(other_department_approver)
    response = post_transition(client, case, "accept", {"opinion": "受理"})
    assert response.status_code == 404
    assert reload(case).state == State.PRE_REVIEW


def test_staff_of_another_department_cannot_find_the_case_by_its_serial(
    client, case, other_department_approver
):
    client.force_login(other_department_approver)
    response = client.get(queue_url(f"q={case.serial}"))
    assert listed(response) == []


def test_the_handling_department_sees_its_case_in_the_queue(client, case, clerk):
    client.force_login(clerk)
    assert listed(client.get(queue_url())) == [case.serial]


def test_a_draft_is_not_in_the_queue(client, build, clerk):
    draft = build(State.DRAFT)
    client.force_login(clerk)
    assert client.get(case_url(draft)).status_code == 404


def test_catalogue_staff_of_the_department_see_no_cases(client, case, catalogue_staff):
    client.force_login(catalogue_staff)
    assert listed(client.get(queue_url())) == []
    assert client.get(case_url(case)).status_code == 404


def test_a_supervisor_sees_the_cases_of_every_department(client, build, supervisor, other_department):
    ours = build(State.SUBMITTED)
    theirs = build(State.SUBMITTED, matter=factories.MatterFactory(department=other_department))
    client.force_login(supervisor)
    assert set(listed(client.get(queue_url()))) == {ours.serial, theirs.serial}


def test_a_supervisor_reads_the_case_page_without_any_transition_button(client, case, supervisor):
    client.force_login(supervisor)
    response = client.get(case_url(case))
    assert response.status_code == 200
    assert "您对本办件只有查看权限" in page_text(response)
    assert response.context["transitions"] == []


def test_a_supervisor_posting_a_transition_is_refused_and_the_case_is_unchanged(client, case, supervisor):
    client.force_login(supervisor)
    response = post_transition(client, case, "accept", {"opinion": "受理"})
    assert response.status_code == 403
    assert reload(case).state == State.PRE_REVIEW


def test_a_supervisor_has_no_bulk_sign_action(client, case, supervisor):
    client.force_login(supervisor)
    actions = client.get(queue_url()).context["action_form"].fields["action"].choices
    assert "sign_selected" not in [name for name, _label in actions]


def test_the_case_page_itself_accepts_no_post(client, case, clerk):
    client.force_login(clerk)
    assert client.post(case_url(case), {"state": State.COMPLETED}).status_code == 405
    assert reload(case).state == State.PRE_REVIEW


def test_a_transition_url_accepts_only_post(client, case, clerk):
    client.force_login(clerk)
    assert client.get(transition_url(case, "accept")).status_code == 405


def test_a_transition_post_without_the_csrf_token_is_refused(case, clerk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = post_transition(client, case, "accept", {"opinion": "受理"})
    assert response.status_code == 403
    assert reload(case).state == State.PRE_REVIEW


def test_a_citizen_cannot_open_the_back_office_queue(client, case, citizen):
    client.force_login(citizen)
    response = client.get(queue_url())
    assert response.status_code == 302  # to the admin login
    assert case.serial not in page_text(response)


def test_the_queue_masks_the_applicants_name_and_id_number(client, case, clerk):
    client.force_login(clerk)
    page = page_text(client.get(queue_url()))
    id_number = case.submission.applicant_id_number
    assert "李*" in page
    assert id_number not in page
    assert id_number[:6] + "********" + id_number[-4:] in page


def test_the_case_page_masks_the_id_number_and_the_phone(client, case, clerk):
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert case.submission.applicant_id_number not in page
    assert "13800138000" not in page
    assert "138****8000" in page
