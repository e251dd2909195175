"""网上申报 in the browser: who applies, the form, the materials, review, submit and the receipt."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from applications import services
from applications.models import Case, State
from applications.services import ApplicantData
from matters import codes
from matters.forms_spec import load_spec
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ID_NUMBER = factories.make_id_number(birth="19850312", serial=417)

FORM = {
    "fields": [
        {"key": "name", "label": "申请人姓名", "type": "text", "prefill": "name"},
        {"key": "mobile", "label": "联系电话", "type": "mobile", "prefill": "mobile"},
        {"key": "email", "label": "电子邮箱", "type": "email", "prefill": "email", "required": False},
        {"key": "shop", "label": "店铺名称", "type": "text", "max_length": 50},
        {"key": "area", "label": "经营面积（平方米）", "type": "decimal", "min": 1, "max": 10000},
    ]
}


def pdf_upload(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def citizen(db):
    return factories.UserFactory(
        username="citizen", real_name="李四", mobile="13800138000", email="li.si@example.cn"
    )


@pytest.fixture
def matter(department):
    matter = factories.MatterFactory(department=department, name="食品经营许可证核发")
    load_spec(matter, FORM)
    return matter


@pytest.fixture
def licence(matter):
    return factories.MaterialRequirementFactory(matter=matter, name="营业执照", sort_order=1)


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def apply_url(matter) -> str:
    return reverse("applications:apply", args=[matter.implementation_code])


def step_url(case, step: str) -> str:
    return reverse(
        f"applications:apply_{step}", args=[case.matter.implementation_code, case.submission.public_id]
    )


def choose_myself(client, matter, **overrides):
    data = {"identity": "self", "name": "李四", "id_number": ID_NUMBER, "mobile": "13800138000", **overrides}
    return client.post(apply_url(matter), data)


def the_draft(citizen, matter) -> Case:
    return Case.objects.select_related("submission", "matter").get(applicant=citizen, matter=matter)


def good_answers(**overrides) -> dict:
    return {
        "name": "李四",
        "mobile": "13800138000",
        "email": "",
        "shop": "李四小吃店",
        "area": "35.5",
        **overrides,
    }


# --- Who applies --------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_first(client, matter):
    response = client.get(apply_url(matter))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_matter_that_cannot_be_applied_for_online_is_not_found(logged_in, department):
    offline = factories.MatterFactory(department=department, online_apply=False)
    unpublished = factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    assert logged_in.get(apply_url(offline)).status_code == 404
    assert logged_in.get(apply_url(unpublished)).status_code == 404


def test_the_identity_page_offers_myself_with_my_name_and_mobile_filled_in(logged_in, matter):
    page = text(logged_in.get(apply_url(matter)))
    assert "本人（李四）" in page
    assert 'value="13800138000"' in page
    assert 'value="李四"' in page


def test_choosing_myself_creates_a_draft_without_a_serial_number(logged_in, citizen, matter):
    response = choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    assert response.status_code == 302
    assert response["Location"] == step_url(case, "form")
    assert case.state == State.DRAFT and case.serial is None
    assert case.submission.applicant_name == "李四"
    assert case.submission.applicant_id_number == ID_NUMBER


def test_a_wrong_id_number_is_shown_next_to_its_field_and_creates_nothing(logged_in, citizen, matter):
    response = choose_myself(logged_in, matter, id_number="44200019850312417")
    page = text(response)
    assert response.status_code == 200
    assert 'id="id_id_number_error"' in page
    assert "身份证号码应为18位" in page
    assert not Case.objects.filter(applicant=citizen).exists()


def test_an_enterprise_is_offered_only_to_its_members(logged_in, citizen, matter):
    enterprise_model = pytest.importorskip("enterprises.models")
    mine = enterprise_model.Enterprise.objects.create(
        name="中山市示例餐饮有限公司",
        uscc=factories.make_uscc(7, prefix="91442000"),
        legal_representative="李四",
    )
    other = enterprise_model.Enterprise.objects.create(
        name="中山市别人的公司", uscc=factories.make_uscc(8, prefix="91442000"), legal_representative="王五"
    )
    enterprise_model.EnterpriseMembership.objects.create(user=citizen, enterprise=mine)
    page = text(logged_in.get(apply_url(matter)))
    assert "中山市示例餐饮有限公司" in page
    assert "中山市别人的公司" not in page
    refused = choose_myself(logged_in, matter, identity=f"enterprise-{other.pk}")
    assert "只能以本人或您所在企业的名义申请" in text(refused)
    assert not Case.objects.filter(applicant=citizen).exists()


def test_applying_for_my_enterprise_records_it_as_the_applicant(logged_in, citizen, matter):
    enterprise_model = pytest.importorskip("enterprises.models")
    uscc = factories.make_uscc(7, prefix="91442000")
    enterprise = enterprise_model.Enterprise.objects.create(
        name="中山市示例餐饮有限公司", uscc=uscc, legal_representative="李四"
    )
    enterprise_model.EnterpriseMembership.objects.create(user=citizen, enterprise=enterprise)
    choose_myself(logged_in, matter, identity=f"enterprise-{enterprise.pk}")
    submission = the_draft(citizen, matter).submission
    assert (submission.applicant_name, submission.org_code, submission.contact_name) == (
        "中山市示例餐饮有限公司",
        uscc,
        "李四",
    )


def test_a_second_visit_resumes_the_draft_instead_of_starting_another(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    response = logged_in.get(apply_url(matter), follow=True)
    assert Case.objects.filter(applicant=citizen, matter=matter).count() == 1
    assert "已为您恢复上次保存的草稿" in text(response)
    assert response.redirect_chain[-1][0] == step_url(the_draft(citizen, matter), "form")


# --- The form -----------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_profile(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    page = text(logged_in.get(step_url(the_draft(citizen, matter), "form")))
    assert 'name="name" value="李四"' in page
    assert 'value="13800138000"' in page
    assert 'value="li.si@example.cn"' in page


def test_the_save_draft_button_keeps_every_answer_even_invalid_ones(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    response = logged_in.post(
        step_url(case, "form"), {**good_answers(area="很大"), "action": "save"}, follow=True
    )
    case.submission.refresh_from_db()
    assert case.submission.form_data["shop"] == "李四小吃店"
    assert case.submission.form_data["area"] == "很大"
    assert "草稿已保存" in text(response)


def test_autosave_stores_the_answers_and_says_when(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    response = logged_in.post(step_url(case, "autosave"), good_answers(shop="半填的店名"), **HTMX)
    case.submission.refresh_from_db()
    assert response.status_code == 200
    assert "草稿已自动保存" in text(response)
    assert case.submission.form_data["shop"] == "半填的店名"
    assert case.submission.form_data["area"] == "35.50"


def test_the_form_page_autosaves_with_htmx_on_change(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    page = text(logged_in.get(step_url(case, "form")))
    assert f'hx-post="{step_url(case, "autosave")}"' in page
    assert 'hx-trigger="change' in page
    assert 'id="autosave-status"' in page


def test_the_draft_survives_logging_out_and_in_again(client, citizen, matter):
    client.force_login(citizen)
    choose_myself(client, matter)
    case = the_draft(citizen, matter)
    client.post(step_url(case, "autosave"), good_answers(shop="记得我的店"), **HTMX)
    client.logout()
    fresh = Client()
    fresh.force_login(citizen)
    page = text(fresh.get(apply_url(matter), follow=True))
    assert 'value="记得我的店"' in page


def test_validation_errors_are_shown_next_to_their_fields(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    response = logged_in.post(step_url(case, "form"), {**good_answers(area="0", shop=""), "action": "next"})
    page = text(response)
    assert response.status_code == 200
    assert 'id="id_area_error"' in page and "不能小于1" in page
    assert 'id="id_shop_error"' in page and "请填写此项" in page
    assert '<a href="#id_area">' in page  # the summary links to the field


def test_a_valid_form_moves_on_to_the_materials(logged_in, citizen, matter, licence):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    response = logged_in.post(step_url(case, "form"), {**good_answers(), "action": "next"})
    case.submission.refresh_from_db()
    assert response["Location"] == step_url(case, "materials")
    assert case.submission.form_data["area"] == "35.50"
    page = text(logged_in.get(response["Location"]))
    assert 'id="materials-panel"' in page and "营业执照" in page


def test_someone_elses_draft_is_not_found(logged_in, matter, other_citizen):
    theirs = services.create_draft(applicant=other_citizen, matter=matter, data=ApplicantData(name="王五"))
    assert logged_in.get(step_url(theirs, "form")).status_code == 404
    assert logged_in.post(step_url(theirs, "autosave"), good_answers(), **HTMX).status_code == 404
    assert logged_in.post(step_url(theirs, "submit")).status_code == 404


def test_discarding_the_draft_starts_over(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    response = logged_in.post(step_url(case, "discard"))
    assert response["Location"] == apply_url(matter)
    assert not Case.objects.filter(applicant=citizen).exists()


# --- Review and submit ----------------------------------------------------------------------


def test_a_refused_submission_lists_what_is_missing_with_links(logged_in, citizen, matter, licence):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    logged_in.post(step_url(case, "form"), {**good_answers(shop=""), "action": "save"})
    response = logged_in.post(step_url(case, "submit"))
    page = text(response)
    case.refresh_from_db()
    assert case.state == State.DRAFT and case.serial is None
    assert "提交未成功" in page
    assert f'<a href="{step_url(case, "form")}#id_shop">「店铺名称」：请填写此项。</a>' in page
    materials_link = f"{step_url(case, 'materials')}#material-{licence.pk}"
    assert f'<a href="{materials_link}">缺少必要材料《营业执照》，请上传。</a>' in page


def test_the_review_page_shows_answers_materials_and_the_standardisation_report(
    logged_in, citizen, matter, licence
):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    logged_in.post(step_url(case, "form"), {**good_answers(), "action": "next"})
    logged_in.post(
        reverse("applications:material_action", args=[case.submission.public_id, licence.pk]),
        {"action": "upload", "file": pdf_upload()},
    )
    page = text(logged_in.get(step_url(case, "review")))
    assert "李四小吃店" in page
    assert "营业执照.pdf" in page
    assert "检查通过" in page


def test_a_complete_submission_gets_a_serial_number_and_a_receipt(logged_in, citizen, matter, licence):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    logged_in.post(step_url(case, "form"), {**good_answers(), "action": "next"})
    logged_in.post(
        reverse("applications:material_action", args=[case.submission.public_id, licence.pk]),
        {"action": "upload", "file": pdf_upload()},
    )
    response = logged_in.post(step_url(case, "submit"), follow=True)
    case.refresh_from_db()
    page = text(response)
    assert case.state == State.SUBMITTED
    assert response.redirect_chain[-1][0] == reverse("applications:receipt", args=[case.serial])
    assert case.serial in page and case.query_code in page
    assert "网上申报回执" in page and "中山市市场监督管理局" in page
    assert f"{case.pre_review_due_date:%Y-%m-%d}" in page
    assert "受理后，我们会出具" in page  # the 受理回执 PDF comes later


def test_the_steps_of_a_submitted_case_lead_to_its_page(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    logged_in.post(step_url(case, "form"), {**good_answers(), "action": "next"})
    logged_in.post(step_url(case, "submit"))
    case.refresh_from_db()
    assert logged_in.get(step_url(case, "form"))["Location"] == reverse(
        "applications:detail", args=[case.serial]
    )


def test_autosave_after_submission_changes_nothing(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    case = the_draft(citizen, matter)
    logged_in.post(step_url(case, "form"), {**good_answers(), "action": "next"})
    logged_in.post(step_url(case, "submit"))
    response = logged_in.post(step_url(case, "autosave"), good_answers(shop="改过的"), **HTMX)
    case.submission.refresh_from_db()
    assert "申请已提交，草稿不再保存" in text(response)
    assert case.submission.form_data["shop"] == "李四小吃店"


def test_the_guide_page_offers_online_application(client, matter):
    page = text(client.get(matter.get_absolute_url()))
    assert f'href="{apply_url(matter)}"' in page
    assert "在线办理" in page


def test_the_pages_with_personal_data_are_not_cached(logged_in, citizen, matter):
    choose_myself(logged_in, matter)
    response = logged_in.get(step_url(the_draft(citizen, matter), "form"))
    assert "no-store" in response["Cache-Control"]
