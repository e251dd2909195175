"""Drafts, submission, window registration, "trust online" and immediate matters."""

import pytest

from applications import completeness, services
from applications.models import Case, IssuedDocument, Origin, ProcessRecord, State, Submission
from applications.services import SubmissionIncomplete
from applications.workflow import TransitionNotAllowed
from matters import codes
from portal.models import Notification
from tests.applications.conftest import APPLICANT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


def test_a_draft_has_no_serial_number_and_no_record(build):
    case = build.draft()
    assert case.state == State.DRAFT
    assert case.serial is None
    assert not ProcessRecord.objects.filter(case=case).exists()
    assert case.department == build.matter.department


def test_a_submitted_case_gets_its_serial_number_and_pre_review_period(build, time_machine):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    case = build(State.SUBMITTED)
    assert case.serial == f"{build.matter.implementation_code}202611160001"
    assert case.pre_review_due_date.isoformat() == "2026-11-23"
    assert case.submission.submitted_at == case.submitted_at
    assert case.current_record.details == {"pre_review_due_date": "2026-11-23"}


def test_a_submission_just_after_midnight_is_numbered_with_the_local_date(build, time_machine):
    time_machine.move_to("2026-11-16 00:10 +0800", tick=False)  # still 15 November in UTC
    assert build(State.SUBMITTED).serial.endswith("202611160001")


def test_only_the_applicant_may_save_or_discard_a_draft(build, other_citizen):
    case = build.draft()
    with pytest.raises(TransitionNotAllowed):
        services.update_draft(case=case, actor=other_citizen, form_data={"x": 1})
    services.update_draft(case=case, actor=case.applicant, form_data={"店名": "老街面馆"})
    assert Submission.objects.get(pk=case.submission_id).form_data == {"店名": "老街面馆"}
    with pytest.raises(TransitionNotAllowed):
        services.discard_draft(case=case, actor=other_citizen)
    services.discard_draft(case=case, actor=case.applicant)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Submission.objects.filter(pk=case.submission_id).exists()


def test_a_submitted_case_is_no_longer_a_draft_to_edit(build):
    case = build(State.SUBMITTED)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.update_draft(case=case, actor=case.applicant, form_data={})
    assert refused.value.code == "invalid_state"


def test_an_anonymous_visitor_cannot_start_a_draft(matter, anonymous):
    with pytest.raises(TransitionNotAllowed) as refused:
        services.create_draft(applicant=anonymous, matter=matter, data=APPLICANT)
    assert refused.value.code == "login_required"


def test_an_unpublished_matter_cannot_be_applied_for(build):
    case = build.draft()
    build.matter.status = codes.Status.WITHDRAWN
    build.matter.save()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.submit(case=case, actor=case.applicant)
    assert refused.value.code == "matter_unavailable"
    with pytest.raises(TransitionNotAllowed):
        build.draft()


def test_submission_is_refused_with_the_whole_list_of_problems(build, monkeypatch):
    monkeypatch.setattr(
        completeness, "CHECKERS", [lambda case: ["“经营场所”为必填项"], lambda case: ["缺少身份证明"]]
    )
    monkeypatch.setattr(completeness, "load_checkers", lambda: None)
    case = build.draft()
    with pytest.raises(SubmissionIncomplete) as refused:
        services.submit(case=case, actor=case.applicant)
    assert refused.value.problems == ["“经营场所”为必填项", "缺少身份证明"]
    assert "缺少身份证明" in refused.value.message
    assert Case.objects.get(pk=case.pk).serial is None


def test_a_checker_registered_twice_runs_once(monkeypatch):
    monkeypatch.setattr(completeness, "CHECKERS", [])

    def materials(case):
        return ["缺少材料"]

    completeness.register(materials)
    completeness.register(materials)
    assert len(completeness.CHECKERS) == 1


def test_window_staff_register_a_case_that_is_numbered_at_once(matter, clerk):
    case = services.register_window_case(staff=clerk, matter=matter, data=APPLICANT)
    assert case.state == State.SUBMITTED
    assert case.origin == Origin.WINDOW and case.channel == codes.HandlingForm.WINDOW
    assert case.sub_channel == ""
    assert case.serial.startswith(matter.implementation_code)
    record = case.current_record
    assert record.actor == clerk and record.actor_department == matter.department


def test_window_staff_cannot_register_a_case_of_another_department(matter, other_department_approver):
    with pytest.raises(TransitionNotAllowed) as refused:
        services.register_window_case(staff=other_department_approver, matter=matter, data=APPLICANT)
    assert refused.value.code == "forbidden"


def test_a_window_case_of_an_applicant_with_an_account_is_his_to_follow(matter, clerk, citizen):
    case = services.register_window_case(staff=clerk, matter=matter, data=APPLICANT, applicant=citizen)
    assert case.applicant == citizen
    assert Notification.objects.filter(user=citizen, template_key="case_submitted").count() == 1


def test_a_trust_online_matter_is_accepted_by_the_system_on_submission(
    build, trust_online_matter, time_machine
):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    case = build(State.DRAFT, matter=trust_online_matter)
    case = services.submit(case=case, actor=case.applicant)
    assert case.state == State.ACCEPTED
    assert case.accepted_at == case.submitted_at
    assert case.promised_due_date.isoformat() == "2026-11-30"
    accept = case.current_record
    assert accept.action == "accept" and accept.actor is None and accept.actor_name == "系统"
    assert accept.details["trust_online"] is True
    assert "信任在线，审核在后" in accept.opinion
    assert IssuedDocument.objects.filter(case=case, kind=IssuedDocument.Kind.RECEIPT).count() == 1


def test_a_trust_online_case_is_reviewed_after_acceptance(build, trust_online_matter, reviewer):
    case = build.draft(matter=trust_online_matter)
    case = services.submit(case=case, actor=case.applicant)
    assert services.start_review(case=case, actor=reviewer).state == State.UNDER_REVIEW


def test_an_immediate_case_goes_from_accepted_to_completed_in_one_step(
    build, immediate_matter, clerk, time_machine
):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    case = build(State.ACCEPTED, matter=immediate_matter)
    assert case.promised_due_date.isoformat() == "2026-11-16"  # due the day it is accepted
    time_machine.move_to("2026-11-16 09:20 +0800", tick=False)
    done = services.complete(case=case, actor=clerk, opinion="当场办结")
    assert done.state == State.COMPLETED
    assert done.decision == "approved"
    assert done.current_record.action == "complete_immediately"
    assert IssuedDocument.objects.filter(case=case, kind=IssuedDocument.Kind.COMPLETION_NOTICE).exists()
    assert services.remaining_workdays(done) == 0


def test_an_approved_case_of_a_matter_with_a_result_needs_the_result_document(build, clerk):
    build.matter.result_name = "食品经营许可证"
    build.matter.save()
    case = build(State.DECIDED)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.complete(case=case, actor=clerk)
    assert refused.value.code == "result_required"
    assert "食品经营许可证" in refused.value.message


def test_the_result_document_is_recorded_on_completion(build, clerk):
    from tests.applications.conftest import result_document

    build.matter.result_name = "食品经营许可证"
    build.matter.save()
    case = build(State.DECIDED)
    document = result_document(case.applicant)
    done = services.complete(case=case, actor=clerk, result_document=document)
    assert done.current_record.details == {"decision": "approved", "result_document": document.pk}


def test_a_denied_case_is_completed_without_a_result(build, approver, clerk):
    build.matter.result_name = "食品经营许可证"
    build.matter.save()
    case = build(State.UNDER_REVIEW)
    case = services.deny(case=case, actor=approver, reason_code="conditions_not_met", opinion="不符合条件")
    done = services.complete(case=case, actor=clerk)
    assert done.state == State.COMPLETED and done.decision == "denied"


def test_delivery_by_the_logistics_system_records_the_tracking_number(build):
    case = build(State.COMPLETED)
    delivered = services.deliver(
        case=case, actor=None, details={"method": "express", "tracking_number": "SF1234567890", "x": 1}
    )
    assert delivered.current_record.details == {"method": "express", "tracking_number": "SF1234567890"}
    assert delivered.current_record.actor_name == "系统"


def test_issued_documents_are_scheduled_for_rendering_after_commit(
    build, clerk, rendered_documents, django_capture_on_commit_callbacks
):
    case = build(State.PRE_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(case=case, actor=clerk)
    receipt = IssuedDocument.objects.get(case=case)
    assert receipt.kind == IssuedDocument.Kind.RECEIPT
    assert receipt.record == Case.objects.get(pk=case.pk).current_record
    assert rendered_documents == [receipt.pk]
    assert len(receipt.token) <= IssuedDocument._meta.get_field("token").max_length


def test_perform_refuses_a_transition_it_has_no_form_for(build):
    case = build(State.DRAFT)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.perform(case, "submit", case.applicant)
    assert refused.value.code == "not_here"


def test_a_transition_writes_only_the_columns_it_changed(build, clerk):
    """A case row has 30 columns and ten indexes: 受理 sets the state, its record and the clock,
    and leaves the rest (the serial, the applicant, the query code…) as they are in the table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = build(State.SUBMITTED)
    Case.objects.filter(pk=case.pk).update(external_id="written meanwhile")  # not on ``case``
    with CaptureQueriesContext(connection) as queries:
        services.accept(case=case, actor=clerk)
    [update] = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "applications_case"')]
    assert '"state"' in update and '"current_record_id"' in update and '"accepted_at"' in update
    assert '"serial"' not in update and '"query_code"' not in update and '"external_id"' not in update
    assert Case.objects.get(pk=case.pk).external_id == "written meanwhile"
