"""我的资料库 and the materials panel of an application, in the browser (with and without htmx)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from applications import materials, services
from applications.models import Document, SubmissionMaterial
from applications.services import ApplicantData
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def pdf_upload(name: str = "营业执照.pdf", colour: str = "white") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def licence(matter):
    return factories.MaterialRequirementFactory(matter=matter, name="营业执照", sort_order=1)


@pytest.fixture
def floor_plan(matter):
    return factories.MaterialRequirementFactory(
        matter=matter, name="经营场所平面图", sort_order=2, key_material=False
    )


@pytest.fixture
def case(citizen, matter, licence, floor_plan):
    data = ApplicantData(name="李四", id_number=factories.make_id_number())
    return services.create_draft(applicant=citizen, matter=matter, data=data)


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def panel_url(case) -> str:
    return reverse("applications:materials", args=[case.submission.public_id])


def action_url(case, requirement) -> str:
    return reverse("applications:material_action", args=[case.submission.public_id, requirement.pk])


def stored_document(owner, title: str, when: datetime.datetime) -> Document:
    document = Document.objects.create(
        owner=owner,
        title=title,
        original_name=f"{title}.pdf",
        file=f"documents/{title}.pdf",
        extension=".pdf",
        content_type="application/pdf",
        size=2048,
        sha256="0" * 64,
    )
    Document.objects.filter(pk=document.pk).update(created_at=when)
    return document


# --- 我的资料库 ------------------------------------------------------------------------------


def test_the_library_lists_my_documents_newest_first_with_links(logged_in, citizen):
    now = timezone.now()
    older = stored_document(citizen, "身份证", now - datetime.timedelta(days=2))
    newer = stored_document(citizen, "户口本", now - datetime.timedelta(days=1))

    page = text(logged_in.get(reverse("applications:documents")))

    assert page.index("户口本") < page.index("身份证")
    assert reverse("applications:document_file", args=[newer.pk]) + "?download=1" in page
    assert reverse("applications:document_file", args=[older.pk]) in page


def test_the_library_does_not_show_other_peoples_documents(logged_in, other_citizen):
    stored_document(other_citizen, "别人的资料", timezone.now())

    page = text(logged_in.get(reverse("applications:documents")))

    assert "别人的资料" not in page
    assert "资料库还是空的" in page


def test_the_library_is_paginated(logged_in, citizen):
    start = timezone.now()
    for number in range(25):
        stored_document(citizen, f"资料{number:02d}", start - datetime.timedelta(minutes=number))

    first = text(logged_in.get(reverse("applications:documents")))
    second = text(logged_in.get(reverse("applications:documents") + "?page=2"))

    assert "资料00" in first and "资料19" in first and "资料20" not in first
    assert "资料20" in second and "资料24" in second and "资料00" not in second


def test_the_library_needs_a_login(client):
    response = client.get(reverse("applications:documents"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- The materials panel -------------------------------------------------------------------


def test_the_panel_lists_each_requirement_and_what_is_missing(logged_in, case):
    page = text(logged_in.get(panel_url(case)))

    assert "缺少必要材料《营业执照》，请上传。" in page
    assert "缺少必要材料《经营场所平面图》，请上传。" in page
    assert 'accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.png"' in page


def test_the_panel_of_someone_elses_application_is_404(client, other_citizen, case):
    client.force_login(other_citizen)

    assert client.get(panel_url(case)).status_code == 404


def test_uploading_without_javascript_attaches_the_file_and_returns_to_the_page(logged_in, case, licence):
    response = logged_in.post(action_url(case, licence), {"action": "upload", "file": pdf_upload()})

    assert response.status_code == 302
    assert response["Location"] == panel_url(case)
    assert case.submission.materials.get().document.original_name == "营业执照.pdf"


def test_uploading_with_htmx_returns_the_updated_panel(logged_in, case, licence):
    response = logged_in.post(action_url(case, licence), {"action": "upload", "file": pdf_upload()}, **HTMX)

    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="materials-panel"')
    assert "营业执照.pdf" in page
    assert "缺少必要材料《营业执照》" not in page


def test_a_renamed_exe_is_refused_next_to_the_field(logged_in, case, licence):
    exe = SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00" + b"\x00" * 500, content_type="application/pdf")

    response = logged_in.post(action_url(case, licence), {"action": "upload", "file": exe}, **HTMX)

    page = text(response)
    assert response.status_code == 200
    assert f'id="material-{licence.pk}-file_error"' in page
    assert "文件“营业执照.pdf”的实际类型不符合要求" in page
    assert not Document.objects.exists()


def test_an_oversized_upload_is_dropped_while_receiving_and_refused(logged_in, case, licence, settings):
    settings.UPLOAD_MAX_BYTES = 100 * 1024
    big = SimpleUploadedFile(
        "扫描件.pdf", b"%PDF-1.4\n" + b"0" * (300 * 1024), content_type="application/pdf"
    )

    response = logged_in.post(action_url(case, licence), {"action": "upload", "file": big}, **HTMX)

    assert "文件“扫描件.pdf”超过 100.0\xa0KB 的大小限制" in text(response)
    assert not Document.objects.exists()


def test_loading_a_document_from_the_store_attaches_it(logged_in, case, citizen, matter, licence):
    earlier = services.create_draft(applicant=citizen, matter=matter, data=ApplicantData(name="李四"))
    document = materials.attach_upload(
        submission=earlier.submission, requirement=licence, file=pdf_upload(), actor=citizen
    ).document

    page = text(logged_in.get(panel_url(case)))
    assert f'<option value="{document.pk}">' in page

    logged_in.post(action_url(case, licence), {"action": "reuse", "document": document.pk}, **HTMX)

    assert case.submission.materials.get().document == document


def test_loading_someone_elses_document_is_refused(logged_in, case, other_citizen, matter, licence):
    theirs = services.create_draft(applicant=other_citizen, matter=matter, data=ApplicantData(name="王五"))
    document = materials.attach_upload(
        submission=theirs.submission, requirement=licence, file=pdf_upload(), actor=other_citizen
    ).document

    response = logged_in.post(action_url(case, licence), {"action": "reuse", "document": document.pk}, **HTMX)

    assert "只能使用本人或本单位资料库中的材料。" in text(response)
    assert not case.submission.materials.exists()


def test_a_promise_form_is_offered_only_for_non_key_materials_of_tolerant_matters(
    logged_in, case, matter, licence
):
    assert "容缺受理：暂缺此材料" not in text(logged_in.get(panel_url(case)))

    matter.allows_deficiency_acceptance = True
    matter.save(update_fields=["allows_deficiency_acceptance"])
    page = text(logged_in.get(panel_url(case)))

    assert page.count("容缺受理：暂缺此材料") == 1
    assert "请上传或承诺限期补交（容缺受理）" in page


def test_a_promise_dated_in_the_past_is_refused_in_place(logged_in, case, matter, floor_plan):
    matter.allows_deficiency_acceptance = True
    matter.save(update_fields=["allows_deficiency_acceptance"])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = logged_in.post(
        action_url(case, floor_plan), {"action": "promise", "promise_date": yesterday.isoformat()}, **HTMX
    )

    assert f'id="material-{floor_plan.pk}-promise_error"' in text(response)
    assert "承诺补交日期不能早于今天。" in text(response)
    assert not case.submission.materials.exists()


def test_a_promise_is_recorded(logged_in, case, matter, floor_plan):
    matter.allows_deficiency_acceptance = True
    matter.save(update_fields=["allows_deficiency_acceptance"])
    due = timezone.localdate() + datetime.timedelta(days=7)

    response = logged_in.post(
        action_url(case, floor_plan),
        {"action": "promise", "promise_date": due.isoformat(), "note": "正在办理"},
        **HTMX,
    )

    promise = case.submission.materials.get()
    assert (promise.status, promise.promise_date, promise.note) == (
        SubmissionMaterial.Status.PROMISED,
        due,
        "正在办理",
    )
    assert f"已承诺于 {due:%Y-%m-%d} 前补交" in text(response)


def test_removing_a_file_from_the_application(logged_in, case, citizen, licence):
    material = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_upload(), actor=citizen
    )

    logged_in.post(reverse("applications:material_remove", args=[case.submission.public_id, material.pk]))

    assert not case.submission.materials.exists()
    assert Document.objects.filter(pk=material.document_id).exists()


def test_after_an_action_the_applicant_returns_to_the_apply_page(logged_in, case, licence):
    response = logged_in.post(
        action_url(case, licence), {"action": "upload", "file": pdf_upload(), "next": "/matters/x/apply/"}
    )

    assert response["Location"] == "/matters/x/apply/"


def test_a_next_address_on_another_site_is_ignored(logged_in, case, licence):
    response = logged_in.post(
        action_url(case, licence), {"action": "upload", "file": pdf_upload(), "next": "https://evil.example/"}
    )

    assert response["Location"] == panel_url(case)


def test_an_upload_without_the_csrf_token_is_refused(citizen, case, licence):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)

    response = client.post(action_url(case, licence), {"action": "upload", "file": pdf_upload()})

    assert response.status_code == 403
    assert not Document.objects.exists()


def test_a_submitted_application_shows_its_materials_without_forms(
    logged_in, case, citizen, licence, floor_plan
):
    for requirement, colour in ((licence, "white"), (floor_plan, "black")):
        materials.attach_upload(
            submission=case.submission, requirement=requirement, file=pdf_upload(colour=colour), actor=citizen
        )
    services.submit(case=case, actor=citizen)

    page = text(logged_in.get(panel_url(case)))

    assert "材料齐全，符合要求" in page
    assert 'type="file"' not in page


def test_a_document_already_attached_to_a_material_is_not_offered_again_for_it(
    logged_in, case, citizen, licence
):
    document = materials.attach_upload(
        submission=case.submission, requirement=licence, file=pdf_upload(), actor=citizen
    ).document

    page = text(logged_in.get(panel_url(case)))

    assert f'id="material-{licence.pk}-document"' not in page
    assert page.count(f'<option value="{document.pk}">') == 1  # offered for the floor plan only
