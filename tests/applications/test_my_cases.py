"""我的办件: the list of my cases and the page of one case (withdrawal, correction, documents)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from applications import services
from applications.models import IssuedDocument, State, StateWording
from applications.services import ApplicantData
from tests import factories

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def pdf_upload(name: str = "补正材料.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def list_url(**query) -> str:
    url = reverse("applications:my_cases")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def detail_url(case) -> str:
    return reverse("applications:detail", args=[case.serial])


# --- The list -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(list_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_my_cases_lists_only_my_own(logged_in, build, other_citizen):
    mine = build(State.SUBMITTED)
    theirs = build(State.SUBMITTED, applicant=other_citizen)
    page = text(logged_in.get(list_url()))
    assert mine.serial in page
    assert theirs.serial not in page


def test_a_draft_is_listed_with_a_link_to_continue(logged_in, build):
    draft = build(State.DRAFT)
    page = text(logged_in.get(list_url()))
    continue_url = reverse(
        "applications:apply_form", args=[draft.matter.implementation_code, draft.submission.public_id]
    )
    assert f'href="{continue_url}"' in page
    assert "继续填写" in page


def test_each_case_shows_its_state_wording_and_remaining_working_days(logged_in, build):
    case = build(State.UNDER_REVIEW)
    page = text(logged_in.get(list_url()))
    assert "审查中" in page
    assert f"{case.promised_due_date:%Y-%m-%d} 前办结" in page
    assert "剩余" in page


@pytest.mark.parametrize(
    ("group", "shown", "hidden"),
    [
        ("draft", State.DRAFT, State.SUBMITTED),
        ("open", State.SUBMITTED, State.CORRECTION_REQUESTED),
        ("action", State.CORRECTION_REQUESTED, State.SUBMITTED),
        ("closed", State.WITHDRAWN, State.SUBMITTED),
    ],
)
def test_the_list_filters_by_group_of_states(logged_in, build, group, shown, hidden):
    visible = build(shown)
    invisible = build(hidden)
    response = logged_in.get(list_url(group=group))
    listed = [row["case"].pk for row in response.context["rows"]]
    assert visible.pk in listed
    assert invisible.pk not in listed


def test_the_tabs_count_my_cases_per_group(logged_in, build):
    build(State.CORRECTION_REQUESTED)
    build(State.SUBMITTED)
    build(State.SUBMITTED)
    tabs = {tab["key"]: tab["count"] for tab in logged_in.get(list_url()).context["tabs"]}
    assert tabs == {"": 3, "draft": 0, "open": 2, "action": 1, "closed": 0}


def test_the_list_costs_the_same_queries_for_three_cases_as_for_twelve(logged_in, build, matter, department):
    other_matter = factories.MatterFactory(department=department, name="公共场所卫生许可")
    StateWording.objects.create(state=State.SUBMITTED, title="默认：已提交")
    StateWording.objects.create(matter=other_matter, state=State.SUBMITTED, title="事项：已提交")
    for _ in range(2):
        build(State.SUBMITTED)
    build(State.DRAFT, matter=other_matter)
    logged_in.get(list_url())  # warm the per-process caches (calendar, session)
    with CaptureQueriesContext(connection) as few:
        logged_in.get(list_url())
    for state in (State.ACCEPTED, State.CORRECTION_REQUESTED, State.WITHDRAWN):
        build(state)
        build(state, matter=other_matter)
    build(State.DRAFT)
    build(State.UNDER_REVIEW, matter=other_matter)
    build(State.COMPLETED)
    with CaptureQueriesContext(connection) as many:
        response = logged_in.get(list_url())
    assert len(response.context["rows"]) == 12
    assert len(many) == len(few)


def test_the_list_is_paginated(logged_in, build, monkeypatch):
    from applications.views import my_cases

    monkeypatch.setattr(my_cases, "PAGE_SIZE", 2)
    for _ in range(3):
        build(State.SUBMITTED)
    first = logged_in.get(list_url())
    second = logged_in.get(list_url(page=2))
    assert len(first.context["rows"]) == 2
    assert len(second.context["rows"]) == 1
    assert "下一页" in text(first)


# --- One case -------------------------------------------------------------------------------


def test_another_citizen_gets_404_for_my_case(client, build, other_citizen):
    case = build(State.SUBMITTED)
    client.force_login(other_citizen)
    assert client.get(detail_url(case)).status_code == 404
    assert (
        client.post(reverse("applications:withdraw", args=[case.serial]), {"reason": "other"}).status_code
        == 404
    )


def test_an_anonymous_visitor_is_sent_to_log_in_for_a_case(client, build):
    case = build(State.SUBMITTED)
    response = client.get(detail_url(case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_detail_shows_the_state_wording_and_the_timeline(logged_in, build):
    case = build(State.ACCEPTED)
    page = text(logged_in.get(detail_url(case)))
    assert "已受理" in page
    assert f"承诺于{case.promised_due_date:%Y-%m-%d}前办结" in page
    for step in ("提交申请", "签收预审", "受理"):
        assert step in page
    assert "中山市市场监督管理局" in page  # the department of the staff steps


def test_the_detail_shows_the_opinions_of_each_step(logged_in, build):
    case = build(State.REJECTED)
    page = text(logged_in.get(detail_url(case)))
    assert "申请人不符合受理条件。" in page
    assert "原因：申请人不符合受理条件" in page


def test_the_issued_documents_can_be_downloaded_from_the_detail(logged_in, build):
    case = build(State.ACCEPTED)
    receipt = IssuedDocument.objects.get(case=case, kind=IssuedDocument.Kind.RECEIPT)
    page = text(logged_in.get(detail_url(case)))
    assert reverse("applications:issued_download", args=[receipt.pk]) in page
    assert "下载受理回执（PDF）" in page


def test_the_delivery_information_shows_once_the_case_is_completed(logged_in, build, matter):
    case = build(State.COMPLETED)
    page = text(logged_in.get(detail_url(case)))
    assert "办理结果与领取" in page
    assert matter.handling_place in page


# --- Withdrawal -----------------------------------------------------------------------------


def test_an_open_case_can_be_withdrawn_with_a_reason(logged_in, build):
    case = build(State.PRE_REVIEW)
    assert "撤回申请" in text(logged_in.get(detail_url(case)))
    response = logged_in.post(
        reverse("applications:withdraw", args=[case.serial]),
        {"reason": "no_longer_needed", "opinion": "已在窗口办理"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN
    assert "申请已撤回" in text(response)
    assert case.current_record.details["reason"] == "不再需要办理"


def test_withdrawal_needs_a_reason_from_the_list(logged_in, build):
    case = build(State.SUBMITTED)
    response = logged_in.post(reverse("applications:withdraw", args=[case.serial]), {"reason": "bored"})
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert 'id="id_reason_error"' in text(response)


def test_a_decided_case_offers_no_withdrawal_and_refuses_one(logged_in, build):
    case = build(State.DECIDED)
    assert 'action="' + reverse("applications:withdraw", args=[case.serial]) not in text(
        logged_in.get(detail_url(case))
    )
    response = logged_in.post(
        reverse("applications:withdraw", args=[case.serial]), {"reason": "no_longer_needed"}, follow=True
    )
    case.refresh_from_db()
    assert case.state == State.DECIDED
    assert "不能执行“撤回申请”" in text(response)


# --- Supplying a correction -----------------------------------------------------------------


@pytest.fixture
def correcting(build, matter):
    case = build(State.CORRECTION_REQUESTED)
    # A requirement the staff asked for: the applicant must now provide it.
    requirement = factories.MaterialRequirementFactory(matter=matter, name="经营场所证明", sort_order=1)
    return case, requirement


def test_the_correction_items_and_the_materials_panel_are_shown(logged_in, correcting):
    case, requirement = correcting
    page = text(logged_in.get(detail_url(case)))
    assert "需要您处理" in page
    assert "身份证复印件不清晰" in page and "缺少营业场所证明" in page
    assert 'id="materials-panel"' in page
    assert reverse("applications:material_action", args=[case.submission.public_id, requirement.pk]) in page
    assert "提交补正" in page


def test_supplying_a_correction_with_materials_missing_lists_them(logged_in, correcting):
    case, requirement = correcting
    response = logged_in.post(reverse("applications:supply_correction", args=[case.serial]), {"note": ""})
    page = text(response)
    case.refresh_from_db()
    assert case.state == State.CORRECTION_REQUESTED
    assert f'<a href="#material-{requirement.pk}">缺少必要材料《经营场所证明》，请上传。</a>' in page


def test_supplying_a_correction_after_uploading_returns_the_case_to_pre_review(logged_in, correcting):
    case, requirement = correcting
    logged_in.post(
        reverse("applications:material_action", args=[case.submission.public_id, requirement.pk]),
        {"action": "upload", "file": pdf_upload(), "next": detail_url(case)},
    )
    response = logged_in.post(
        reverse("applications:supply_correction", args=[case.serial]), {"note": "已补交场所证明"}, follow=True
    )
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert case.current_record.opinion == "已补交场所证明"
    assert "补正材料已提交" in text(response)


def test_a_case_not_waiting_for_a_correction_refuses_one(logged_in, build):
    case = build(State.ACCEPTED)
    response = logged_in.post(reverse("applications:supply_correction", args=[case.serial]), {}, follow=True)
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert "不能执行“提交补正材料”" in text(response)


def test_the_receipt_is_only_for_my_own_cases(client, build, other_citizen):
    case = build(State.SUBMITTED)
    client.force_login(other_citizen)
    assert client.get(reverse("applications:receipt", args=[case.serial])).status_code == 404


def test_a_draft_made_by_services_has_no_detail_page(logged_in, citizen, matter):
    services.create_draft(applicant=citizen, matter=matter, data=ApplicantData(name="李四"))
    assert logged_in.get(reverse("applications:detail", args=["None"])).status_code == 404


def test_the_result_document_of_a_completed_case_can_be_downloaded(logged_in, citizen, matter, build):
    from tests.applications.conftest import result_document

    matter.result_name = "食品经营许可证"
    matter.save(update_fields=["result_name"])
    case = build(State.DECIDED)
    result = result_document(citizen)
    case = services.complete(case=case, actor=build.clerk, result_document=result)
    page = text(logged_in.get(detail_url(case)))
    assert "下载办理结果：食品经营许可证" in page
    assert reverse("applications:document_file", args=[result.pk]) in page
