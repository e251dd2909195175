"""Transitions pushed by a department system run the hall's own workflow, once per event id."""

import pytest

from applications.models import Case, Document, ProcessRecord, State
from integrations.models import OutboxMessage
from tests.applications.test_api_support import pdf_bytes
from tests.integrations.departments.conftest import BASE, registration

pytestmark = pytest.mark.django_db

URL = BASE + "cases/SJ-2026-0001/"


@pytest.fixture
def registered(api, matter):
    matter.result_name = "食品经营许可证"
    matter.save()
    assert api.post(BASE + "cases/", registration(matter)).status_code == 201
    return Case.objects.get()


def push(api, event_id, transition, **data):
    return api.post(URL + "transitions/", {"event_id": event_id, "transition": transition, **data})


def test_the_whole_workflow_through_the_api(api, registered, system):
    assert push(api, "E1", "accept", opinion="材料齐全，予以受理").status_code == 200
    assert push(api, "E2", "start_review").status_code == 200
    assert push(api, "E3", "approve", opinion="符合条件").status_code == 200
    upload = {"event_id": "E4", "transition": "complete", "opinion": "已制证"}
    upload["result_file"] = ("licence.pdf", pdf_bytes())
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload["result_file"] = SimpleUploadedFile("licence.pdf", pdf_bytes(), content_type="application/pdf")
    response = api.post_multipart(URL + "transitions/", upload)
    assert response.status_code == 200, response.json()
    assert push(api, "E5", "deliver", method="window").json()["state"]["code"] == State.DELIVERED

    case = Case.objects.get()
    assert case.state == State.DELIVERED and case.decision == "approved"
    assert case.accepted_at and case.promised_due_date and case.completed_at
    records = list(ProcessRecord.objects.filter(case=case).order_by("sequence"))
    assert [r.action for r in records] == [
        "submit",
        "accept",
        "start_review",
        "approve",
        "complete",
        "deliver",
    ]
    # Acting as the department: its service account, its department on every record.
    assert {r.actor_id for r in records[1:]} == {system.account_id}
    assert {r.actor_department_id for r in records[1:]} == {system.department_id}
    # The same provincial messages as a case handled in the back office: one per record.
    assert OutboxMessage.objects.filter(destination="provincial", topic="case.process_record").count() == 6
    result = Document.objects.get(kind=Document.Kind.RESULT)
    assert result.owner_id == case.applicant_id and records[4].details["result_document"] == result.pk


def test_a_transition_the_workflow_refuses_is_a_409_with_the_rule(api, registered):
    response = push(api, "E1", "approve", opinion="同意")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["reason"]) == ("conflict", "invalid_state")
    assert "不能执行" in error["message"]
    assert Case.objects.get().state == State.SUBMITTED
    # A refused event leaves no receipt: the same id may come again once it is valid.
    assert push(api, "E1", "accept").status_code == 200


def test_missing_input_is_refused_by_the_workflow(api, registered):
    response = push(api, "E1", "reject", opinion="不属于本部门职权")
    assert (response.status_code, response.json()["error"]["reason"]) == (409, "reason_required")


def test_a_replayed_event_changes_nothing(api, registered):
    first = push(api, "E1", "accept")
    again = push(api, "E1", "accept")
    assert again.status_code == 200 and again["Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    assert ProcessRecord.objects.filter(action="accept").count() == 1


def test_an_event_id_reused_for_another_step_is_refused(api, registered):
    push(api, "E1", "accept")
    response = push(api, "E1", "start_review")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "external_id_reused")


def test_an_event_without_an_id_is_refused(api, registered):
    response = api.post(URL + "transitions/", {"transition": "accept"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "missing_external_id")


def test_a_correction_request_stops_the_clock_like_ours(api, registered):
    response = push(api, "E1", "request_correction", items=["营业执照复印件不清晰"], opinion="请补正")
    assert response.json()["state"]["code"] == State.CORRECTION_REQUESTED
    assert Case.objects.get().clock_stopped_at is not None


def test_a_result_upload_goes_to_the_applicants_store(api, registered):
    from django.core.files.uploadedfile import SimpleUploadedFile

    push(api, "E1", "accept")
    file = SimpleUploadedFile("licence.pdf", pdf_bytes("blue"), content_type="application/pdf")
    response = api.post_multipart(URL + "results/", {"event_id": "R1", "file": file})
    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["document"])
    assert (document.owner_id, document.kind) == (registered.applicant_id, Document.Kind.RESULT)


def test_a_result_before_acceptance_is_refused(api, registered):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("licence.pdf", pdf_bytes(), content_type="application/pdf")
    response = api.post_multipart(URL + "results/", {"event_id": "R1", "file": file})
    assert (response.status_code, response.json()["error"]["reason"]) == (409, "invalid_state")
    assert not Document.objects.exists()


def test_the_service_account_gets_no_notices_for_its_own_cases(registered, system):
    from portal.models import Notification

    assert registered.applicant_id == system.account_id
    assert not Notification.objects.filter(user=system.account).exists()
