"""The case page (办件详情) in the back office: what staff read before they act."""

from django.urls import reverse

from applications import materials, services
from applications.models import State
from matters.forms_spec import load_spec
from tests import factories
from tests.applications.test_admin_helpers import case_url, page_text, pdf_upload, post_transition

SPEC = {
    "fields": [
        {"key": "shop_name", "label": "店铺名称", "type": "text"},
        {"key": "business_mode", "label": "经营方式", "type": "choice", "options": ["堂食", "外卖"]},
    ]
}


def submitted_with(build, citizen, form_data, *, upload_for=None):
    case = build.draft()
    services.update_draft(case=case, actor=citizen, form_data=form_data)
    if upload_for is not None:
        materials.attach_upload(
            submission=case.submission, requirement=upload_for, file=pdf_upload(), actor=citizen
        )
    return services.submit(case=case, actor=citizen)


def test_the_form_answers_are_shown_with_the_labels_of_the_matters_form(
    client, build, citizen, clerk, matter
):
    load_spec(matter, SPEC)
    case = submitted_with(build, citizen, {"shop_name": "好味餐厅", "business_mode": "外卖"})
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert "店铺名称" in page and "好味餐厅" in page
    assert "经营方式" in page and "外卖" in page


def test_answers_without_a_form_are_shown_by_their_keys(client, build, citizen, clerk):
    case = submitted_with(build, citizen, {"legacy_field": "旧系统数据"})
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert "legacy_field" in page and "旧系统数据" in page


def test_a_material_is_listed_with_its_download_and_inline_preview(client, build, citizen, clerk, matter):
    requirement = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    case = submitted_with(build, citizen, {}, upload_for=requirement)
    document = case.submission.materials.get().document
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert "营业执照" in page
    assert f'<iframe src="{reverse("applications:document_preview", args=[document.pk])}"' in page
    assert reverse("applications:document_file", args=[document.pk]) in page


def test_the_staff_member_may_open_the_previewed_material(client, build, citizen, clerk, matter):
    requirement = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    case = submitted_with(build, citizen, {}, upload_for=requirement)
    document = case.submission.materials.get().document
    client.force_login(clerk)
    response = client.get(reverse("applications:document_preview", args=[document.pk]))
    assert response.status_code == 200


def test_the_timeline_shows_each_step_with_actor_department_and_opinion(client, build, clerk, department):
    case = build(State.PRE_REVIEW)
    client.force_login(clerk)
    post_transition(client, case, "request_correction", {"items": "身份证复印件不清晰\n缺少场所证明"})
    response = client.get(case_url(case))
    records = [item["record"] for item in response.context["records"]]
    assert [r.action_label for r in records] == ["提交申请", "签收预审", "补正告知"]
    page = page_text(response)
    assert "窗口甲" in page and department.name in page
    assert "<li>身份证复印件不清晰</li><li>缺少场所证明</li>" in page
    assert response.context["records"][0]["duration"] == "不足1分"


def test_the_clock_shows_the_working_days_left_and_the_due_dates(client, build, clerk):
    case = build(State.ACCEPTED)
    client.force_login(clerk)
    response = client.get(case_url(case))
    assert response.context["remaining"] == 10
    page = page_text(response)
    assert "承诺办结日期" in page and "法定办结日期" in page


def test_a_case_not_yet_accepted_shows_its_pre_review_days(client, build, clerk):
    case = build(State.SUBMITTED)
    client.force_login(clerk)
    response = client.get(case_url(case))
    assert response.context["remaining"] is None
    assert response.context["pre_review_left"] == 5


def test_the_issued_documents_are_listed_with_their_download(client, build, clerk):
    case = build(State.ACCEPTED)
    client.force_login(clerk)
    receipt = case.issued_documents.get()
    page = page_text(client.get(case_url(case)))
    assert "受理回执" in page
    assert reverse("applications:issued_download", args=[receipt.pk]) in page


def test_an_enterprise_applicant_is_shown_with_its_credit_code_and_agent(client, clerk, matter):
    from applications.services import ApplicantData

    uscc = factories.make_uscc(9, prefix="91442000")
    data = ApplicantData(
        name="中山市某某有限公司",
        id_number=factories.make_id_number(),
        mobile="13900001234",
        org_name="中山市某某有限公司",
        org_code=uscc,
        contact_name="赵六",
    )
    case = services.register_window_case(staff=clerk, matter=matter, data=data)
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert "中山市某某有限公司" in page and uscc in page and "赵六" in page
    assert "139****1234" in page


def test_a_materials_download_link_is_underlined_not_told_apart_by_colour_alone(
    client, build, citizen, clerk, matter
):
    requirement = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    case = submitted_with(build, citizen, {}, upload_for=requirement)
    client.force_login(clerk)
    page = page_text(client.get(case_url(case)))
    assert ".case-table td a { text-decoration: underline; }" in page
