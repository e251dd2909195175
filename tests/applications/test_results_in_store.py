"""Issued notices and results go into the applicant's 资料库 and stay visible to whoever may see
the case; a correction notice returns the materials it names; a submission keeps its form version."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications import forms_engine, materials, pdf, services
from applications.models import Document, IssuedDocument, State, SubmissionMaterial
from matters.forms_spec import FormSpec
from tests import factories


def pdf_upload(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def licence(matter):
    return factories.MaterialRequirementFactory(matter=matter, name="营业执照")


@pytest.fixture
def submitted(build, citizen, licence):
    case = build.draft()
    materials.attach_upload(submission=case.submission, requirement=licence, file=pdf_upload(), actor=citizen)
    return build.step(case, "submit")


def test_a_rendered_notice_is_kept_once_in_the_applicants_store(build, citizen):
    case = build(State.ACCEPTED)
    issued = IssuedDocument.objects.get(case=case, kind=IssuedDocument.Kind.RECEIPT)
    pdf.render_issued(issued.pk)
    pdf.render_issued(issued.pk)  # a task that runs twice keeps one copy
    kept = materials.library(citizen).filter(kind=Document.Kind.NOTICE)
    assert kept.count() == 1
    notice = kept.get()
    assert notice.case == case and notice.title.startswith("受理回执")
    assert notice.content_type == "application/pdf"


def test_a_notice_and_a_result_of_a_case_are_open_to_its_department_not_to_others(
    build, citizen, clerk, other_citizen, other_department_approver, supervisor
):
    case = build(State.DECIDED)
    result = materials.keep_result(
        owner=citizen, content=pdf_upload().read(), title="食品经营许可证", name="许可证.pdf", case=case
    )
    case = services.complete(case=case, actor=build.clerk, result_document=result)
    pdf.render_issued(IssuedDocument.objects.get(case=case, kind=IssuedDocument.Kind.COMPLETION_NOTICE).pk)
    notice = Document.objects.get(case=case, kind=Document.Kind.NOTICE)
    for document in (result, notice):
        assert materials.documents_visible_to(clerk).filter(pk=document.pk).exists()
        assert materials.documents_visible_to(supervisor).filter(pk=document.pk).exists()
        assert not materials.documents_visible_to(other_citizen).filter(pk=document.pk).exists()
        assert not materials.documents_visible_to(other_department_approver).filter(pk=document.pk).exists()


def test_staff_open_the_result_file_and_another_citizen_gets_404(
    client, build, citizen, clerk, other_citizen
):
    case = build(State.DECIDED)
    result = materials.keep_result(
        owner=citizen, content=pdf_upload().read(), title="食品经营许可证", name="许可证.pdf", case=case
    )
    services.complete(case=case, actor=build.clerk, result_document=result)
    url = reverse("applications:document_file", args=[result.pk])
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404


def test_a_correction_notice_returns_the_materials_it_names(build, submitted, citizen, licence):
    case = build.step(submitted, "sign")
    case = services.request_correction(
        case=case, actor=build.clerk, items=["营业执照复印件不清晰", "经营范围表述不规范"]
    )
    material = SubmissionMaterial.objects.get(submission=case.submission, requirement=licence)
    assert material.status == SubmissionMaterial.Status.CORRECTION
    assert case.current_record.details["materials"] == ["营业执照"]
    # The same file cannot simply be confirmed: the applicant uploads it again.
    with pytest.raises(services.SubmissionIncomplete) as refused:
        services.supply_correction(case=case, actor=citizen)
    assert "《营业执照》需要补正，请重新上传。" in refused.value.problems
    materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_upload("清晰.pdf"), actor=citizen
    )
    case = services.supply_correction(case=case, actor=citizen)
    assert case.state == State.SUBMITTED  # back to pre-review, with a new period


def test_a_correction_notice_about_the_form_only_returns_no_material(build, submitted, licence):
    case = build.step(submitted, "sign")
    case = services.request_correction(case=case, actor=build.clerk, items=["经营范围表述不规范"])
    assert "materials" not in case.current_record.details
    assert SubmissionMaterial.objects.get(requirement=licence).status == SubmissionMaterial.Status.PROVIDED


def test_a_submission_records_the_form_version_it_was_checked_against(build, matter):
    FormSpec.objects.create(matter=matter, version=3)
    case = build.draft()
    assert case.submission.form_version == 0  # a draft follows the form as it changes
    case = build.step(case, "submit")
    case.submission.refresh_from_db()
    assert case.submission.form_version == forms_engine.current_version(matter) == 3


def test_a_title_in_brackets_names_exactly_that_material(build, citizen, matter):
    household = factories.MaterialRequirementFactory(matter=matter, name="居民户口簿")
    student = factories.MaterialRequirementFactory(matter=matter, name="学生及监护人居民户口簿")
    case = build.draft()
    for requirement in (household, student):
        materials.attach_upload(
            submission=case.submission, requirement=requirement, file=pdf_upload(), actor=citizen
        )
    case = build.step(build.step(case, "submit"), "sign")
    services.request_correction(
        case=case, actor=build.clerk, items=["《学生及监护人居民户口簿》扫描件不清晰"]
    )
    statuses = dict(
        SubmissionMaterial.objects.filter(submission=case.submission).values_list(
            "requirement_name", "status"
        )
    )
    assert statuses == {"居民户口簿": "provided", "学生及监护人居民户口簿": "correction"}
