"""The applicant's side of the API: apply (draft or submit), form answers, uploads, reuse and
promises, my cases, one case, withdrawal, corrections and my document store."""

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications import materials, uploads
from applications.models import Case, Document, State, Submission, SubmissionMaterial
from enterprises.models import Enterprise, EnterpriseMembership
from tests import factories
from tests.applications.test_api_support import (
    ANSWERS,
    ENTERPRISE_USCC,
    ID_NUMBER,
    error,
    exe_upload,
    pdf_bytes,
    pdf_upload,
    setup_matter,
    token_client,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]

URL = "/api/v1/applications/"


@pytest.fixture
def requirements(matter):
    return setup_matter(matter)


@pytest.fixture
def licence(requirements):
    return requirements[0]


@pytest.fixture
def floor_plan(requirements):
    return requirements[1]


@pytest.fixture
def api(citizen):
    return token_client(citizen)


def body(matter, **extra) -> dict:
    return {
        "matter": matter.implementation_code,
        "id_number": ID_NUMBER,
        "mobile": "13800138000",
        "form": ANSWERS,
        **extra,
    }


def multipart(matter, uploads: dict, **extra) -> dict:
    """A multipart body: JSON-valued fields as JSON strings, files under material_<id>."""
    data = body(matter, **extra)
    out = {key: json.dumps(value) if isinstance(value, dict | list) else value for key, value in data.items()}
    out.update(uploads)
    return out


def my_document(owner, name: str = "营业执照.pdf", colour: str = "blue") -> Document:
    checked = uploads.check(pdf_bytes(colour), name=name)
    return materials.store_document(owner=owner, checked=checked)


# --- Applying ---------------------------------------------------------------------------------


def test_a_draft_keeps_the_answers_and_has_no_serial_yet(api, matter, requirements):
    response = api.post(URL, body(matter), format="json")
    case = response.json()
    assert response.status_code == 201
    assert case["serial"] is None
    assert case["state"] == {"code": "draft", "label": "草稿"}
    assert api.get(response["Location"]).json()["form"]["shop_name"] == "李记小食店"
    assert case["links"]["submit"].endswith(f"/api/v1/drafts/{case['id']}/submit/")
    assert response["Location"].endswith(f"/api/v1/drafts/{case['id']}/")
    assert any("营业执照" in problem for problem in case["problems"])


def test_an_application_with_an_uploaded_pdf_is_submitted_with_a_serial_and_query_code(
    api, matter, licence, floor_plan, citizen
):
    files = {
        f"material_{licence.pk}": pdf_upload(),
        f"material_{floor_plan.pk}": pdf_upload("平面图.pdf", "red"),
    }
    response = api.post(URL, multipart(matter, files, submit="true"), format="multipart")
    case = response.json()
    assert response.status_code == 201, case
    assert len(case["serial"]) == 43
    assert case["serial"].startswith(matter.implementation_code)
    assert len(case["query_code"]) == 6
    assert case["state"]["code"] == "submitted"
    assert case["channel"]["code"] == "3"  # 移动端网上申请
    assert response["Location"].endswith(f"/api/v1/applications/{case['serial']}/")
    detail = api.get(response["Location"]).json()
    assert [m["requirement_name"] for m in detail["materials"]] == ["营业执照", "经营场所平面图"]
    assert detail["materials"][0]["document"]["name"] == "营业执照.pdf"
    assert [row["label"] for row in detail["timeline"]] == ["提交申请"]
    assert Document.objects.filter(owner=citizen).count() == 2


def test_a_session_login_works_as_well_as_a_token(client, citizen, matter, requirements):
    api = APIClient()
    api.force_login(citizen)
    assert api.post(URL, body(matter), format="json").status_code == 201


def test_anonymous_visitors_cannot_apply(matter):
    response = APIClient().post(URL, body(matter), format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_a_wrong_form_answer_is_named_by_its_field(api, matter, requirements):
    response = api.post(URL, body(matter, form={**ANSWERS, "area": "-3"}), format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "validation_error"
    assert list(error(response)["fields"]) == ["form.area"]
    assert not Case.objects.exists()


def test_a_cross_field_rule_is_named_by_its_field(api, matter, requirements):
    answers = {**ANSWERS, "start": "2030-06-01", "end": "2030-01-01"}
    response = api.post(URL, body(matter, form=answers, submit=True), format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"form.end": ["「结束日期」应晚于「开始日期」。"]}


def test_a_submission_names_each_missing_required_answer(api, matter, licence):
    response = api.post(URL, body(matter, form={"area": "10"}, submit=True), format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"form.shop_name": ["请填写此项。"]}


def test_a_draft_may_leave_required_answers_empty(api, matter, requirements):
    response = api.post(URL, body(matter, form={"area": "10"}), format="json")
    assert response.status_code == 201
    assert any("店铺名称" in problem for problem in response.json()["problems"])


def test_a_key_the_form_does_not_have_is_refused(api, matter, requirements):
    response = api.post(URL, body(matter, form={**ANSWERS, "salary": 1}), format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"form.salary": ["表单中没有此项。"]}


def test_an_unknown_matter_is_named(api):
    response = api.post(URL, {"matter": "X" * 31, "id_number": ID_NUMBER}, format="json")
    assert response.status_code == 400
    assert error(response)["fields"]["matter"] == ["未找到可网上申请的该事项，请核对实施编码。"]


def test_a_wrong_id_number_is_named(api, matter):
    response = api.post(URL, {**body(matter), "id_number": "110105194912310021"}, format="json")
    assert response.status_code == 400
    assert "id_number" in error(response)["fields"]


def test_a_renamed_exe_is_refused_naming_the_upload_and_nothing_is_kept(
    api, matter, licence, citizen, settings
):
    response = api.post(URL, multipart(matter, {f"material_{licence.pk}": exe_upload()}), format="multipart")
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert list(fields) == [f"material_{licence.pk}"]
    assert "营业执照.pdf" in fields[f"material_{licence.pk}"][0]
    assert not Case.objects.exists() and not Submission.objects.exists()
    assert not Document.objects.filter(owner=citizen).exists()


def test_a_failed_submission_leaves_no_file_behind(api, matter, licence, floor_plan, settings):
    """The valid upload was written before the exe was refused: the rollback removes it too."""
    files = {f"material_{floor_plan.pk}": pdf_upload("平面图.pdf"), f"material_{licence.pk}": exe_upload()}
    response = api.post(URL, multipart(matter, files), format="multipart")
    assert response.status_code == 400
    stored = [p for p in (settings.PRIVATE_MEDIA_ROOT / "documents").rglob("*") if p.is_file()]
    assert stored == []


def test_an_upload_for_a_requirement_of_another_matter_is_refused(api, matter, requirements):
    other = factories.MaterialRequirementFactory()
    response = api.post(URL, multipart(matter, {f"material_{other.pk}": pdf_upload()}), format="multipart")
    assert response.status_code == 400
    assert error(response)["fields"] == {f"material_{other.pk}": ["该材料不属于本次申请的事项。"]}


def test_an_oversized_upload_is_refused_naming_the_file(api, matter, licence, settings):
    settings.UPLOAD_MAX_BYTES = 100
    response = api.post(URL, multipart(matter, {f"material_{licence.pk}": pdf_upload()}), format="multipart")
    assert response.status_code == 400
    assert "营业执照.pdf" in error(response)["fields"][f"material_{licence.pk}"][0]


def test_a_document_from_my_store_is_reused_instead_of_uploading_again(
    api, matter, licence, floor_plan, citizen
):
    first, second = my_document(citizen), my_document(citizen, "平面图.pdf", "green")
    items = [
        {"requirement": licence.pk, "document": first.pk},
        {"requirement": floor_plan.pk, "document": second.pk},
    ]
    response = api.post(URL, body(matter, materials=items, submit=True), format="json")
    assert response.status_code == 201, response.json()
    materials_given = api.get(response["Location"]).json()["materials"]
    assert [m["document"]["id"] for m in materials_given] == [first.pk, second.pk]
    assert Document.objects.filter(owner=citizen).count() == 2


def test_someone_elses_document_cannot_be_reused(api, matter, licence, other_citizen):
    theirs = my_document(other_citizen)
    items = [{"requirement": licence.pk, "document": theirs.pk}]
    response = api.post(URL, body(matter, materials=items), format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"materials[0]": ["只能使用本人或本单位资料库中的材料。"]}


def test_a_materials_item_needs_a_document_or_a_promise(api, matter, licence):
    response = api.post(URL, body(matter, materials=[{"requirement": licence.pk}]), format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["materials[0]"]


@pytest.fixture
def tolerant_matter(matter):
    matter.allows_deficiency_acceptance = True
    matter.save(update_fields=["allows_deficiency_acceptance"])
    return matter


def test_a_non_key_material_may_be_promised_where_the_matter_allows_it(
    api, tolerant_matter, licence, floor_plan
):
    promise = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    items = [{"requirement": floor_plan.pk, "promise_date": promise, "note": "装修完成后补交"}]
    data = multipart(
        tolerant_matter, {f"material_{licence.pk}": pdf_upload()}, materials=items, submit="true"
    )
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    promised = api.get(response["Location"]).json()["materials"][1]
    assert promised["status"] == {"code": "promised", "label": "容缺后补"}
    assert promised["promise_date"] == promise
    assert Case.objects.get().deficiency_promise_date.isoformat() == promise


def test_a_key_material_cannot_be_promised(api, tolerant_matter, licence):
    promise = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    items = [{"requirement": licence.pk, "promise_date": promise}]
    response = api.post(URL, body(tolerant_matter, materials=items), format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"materials[0]": ["《营业执照》是关键材料，不能容缺后补，请上传。"]}


def test_a_submission_missing_materials_is_refused_with_every_problem_and_nothing_is_kept(
    api, matter, licence, floor_plan
):
    response = api.post(URL, body(matter, submit=True), format="json")
    assert response.status_code == 409
    refusal = error(response)
    assert refusal["code"] == "conflict"
    assert refusal["reason"] == "incomplete"
    assert refusal["problems"] == [
        "缺少必要材料《营业执照》，请上传。",
        "缺少必要材料《经营场所平面图》，请上传。",
    ]
    assert not Case.objects.exists()


# --- Applying for an enterprise ----------------------------------------------------------------


@pytest.fixture
def enterprise(citizen):
    enterprise = Enterprise.objects.create(
        name="中山市李记餐饮有限公司", uscc=ENTERPRISE_USCC, legal_representative="李四"
    )
    EnterpriseMembership.objects.create(user=citizen, enterprise=enterprise)
    return enterprise


def test_a_member_applies_in_the_enterprises_name(api, matter, requirements, enterprise):
    response = api.post(URL, body(matter, org_code=enterprise.uscc.lower()), format="json")
    assert response.status_code == 201
    applicant = api.get(response["Location"]).json()["applicant"]
    assert applicant["type"] == "2"
    assert applicant["name"] == applicant["org_name"] == "中山市李记餐饮有限公司"
    assert applicant["org_code"] == ENTERPRISE_USCC
    assert applicant["contact_name"] == "李四"


def test_nobody_applies_for_an_enterprise_they_do_not_act_for(
    matter, requirements, enterprise, other_citizen
):
    response = token_client(other_citizen).post(URL, body(matter, org_code=enterprise.uscc), format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["org_code"]


# --- Drafts --------------------------------------------------------------------------------------


def draft_url(case: dict | Case, suffix: str = "") -> str:
    public_id = case["id"] if isinstance(case, dict) else case.submission.public_id
    return f"/api/v1/drafts/{public_id}/{suffix}"


@pytest.fixture
def draft(api, matter, requirements):
    return api.post(URL, body(matter, form={"shop_name": "李记"}), format="json").json()


def test_patching_a_draft_merges_the_answers(api, draft):
    response = api.patch(draft_url(draft), {"form": {"area": "12.5"}}, format="json")
    assert response.status_code == 200
    assert response.json()["form"]["shop_name"] == "李记"
    assert response.json()["form"]["area"] == "12.50"


def test_patching_a_wrong_answer_names_the_field_and_keeps_the_draft(api, draft):
    response = api.patch(draft_url(draft), {"form": {"start": "not a date"}}, format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["form.start"]
    assert api.get(draft_url(draft)).json()["form"] == {"shop_name": "李记"}


def test_uploads_are_added_to_a_draft(api, draft, licence):
    response = api.patch(draft_url(draft), {f"material_{licence.pk}": pdf_upload()}, format="multipart")
    assert response.status_code == 200
    assert [m["requirement_name"] for m in response.json()["materials"]] == ["营业执照"]


def test_a_complete_draft_is_submitted(api, draft, licence, floor_plan):
    api.patch(
        draft_url(draft),
        {f"material_{licence.pk}": pdf_upload(), f"material_{floor_plan.pk}": pdf_upload("b.pdf", "red")},
        format="multipart",
    )
    response = api.post(draft_url(draft, "submit/"))
    assert response.status_code == 200
    assert response.json()["state"]["code"] == "submitted"
    assert len(response.json()["serial"]) == 43


def test_an_incomplete_draft_is_refused_with_the_list_of_problems(api, draft):
    response = api.post(draft_url(draft, "submit/"))
    assert response.status_code == 409
    assert error(response)["reason"] == "incomplete"
    assert "缺少必要材料《营业执照》，请上传。" in error(response)["problems"]


def test_a_submitted_application_is_no_longer_a_draft_to_change(api, draft, licence, floor_plan):
    api.patch(
        draft_url(draft),
        {f"material_{licence.pk}": pdf_upload(), f"material_{floor_plan.pk}": pdf_upload("b.pdf", "red")},
        format="multipart",
    )
    api.post(draft_url(draft, "submit/"))
    response = api.patch(draft_url(draft), {"form": {"area": "1"}}, format="json")
    assert response.status_code == 409
    assert error(response)["reason"] == "invalid_state"


def test_a_draft_is_deleted_and_its_uploads_stay_in_the_store(api, draft, licence, citizen):
    api.patch(draft_url(draft), {f"material_{licence.pk}": pdf_upload()}, format="multipart")
    assert api.delete(draft_url(draft)).status_code == 204
    assert api.get(draft_url(draft)).status_code == 404
    assert Document.objects.filter(owner=citizen).count() == 1


def test_another_citizens_draft_is_not_found(draft, other_citizen):
    other = token_client(other_citizen)
    assert other.get(draft_url(draft)).status_code == 404
    assert other.patch(draft_url(draft), {"form": {"area": "1"}}, format="json").status_code == 404
    assert other.post(draft_url(draft, "submit/")).status_code == 404


# --- My cases -----------------------------------------------------------------------------------


def test_my_list_has_my_cases_only_newest_first_with_their_status(api, build, citizen, other_citizen):
    older = build(State.ACCEPTED)
    newer = build(State.SUBMITTED)
    build(State.SUBMITTED, applicant=other_citizen)
    response = api.get(URL)
    rows = response.json()["results"]
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [row["serial"] for row in rows] == [newer.serial, older.serial]
    assert rows[1]["status"] == "已受理"
    assert rows[1]["remaining_workdays"] == 10
    assert rows[0]["remaining_workdays"] is None


def test_my_list_filters_by_state(api, build):
    build(State.ACCEPTED)
    submitted = build(State.SUBMITTED)
    rows = api.get(URL, {"state": "submitted"}).json()["results"]
    assert [row["serial"] for row in rows] == [submitted.serial]


def test_my_list_includes_drafts_with_their_draft_link(api, build):
    draft = build(State.DRAFT)
    row = api.get(URL).json()["results"][0]
    assert row["serial"] is None
    assert row["url"].endswith(draft_url(draft))


def test_my_list_is_paginated(api, build):
    for _ in range(3):
        build(State.SUBMITTED)
    page = api.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]


def test_the_detail_shows_timeline_wording_clock_and_issued_documents(api, build):
    case = build(State.ACCEPTED)
    response = api.get(f"{URL}{case.serial}/")
    detail = response.json()
    assert response.status_code == 200
    assert [row["label"] for row in detail["timeline"]] == ["提交申请", "签收预审", "受理"]
    assert detail["wording"]["title"] == "已受理"
    assert case.promised_due_date.isoformat() in detail["wording"]["next_step"]
    assert detail["clock"]["remaining_workdays"] == 10
    assert detail["clock"]["running"] is True
    receipt = detail["issued_documents"][0]
    assert receipt["kind"] == {"code": "receipt", "label": "受理回执"}
    assert "/issued/" in receipt["download"] and "/verify/" in receipt["verify"]
    assert detail["actions"] == ["withdraw"]
    assert detail["applicant"]["id_number"] != case.submission.applicant_id_number  # masked


def test_the_serial_is_not_case_sensitive(api, build):
    case = build(State.SUBMITTED)
    assert api.get(f"{URL}{case.serial.lower()}/").status_code == 200


def test_another_citizens_case_is_not_found(build, other_citizen):
    case = build(State.SUBMITTED)
    other = token_client(other_citizen)
    assert other.get(f"{URL}{case.serial}/").status_code == 404
    assert other.post(f"{URL}{case.serial}/withdraw/", {"reason": "other"}, format="json").status_code == 404
    assert other.post(f"{URL}{case.serial}/corrections/", {}, format="json").status_code == 404


def test_staff_of_the_department_and_supervisors_read_the_case_others_do_not(
    build, clerk, other_staff, supervisor
):
    case = build(State.SUBMITTED)
    assert token_client(clerk).get(f"{URL}{case.serial}/").status_code == 200
    assert token_client(supervisor).get(f"{URL}{case.serial}/").status_code == 200
    assert token_client(other_staff).get(f"{URL}{case.serial}/").status_code == 404


# --- Withdrawal ---------------------------------------------------------------------------------


def test_the_applicant_withdraws_with_a_reason_from_the_list(api, build):
    case = build(State.PRE_REVIEW)
    response = api.post(
        f"{URL}{case.serial}/withdraw/", {"reason": "wrong_matter", "opinion": "选错事项"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"]["code"] == "withdrawn"
    assert response.json()["timeline"][-1]["reason"] == "申报事项选择错误"


def test_a_reason_not_in_the_list_is_named(api, build):
    case = build(State.SUBMITTED)
    response = api.post(f"{URL}{case.serial}/withdraw/", {"reason": "bored"}, format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"reason": ["请从列表中选择撤回原因。"]}


def test_a_decided_case_cannot_be_withdrawn(api, build):
    case = build(State.DECIDED)
    response = api.post(f"{URL}{case.serial}/withdraw/", {"reason": "other"}, format="json")
    assert response.status_code == 409
    assert error(response)["reason"] == "invalid_state"
    assert "已决定" in error(response)["message"]


# --- Corrections --------------------------------------------------------------------------------


def test_a_correction_is_supplied_with_a_new_upload(api, build, matter):
    case = build(State.CORRECTION_REQUESTED)
    licence = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    data = {"note": "已补交营业执照", f"material_{licence.pk}": pdf_upload()}
    response = api.post(f"{URL}{case.serial}/corrections/", data, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["state"]["code"] == "submitted"
    assert response.json()["timeline"][-1]["opinion"] == "已补交营业执照"


def test_a_correction_still_missing_a_material_is_refused_with_the_problems(api, build, matter):
    case = build(State.CORRECTION_REQUESTED)
    factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    response = api.post(f"{URL}{case.serial}/corrections/", {"note": "补"}, format="json")
    assert response.status_code == 409
    assert error(response)["problems"] == ["缺少必要材料《营业执照》，请上传。"]
    case.refresh_from_db()
    assert case.state == State.CORRECTION_REQUESTED


def test_no_correction_is_taken_when_none_was_asked_for(api, build, matter):
    case = build(State.ACCEPTED)
    licence = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    response = api.post(
        f"{URL}{case.serial}/corrections/", {f"material_{licence.pk}": pdf_upload()}, format="multipart"
    )
    assert response.status_code == 409
    assert error(response)["reason"] == "invalid_state"
    assert not SubmissionMaterial.objects.filter(submission=case.submission).exists()


# --- Document store -----------------------------------------------------------------------------


def test_my_document_store_lists_my_documents_only(api, citizen, other_citizen):
    mine = my_document(citizen)
    my_document(other_citizen)
    rows = api.get("/api/v1/documents/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["url"].endswith(f"/me/documents/{mine.pk}/file/")


def test_a_file_under_another_field_name_is_named(api, matter, requirements):
    response = api.post(URL, multipart(matter, {"licence": pdf_upload()}), format="multipart")
    assert response.status_code == 400
    assert error(response)["fields"] == {"licence": ["上传字段应为 material_<材料要求 id>。"]}
