"""Materials of an application, the document store (资料库) and its reuse (applications.materials)."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from applications import materials, services, uploads
from applications.models import Document, State, SubmissionMaterial
from applications.services import ApplicantData, SubmissionIncomplete
from enterprises.models import Enterprise, EnterpriseMembership
from matters.models import MaterialRequirement
from tests import factories

USCC = factories.make_uscc(777, prefix="91442000")


def pdf_file(name: str = "材料.pdf", pages: int = 1, colour: str = "white") -> SimpleUploadedFile:
    images = [Image.new("RGB", (300, 300), colour) for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def draft(applicant, matter, org_code: str = ""):
    data = ApplicantData(name="李四", id_number=factories.make_id_number(), org_code=org_code, org_name="")
    return services.create_draft(applicant=applicant, matter=matter, data=data)


@pytest.fixture
def licence(matter):
    return factories.MaterialRequirementFactory(matter=matter, name="营业执照", sort_order=1)


@pytest.fixture
def floor_plan(matter):
    """Not a key material: may be promised where the matter allows 容缺受理."""
    return factories.MaterialRequirementFactory(
        matter=matter, name="经营场所平面图", sort_order=2, key_material=False
    )


@pytest.fixture
def case(citizen, matter, licence):
    return draft(citizen, matter)


@pytest.fixture
def tolerant_matter(matter):
    matter.allows_deficiency_acceptance = True
    matter.save(update_fields=["allows_deficiency_acceptance"])
    return matter


# --- Uploading ----------------------------------------------------------------------------


def test_an_uploaded_pdf_is_attached_and_kept_in_the_document_store(case, citizen, licence):
    material = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file("营业执照副本.pdf"), actor=citizen
    )

    document = material.document
    assert material.status == SubmissionMaterial.Status.PROVIDED
    assert list(materials.library(citizen)) == [document]
    assert (document.title, document.original_name, document.pages) == ("营业执照", "营业执照副本.pdf", 1)
    assert document.content_type == "application/pdf"
    assert len(document.sha256) == 64


def test_the_stored_file_name_is_unguessable(case, citizen, licence):
    document = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file("营业执照.pdf"), actor=citizen
    ).document

    assert re.fullmatch(r"documents/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", document.file.name)
    assert document.file.storage is materials.Document._meta.get_field("file").storage


def test_the_same_file_uploaded_twice_is_kept_once(case, citizen, licence, floor_plan):
    # The same bytes (a PDF made twice can differ: PIL writes the time of creation).
    content = pdf_file().read()
    first = materials.attach_upload(
        submission=case.submission,
        requirement=licence,
        file=SimpleUploadedFile("材料.pdf", content, content_type="application/pdf"),
        actor=citizen,
    )
    second = materials.attach_upload(
        submission=case.submission,
        requirement=floor_plan,
        file=SimpleUploadedFile("材料.pdf", content, content_type="application/pdf"),
        actor=citizen,
    )

    assert first.document == second.document
    assert Document.objects.count() == 1


def test_a_renamed_exe_is_refused_and_nothing_is_stored(case, citizen, licence):
    exe = SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00" + b"\x00" * 500, content_type="application/pdf")

    with pytest.raises(uploads.UploadRejected) as caught:
        materials.attach_upload(submission=case.submission, requirement=licence, file=exe, actor=citizen)

    assert "营业执照.pdf" in caught.value.messages[0]
    assert not Document.objects.exists()
    assert not SubmissionMaterial.objects.exists()


def test_another_citizen_cannot_add_materials_to_my_application(case, other_citizen, licence):
    with pytest.raises(materials.MaterialError) as caught:
        materials.attach_upload(
            submission=case.submission, requirement=licence, file=pdf_file(), actor=other_citizen
        )

    assert caught.value.code == "forbidden"


def test_a_requirement_of_another_matter_is_refused(case, citizen):
    elsewhere = factories.MaterialRequirementFactory(name="其他事项的材料")

    with pytest.raises(materials.MaterialError) as caught:
        materials.attach_upload(
            submission=case.submission, requirement=elsewhere, file=pdf_file(), actor=citizen
        )

    assert caught.value.code == "wrong_requirement"


def test_materials_cannot_change_once_submitted(case, citizen, licence, floor_plan):
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)
    materials.attach_upload(
        submission=case.submission, requirement=floor_plan, file=pdf_file(colour="black"), actor=citizen
    )
    services.submit(case=case, actor=citizen)

    with pytest.raises(materials.MaterialError) as caught:
        materials.attach_upload(
            submission=case.submission, requirement=licence, file=pdf_file(colour="red"), actor=citizen
        )

    assert caught.value.code == "invalid_state"


def test_removing_a_material_keeps_the_document_in_the_store(case, citizen, licence):
    material = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    )

    materials.remove_material(material=material, actor=citizen)

    assert not SubmissionMaterial.objects.exists()
    assert list(materials.library(citizen)) == [material.document]


# --- Reusing the document store (历史材料加载) ---------------------------------------------


def test_a_document_from_an_earlier_application_can_be_reused(case, citizen, matter, licence):
    earlier = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    ).document
    later = draft(citizen, matter)

    material = materials.reuse_document(later.submission, licence, earlier, citizen)

    assert material.document == earlier
    assert materials.requirement_reports(later.submission)[0].ok


def test_someone_elses_document_cannot_be_reused(case, citizen, other_citizen, matter, licence):
    theirs = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    ).document
    mine = draft(other_citizen, matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.reuse_document(mine.submission, licence, theirs, other_citizen)

    assert caught.value.code == "not_your_document"
    assert not mine.submission.materials.exists()


def test_an_issued_result_is_kept_in_the_store_and_can_be_reused(citizen, matter, licence):
    result = materials.keep_result(
        owner=citizen, content=pdf_file().read(), title="食品经营许可证", name="许可证.pdf"
    )
    case = draft(citizen, matter)

    materials.reuse_document(case.submission, licence, result, citizen)

    assert result.kind == Document.Kind.RESULT
    assert result in materials.library(citizen)
    assert materials.material_problems(case) == []


@pytest.fixture
def enterprise_document(citizen, matter, licence):
    """A document uploaded by an agent in an application for the enterprise."""
    enterprise = Enterprise.objects.create(
        name="中山市示例食品有限公司", uscc=USCC, legal_representative="赵六"
    )
    EnterpriseMembership.objects.create(user=citizen, enterprise=enterprise)
    case = draft(citizen, matter, org_code=USCC)
    return materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    ).document


def test_another_agent_of_the_enterprise_can_reuse_its_documents(
    enterprise_document, other_citizen, matter, licence
):
    EnterpriseMembership.objects.create(user=other_citizen, enterprise=Enterprise.objects.get(uscc=USCC))
    case = draft(other_citizen, matter, org_code=USCC)

    material = materials.reuse_document(case.submission, licence, enterprise_document, other_citizen)

    assert enterprise_document.org_code == USCC
    assert material.document == enterprise_document
    assert enterprise_document in materials.library(other_citizen)


def test_an_enterprise_document_cannot_be_reused_by_someone_who_does_not_act_for_it(
    enterprise_document, other_citizen, matter, licence
):
    case = draft(other_citizen, matter, org_code=USCC)

    with pytest.raises(materials.MaterialError):
        materials.reuse_document(case.submission, licence, enterprise_document, other_citizen)

    assert enterprise_document not in materials.library(other_citizen)


def test_an_enterprise_document_is_not_reused_in_a_personal_application(
    enterprise_document, other_citizen, matter, licence
):
    EnterpriseMembership.objects.create(user=other_citizen, enterprise=Enterprise.objects.get(uscc=USCC))
    personal = draft(other_citizen, matter)

    with pytest.raises(materials.MaterialError):
        materials.reuse_document(personal.submission, licence, enterprise_document, other_citizen)


def test_a_document_whose_file_is_gone_cannot_be_reused(case, citizen, matter, licence):
    document = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    ).document
    document.file.storage.delete(document.file.name)
    later = draft(citizen, matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.reuse_document(later.submission, licence, document, citizen)

    assert caught.value.code == "unreadable"


# --- Material standardisation checks (材料规范化校验) ---------------------------------------


def test_submission_is_refused_with_every_missing_required_material(citizen, matter):
    for order, name in enumerate(["身份证", "营业执照", "场所证明"], start=1):
        factories.MaterialRequirementFactory(matter=matter, name=name, sort_order=order)
    factories.MaterialRequirementFactory(
        matter=matter, name="委托书", sort_order=4, necessity=MaterialRequirement.Necessity.OPTIONAL
    )
    factories.MaterialRequirementFactory(
        matter=matter, name="纸质原件", sort_order=5, medium=MaterialRequirement.Medium.PAPER
    )
    case = draft(citizen, matter)

    with pytest.raises(SubmissionIncomplete) as caught:
        services.submit(case=case, actor=citizen)

    assert caught.value.problems == [
        "缺少必要材料《身份证》，请上传。",
        "缺少必要材料《营业执照》，请上传。",
        "缺少必要材料《场所证明》，请上传。",
    ]
    case.refresh_from_db()
    assert case.state == State.DRAFT
    assert case.serial is None


def test_a_complete_application_is_submitted(case, citizen, licence):
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)

    case = services.submit(case=case, actor=citizen)

    assert case.state == State.SUBMITTED


def test_a_material_whose_file_became_unreadable_is_reported(case, citizen, licence):
    document = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file("执照.pdf"), actor=citizen
    ).document
    document.file.storage.delete(document.file.name)

    assert materials.material_problems(case) == ["《营业执照》的文件“执照.pdf”无法读取，请重新上传。"]


def test_a_material_of_a_type_no_longer_allowed_is_reported(case, citizen, licence, settings):
    materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file("执照.pdf"), actor=citizen
    )
    settings.UPLOAD_ALLOWED_TYPES = {"image/png": ".png"}

    assert materials.material_problems(case) == [
        "《营业执照》的文件“执照.pdf”类型不符合要求，仅支持 PNG 格式。"
    ]


def test_a_material_sent_back_for_correction_is_reported_until_replaced(case, citizen, licence):
    material = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen
    )
    SubmissionMaterial.objects.filter(pk=material.pk).update(status=SubmissionMaterial.Status.CORRECTION)

    assert materials.material_problems(case) == ["《营业执照》需要补正，请重新上传。"]

    materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_file(colour="red"), actor=citizen
    )

    assert materials.material_problems(case) == []


# --- 容缺受理 -------------------------------------------------------------------------------


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def test_a_non_key_material_may_be_promised_where_the_matter_allows_it(
    tolerant_matter, citizen, licence, floor_plan
):
    case = draft(citizen, tolerant_matter)
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)

    promise = materials.promise_material(
        submission=case.submission, requirement=floor_plan, promise_date=in_days(30), actor=citizen
    )
    case = services.submit(case=case, actor=citizen)

    assert promise.status == SubmissionMaterial.Status.PROMISED
    assert case.state == State.SUBMITTED
    assert case.deficiency_promise_date == in_days(30)


def test_a_missing_non_key_material_suggests_the_promise(tolerant_matter, citizen, licence, floor_plan):
    case = draft(citizen, tolerant_matter)
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)

    assert materials.material_problems(case) == [
        "缺少必要材料《经营场所平面图》，请上传或承诺限期补交（容缺受理）。"
    ]


def test_a_key_material_can_never_be_promised(tolerant_matter, citizen, licence):
    case = draft(citizen, tolerant_matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.promise_material(
            submission=case.submission, requirement=licence, promise_date=in_days(5), actor=citizen
        )

    assert caught.value.code == "key_material"
    assert "关键材料" in caught.value.messages[0]


def test_nothing_may_be_promised_where_the_matter_does_not_allow_it(matter, citizen, floor_plan):
    case = draft(citizen, matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.promise_material(
            submission=case.submission, requirement=floor_plan, promise_date=in_days(5), actor=citizen
        )

    assert caught.value.code == "no_deficiency"


@pytest.mark.parametrize(("days", "code"), [(-1, "promise_date_past"), (31, "promise_date_too_late")])
def test_the_promised_date_is_within_thirty_days(tolerant_matter, citizen, floor_plan, days, code):
    case = draft(citizen, tolerant_matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.promise_material(
            submission=case.submission, requirement=floor_plan, promise_date=in_days(days), actor=citizen
        )

    assert caught.value.code == code


def test_a_promise_without_a_date_is_refused(tolerant_matter, citizen, floor_plan):
    case = draft(citizen, tolerant_matter)

    with pytest.raises(materials.MaterialError) as caught:
        materials.promise_material(
            submission=case.submission, requirement=floor_plan, promise_date=None, actor=citizen
        )

    assert caught.value.messages == ["请填写承诺补交日期。"]


def test_a_promise_whose_date_has_passed_stops_the_submission(tolerant_matter, citizen, licence, floor_plan):
    case = draft(citizen, tolerant_matter)
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)
    materials.promise_material(
        submission=case.submission, requirement=floor_plan, promise_date=in_days(3), actor=citizen
    )

    with (
        time_machine.travel(timezone.now() + datetime.timedelta(days=5)),
        pytest.raises(SubmissionIncomplete) as caught,
    ):
        services.submit(case=case, actor=citizen)

    assert any("承诺补交日期" in p and "已过" in p for p in caught.value.problems)


def test_uploading_the_promised_material_replaces_the_promise(tolerant_matter, citizen, floor_plan):
    case = draft(citizen, tolerant_matter)
    materials.promise_material(
        submission=case.submission, requirement=floor_plan, promise_date=in_days(10), actor=citizen
    )

    materials.attach_upload(
        submission=case.submission, requirement=floor_plan, file=pdf_file(), actor=citizen
    )

    case.refresh_from_db()
    statuses = list(case.submission.materials.values_list("status", flat=True))
    assert statuses == [SubmissionMaterial.Status.PROVIDED]
    assert case.deficiency_promise_date is None


def test_files_beyond_the_limit_per_material_are_refused_before_storing(case, citizen, licence, settings):
    settings.UPLOAD_MAX_FILES_PER_MATERIAL = 1
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_file(), actor=citizen)

    with pytest.raises(materials.MaterialError) as caught:
        materials.attach_upload(
            submission=case.submission, requirement=licence, file=pdf_file(colour="red"), actor=citizen
        )

    assert caught.value.messages == ["《营业执照》最多上传 1 个文件。"]
    assert Document.objects.count() == 1
