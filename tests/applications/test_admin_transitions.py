"""Each transition from the case page's own form, through applications.services, end to end."""

import pytest

from applications.models import Decision, Document, IssuedDocument, ProcessRecord, State
from tests.applications.test_admin_helpers import (
    case_url,
    messages_of,
    page_text,
    pdf_upload,
    post_transition,
    reload,
)


def last_record(case) -> ProcessRecord:
    return ProcessRecord.objects.filter(case=case).order_by("-sequence").first()


def buttons(client, case) -> list[str]:
    return [item["transition"].name for item in client.get(case_url(case)).context["transitions"]]


def test_a_clerk_sees_the_buttons_of_pre_review(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    assert buttons(client, case) == ["accept", "request_correction", "reject"]


def test_signing_from_the_case_page_takes_the_case_into_pre_review(client, build, clerk):
    case = build(State.SUBMITTED)
    client.force_login(clerk)
    response = post_transition(client, case, "sign")
    assert response.status_code == 302 and response.url == case_url(case)
    assert reload(case).state == State.PRE_REVIEW


def test_accepting_starts_the_clock_and_issues_the_receipt(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    response = post_transition(client, case, "accept", {"opinion": "材料齐全，予以受理。"})
    case = reload(case)
    assert case.state == State.ACCEPTED
    assert case.promised_due_date is not None
    assert last_record(case).opinion == "材料齐全，予以受理。"
    assert IssuedDocument.objects.filter(case=case, kind=IssuedDocument.Kind.RECEIPT).exists()
    assert any("已办理“受理”" in m for m in messages_of(response))


def test_a_correction_request_lists_one_item_per_line(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    post_transition(client, case, "request_correction", {"items": "身份证复印件不清晰\n\n缺少营业场所证明\n"})
    case = reload(case)
    assert case.state == State.CORRECTION_REQUESTED
    assert last_record(case).details["items"] == ["身份证复印件不清晰", "缺少营业场所证明"]


def test_a_correction_request_without_items_is_shown_again_with_the_error(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    response = post_transition(client, case, "request_correction", {"items": "  \n ", "opinion": "请补正"})
    assert response.status_code == 200
    assert "请逐项列明需要补正的材料或内容" in page_text(response)
    assert reload(case).state == State.PRE_REVIEW


def test_a_rejection_records_the_chosen_reason(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    post_transition(client, case, "reject", {"reason": "not_competent", "opinion": "不属于本部门职权。"})
    case = reload(case)
    assert case.state == State.REJECTED
    assert last_record(case).reason_code == "not_competent"
    assert IssuedDocument.objects.filter(case=case, kind=IssuedDocument.Kind.REJECTION_NOTICE).exists()


def test_a_rejection_without_a_reason_asks_for_one(client, build, clerk):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    response = post_transition(client, case, "reject", {"opinion": "不予受理。"})
    assert response.status_code == 200
    assert response.context["transitions"][2]["form"].errors["reason"]
    assert reload(case).state == State.PRE_REVIEW


def test_a_reviewer_starts_the_review(client, build, reviewer):
    case = build(State.ACCEPTED)
    client.force_login(reviewer)
    post_transition(client, case, "start_review", {"opinion": ""})
    assert reload(case).state == State.UNDER_REVIEW


def test_a_special_procedure_stops_the_clock_and_its_end_restarts_it(client, build, reviewer):
    case = build(State.UNDER_REVIEW)
    client.force_login(reviewer)
    post_transition(
        client, case, "begin_special_procedure", {"reason": "expert_review", "opinion": "组织专家评审。"}
    )
    case = reload(case)
    assert case.state == State.SPECIAL_PROCEDURE
    assert case.clock_stopped_at is not None
    post_transition(client, case, "end_special_procedure", {"opinion": "专家评审结束。"})
    case = reload(case)
    assert case.state == State.UNDER_REVIEW
    assert case.clock_stopped_at is None


def test_an_extension_moves_the_due_dates_once(client, build, approver):
    case = build(State.UNDER_REVIEW)
    due = case.promised_due_date
    client.force_login(approver)
    post_transition(client, case, "extend", {"opinion": "案情复杂，延长审批。", "days": 5})
    case = reload(case)
    assert case.extended_days == 5
    assert case.promised_due_date > due


def test_a_second_extension_is_refused_with_the_services_message(client, build, approver):
    case = build(State.UNDER_REVIEW)
    client.force_login(approver)
    post_transition(client, case, "extend", {"opinion": "第一次延长。", "days": 5})
    response = post_transition(client, case, "extend", {"opinion": "第二次延长。", "days": 3})
    assert response.status_code == 409
    assert "审批期限只能延长一次" in page_text(response)
    assert reload(case).extended_days == 5


def test_an_extension_beyond_the_matters_limit_is_shown_as_a_field_error(client, build, approver):
    case = build(State.UNDER_REVIEW)
    client.force_login(approver)
    response = post_transition(client, case, "extend", {"opinion": "延长。", "days": 99})
    assert response.status_code == 200
    assert reload(case).extended_days == 0


def test_an_approval_decides_the_case(client, build, approver):
    case = build(State.UNDER_REVIEW)
    client.force_login(approver)
    post_transition(client, case, "approve", {"opinion": "符合法定条件，准予许可。"})
    case = reload(case)
    assert (case.state, case.decision) == (State.DECIDED, Decision.APPROVED)


def test_a_denial_records_its_reason(client, build, approver):
    case = build(State.UNDER_REVIEW)
    client.force_login(approver)
    post_transition(client, case, "deny", {"reason": "conditions_not_met", "opinion": "场所不符合要求。"})
    case = reload(case)
    assert (case.state, case.decision) == (State.DECIDED, Decision.DENIED)
    assert last_record(case).reason_code == "conditions_not_met"


def test_completing_an_approval_keeps_the_uploaded_result_for_the_applicant(client, build, clerk, matter):
    matter.result_name = "食品经营许可证"
    matter.save()
    case = build(State.DECIDED)
    client.force_login(clerk)
    response = post_transition(
        client, case, "complete", {"opinion": "准予许可，证照已出具。"}, files={"result_file": pdf_upload()}
    )
    assert response.status_code == 302
    case = reload(case)
    assert case.state == State.COMPLETED
    result = Document.objects.get(pk=last_record(case).details["result_document"])
    assert (result.owner, result.kind, result.title) == (
        case.applicant,
        Document.Kind.RESULT,
        "食品经营许可证",
    )


def test_completing_an_approval_without_the_result_file_is_refused_at_the_field(client, build, clerk, matter):
    matter.result_name = "食品经营许可证"
    matter.save()
    case = build(State.DECIDED)
    client.force_login(clerk)
    response = post_transition(client, case, "complete", {"opinion": "办结。"})
    assert response.status_code == 200
    assert response.context["transitions"][0]["form"].errors["result_file"]
    assert reload(case).state == State.DECIDED


def test_a_result_file_that_is_not_a_pdf_or_image_is_refused_by_its_content(client, build, clerk, matter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    matter.result_name = "食品经营许可证"
    matter.save()
    case = build(State.DECIDED)
    client.force_login(clerk)
    fake = SimpleUploadedFile("许可证.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = post_transition(client, case, "complete", {"opinion": "办结。"}, files={"result_file": fake})
    assert "实际类型不符合要求" in page_text(response)
    assert reload(case).state == State.DECIDED


def test_delivery_by_express_needs_the_tracking_number_and_records_it(client, build, clerk):
    case = build(State.COMPLETED)
    client.force_login(clerk)
    response = post_transition(client, case, "deliver", {"method": "express"})
    assert "邮寄送达请填写快递单号" in page_text(response)
    post_transition(client, case, "deliver", {"method": "express", "tracking_number": "SF1234567890"})
    case = reload(case)
    assert case.state == State.DELIVERED
    assert last_record(case).details == {"method": "express", "tracking_number": "SF1234567890"}


def test_a_transition_outside_the_persons_role_is_refused_with_the_workflows_message(client, build, clerk):
    case = build(State.UNDER_REVIEW)
    client.force_login(clerk)
    response = post_transition(client, case, "approve", {"opinion": "准予。"})
    assert response.status_code == 409
    assert "须由审批负责人办理" in page_text(response)
    assert reload(case).state == State.UNDER_REVIEW


def test_a_transition_in_the_wrong_state_is_refused_with_the_current_state(client, build, clerk):
    case = build(State.ACCEPTED)
    client.force_login(clerk)
    response = post_transition(client, case, "sign")
    assert response.status_code == 409
    assert "办件当前状态为“已受理”" in page_text(response)


@pytest.mark.parametrize("name", ["withdraw", "submit", "supply_correction", "no_such_step"])
def test_applicant_and_unknown_transitions_are_not_offered_by_the_back_office(client, build, clerk, name):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    assert post_transition(client, case, name, {"opinion": "x", "reason": "other"}).status_code == 404
    assert reload(case).state == State.PRE_REVIEW


def test_an_immediate_case_is_completed_straight_from_acceptance(client, build, clerk, immediate_matter):
    case = build(State.ACCEPTED, matter=immediate_matter)
    client.force_login(clerk)
    assert "complete_immediately" in buttons(client, case)
    post_transition(client, case, "complete_immediately", {"opinion": "即办即结。"})
    case = reload(case)
    assert (case.state, case.decision) == (State.COMPLETED, Decision.APPROVED)
