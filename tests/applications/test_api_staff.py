"""Department staff through the API: transitions (allowed, refused, other department, supervisor)
and the work queue (scope, filters, cursor pages)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from applications.api import QueuePagination
from applications.models import Case, Document, State
from matters.models import DepartmentMembership
from portal import workdays
from tests import factories
from tests.applications.conftest import result_document
from tests.applications.test_api_support import error, exe_upload, pdf_upload, token_client

Role = DepartmentMembership.Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]

QUEUE = "/api/v1/queue/"


def transitions_url(case: Case) -> str:
    return f"/api/v1/applications/{case.serial}/transitions/"


def fire(user, case: Case, name: str, **data):
    return token_client(user).post(transitions_url(case), {"transition": name, **data}, format="json")


# --- Transitions --------------------------------------------------------------------------------


def test_a_clerk_signs_a_submitted_case(build, clerk):
    case = build(State.SUBMITTED)
    response = fire(clerk, case, "sign", opinion="材料齐全，进入预审")
    assert response.status_code == 200
    assert response.json()["state"]["code"] == "pre_review"
    assert response.json()["timeline"][-1]["label"] == "签收预审"


def test_acceptance_starts_the_clock(build, clerk):
    case = build(State.PRE_REVIEW)
    detail = fire(clerk, case, "accept").json()
    assert detail["state"]["code"] == "accepted"
    assert detail["clock"]["remaining_workdays"] == 10


def test_a_correction_notice_lists_its_items(build, clerk):
    case = build(State.PRE_REVIEW)
    response = fire(clerk, case, "request_correction", items=["身份证复印件不清晰", "缺少场所证明"])
    assert response.status_code == 200
    assert response.json()["timeline"][-1]["items"] == ["身份证复印件不清晰", "缺少场所证明"]


def test_a_rejection_needs_a_reason_from_the_list_and_an_opinion(build, clerk):
    case = build(State.PRE_REVIEW)
    response = fire(clerk, case, "reject", reason="ineligible")
    assert response.status_code == 409
    assert error(response) == {
        "code": "conflict",
        "message": "“不予受理”须填写办理意见。",
        "reason": "opinion_required",
    }
    response = fire(clerk, case, "reject", reason="ineligible", opinion="申请人不符合受理条件。")
    assert response.json()["state"]["code"] == "rejected"


def test_a_transition_the_state_does_not_allow_is_a_409_in_chinese(build, clerk):
    case = build(State.ACCEPTED)
    response = fire(clerk, case, "accept")
    assert response.status_code == 409
    assert error(response)["message"] == "办件当前状态为“已受理”，不能执行“受理”。"
    assert error(response)["reason"] == "invalid_state"


def test_a_clerk_cannot_approve(build, clerk):
    case = build(State.UNDER_REVIEW)
    response = fire(clerk, case, "approve", opinion="同意")
    assert response.status_code == 409
    assert error(response)["reason"] == "role_required"


def test_an_approver_extends_the_period_once(build, approver, matter):
    matter.extension_days = 10
    matter.save(update_fields=["extension_days"])
    case = build(State.UNDER_REVIEW)
    due = case.promised_due_date
    response = fire(approver, case, "extend", opinion="案情复杂", days=5)
    assert response.status_code == 200
    assert response.json()["promised_due_date"] == workdays.add_workdays(due, 5).isoformat()
    assert error(fire(approver, case, "extend", opinion="再延", days=1))["reason"] == "extend_once"


def test_an_unknown_transition_is_named(build, clerk):
    case = build(State.SUBMITTED)
    response = fire(clerk, case, "approve_everything")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["transition"]


def test_staff_of_another_department_get_404(build, other_department_approver):
    case = build(State.SUBMITTED)
    response = fire(other_department_approver, case, "sign")
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_a_supervisor_reads_but_is_refused_transitions(build, supervisor):
    case = build(State.SUBMITTED)
    response = fire(supervisor, case, "sign")
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert "无权" in error(response)["message"]


def test_the_applicant_cannot_fire_staff_transitions(build, citizen):
    case = build(State.SUBMITTED)
    assert fire(citizen, case, "accept").status_code == 403


def test_completion_takes_the_result_file_and_keeps_it_for_the_applicant(build, clerk, matter, citizen):
    matter.result_name = "食品经营许可证"
    matter.result_sample = "sample.pdf"
    matter.save(update_fields=["result_name", "result_sample"])
    case = build(State.DECIDED)
    data = {"transition": "complete", "opinion": "办结", "result_file": pdf_upload("许可证.pdf")}
    response = token_client(clerk).post(transitions_url(case), data, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["state"]["code"] == "completed"
    assert Document.objects.filter(owner=citizen, kind=Document.Kind.RESULT).count() == 1


def test_completion_without_the_result_is_refused(build, clerk, matter):
    matter.result_name = "食品经营许可证"
    matter.save(update_fields=["result_name"])
    case = build(State.DECIDED)
    assert error(fire(clerk, case, "complete"))["reason"] == "result_required"


def test_a_result_already_in_the_applicants_store_may_be_named_by_id(build, clerk, matter, citizen):
    matter.result_name = "食品经营许可证"
    matter.save(update_fields=["result_name"])
    case = build(State.DECIDED)
    document = result_document(citizen)
    response = fire(clerk, case, "complete", result_document=document.pk)
    assert response.status_code == 200
    assert response.json()["state"]["code"] == "completed"


def test_a_result_file_that_is_not_a_pdf_or_image_is_refused(build, clerk, matter):
    case = build(State.DECIDED)
    data = {"transition": "complete", "result_file": exe_upload("许可证.pdf")}
    response = token_client(clerk).post(transitions_url(case), data, format="multipart")
    assert response.status_code == 400
    assert "result_file" in error(response)["fields"]


def test_delivery_by_express_needs_a_tracking_number(build, clerk):
    case = build(State.COMPLETED)
    response = fire(clerk, case, "deliver", method="express")
    assert response.status_code == 400
    assert error(response)["fields"] == {"tracking_number": ["邮寄送达请填写快递单号。"]}
    response = fire(clerk, case, "deliver", method="express", tracking_number="SF123456")
    assert response.json()["state"]["code"] == "delivered"


# --- The queue ----------------------------------------------------------------------------------


def serials(response) -> list[str]:
    return [row["serial"] for row in response.json()["results"]]


def test_the_queue_lists_my_departments_submitted_cases_newest_first(build, clerk, other_department, citizen):
    older = build(State.SUBMITTED)
    newer = build(State.ACCEPTED)
    build(State.DRAFT)
    other_matter = factories.MatterFactory(department=other_department)
    build(State.SUBMITTED, matter=other_matter)
    response = token_client(clerk).get(QUEUE)
    assert response.status_code == 200
    assert serials(response) == [newer.serial, older.serial]
    assert "count" not in response.json()  # no COUNT(*) over the department's cases


def test_a_queue_row_masks_the_applicant(build, clerk):
    case = build(State.SUBMITTED)
    row = token_client(clerk).get(QUEUE).json()["results"][0]
    assert row["applicant"].startswith("李*")
    assert case.submission.applicant_id_number not in row["applicant"]
    assert row["url"].endswith(f"/api/v1/applications/{case.serial}/")


def test_citizens_have_no_queue(citizen):
    response = token_client(citizen).get(QUEUE)
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"


def test_a_supervisor_sees_every_departments_queue(build, supervisor, other_department):
    mine = build(State.SUBMITTED)
    theirs = build(State.SUBMITTED, matter=factories.MatterFactory(department=other_department))
    assert serials(token_client(supervisor).get(QUEUE)) == [theirs.serial, mine.serial]


def test_the_queue_filters_by_state_matter_and_channel(build, clerk, department, matter):
    submitted = build(State.SUBMITTED)
    accepted = build(State.ACCEPTED)
    other = build(State.SUBMITTED, matter=factories.MatterFactory(department=department))
    api = token_client(clerk)
    assert serials(api.get(QUEUE, {"state": "accepted"})) == [accepted.serial]
    assert serials(api.get(QUEUE, {"matter": matter.implementation_code})) == [
        accepted.serial,
        submitted.serial,
    ]
    assert serials(api.get(QUEUE, {"channel": "1"})) == []
    assert other.serial in serials(api.get(QUEUE, {"channel": "2"}))


def test_the_queue_filters_overdue_and_due_soon_cases(build, clerk):
    today = timezone.localdate()
    overdue = build(State.UNDER_REVIEW)
    due_soon = build(State.UNDER_REVIEW)
    in_time = build(State.UNDER_REVIEW)
    Case.objects.filter(pk=overdue.pk).update(promised_due_date=today - datetime.timedelta(days=3))
    Case.objects.filter(pk=due_soon.pk).update(promised_due_date=workdays.add_workdays(today, 1))
    api = token_client(clerk)
    assert serials(api.get(QUEUE, {"overdue": "true"})) == [overdue.serial]
    assert serials(api.get(QUEUE, {"due_soon": "true"})) == [due_soon.serial]
    rows = {row["serial"]: row["deadline"] for row in api.get(QUEUE).json()["results"]}
    assert rows == {overdue.serial: "overdue", due_soon.serial: "due_soon", in_time.serial: ""}


def test_the_queue_pages_by_cursor(build, clerk):
    cases = [build(State.SUBMITTED) for _ in range(3)]
    api = token_client(clerk)
    first = api.get(QUEUE, {"page_size": 2}).json()
    assert serials_of(first) == [cases[2].serial, cases[1].serial]
    second = api.get(first["next"]).json()
    assert serials_of(second) == [cases[0].serial]
    assert second["next"] is None


def serials_of(page: dict) -> list[str]:
    return [row["serial"] for row in page["results"]]


def test_the_queue_page_size_is_capped_at_100():
    request = Request(APIRequestFactory().get(QUEUE, {"page_size": 1000}))
    assert QueuePagination().get_page_size(request) == 100


def test_a_queue_over_two_departments_pages_newest_first_both_ways(build, clerk, matter, other_department):
    DepartmentMembership.objects.create(user=clerk, department=other_department, role=Role.CLERK)
    other_matter = factories.MatterFactory(department=other_department)
    cases = [build(State.SUBMITTED, matter=m) for m in (matter, other_matter, other_matter, matter, matter)]
    newest_first = [case.serial for case in reversed(cases)]
    api = token_client(clerk)
    for size in (1, 2):
        pages = [api.get(QUEUE, {"page_size": size}).json()]
        while pages[-1]["next"]:
            pages.append(api.get(pages[-1]["next"]).json())
        assert [serial for page in pages for serial in serials_of(page)] == newest_first
        back = [pages[-1]]
        while back[-1]["previous"]:
            back.append(api.get(back[-1]["previous"]).json())
        assert [serial for page in reversed(back) for serial in serials_of(page)] == newest_first
    filtered = api.get(QUEUE, {"page_size": 2, "state": ["submitted", "accepted"]}).json()
    assert serials_of(filtered) == newest_first[:2]


def test_a_queue_of_several_states_pages_newest_first(build, clerk):
    cases = [build(state) for state in (State.SUBMITTED, State.ACCEPTED, State.SUBMITTED, State.PRE_REVIEW)]
    api = token_client(clerk)
    pages = [api.get(QUEUE, {"page_size": 1, "state": ["submitted", "accepted"]}).json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    assert [serial for page in pages for serial in serials_of(page)] == [
        cases[2].serial,
        cases[1].serial,
        cases[0].serial,
    ]


def test_an_oversized_result_file_is_refused_naming_it(build, clerk, settings):
    settings.UPLOAD_MAX_BYTES = 100
    case = build(State.DECIDED)
    data = {"transition": "complete", "result_file": pdf_upload("许可证.pdf")}
    response = token_client(clerk).post(transitions_url(case), data, format="multipart")
    assert response.status_code == 400
    assert "许可证.pdf" in error(response)["fields"]["result_file"][0]
    assert Case.objects.get(pk=case.pk).state == State.DECIDED
