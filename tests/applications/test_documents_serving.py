"""Files are served only through a view that checks who is asking (applications.views.documents)."""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications import materials, services
from applications.services import ApplicantData
from tests import factories


def pdf_upload(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def png_upload(name: str = "照片.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def licence(matter):
    return factories.MaterialRequirementFactory(matter=matter, name="营业执照")


@pytest.fixture
def draft_case(citizen, matter, licence):
    data = ApplicantData(name="李四", id_number=factories.make_id_number())
    return services.create_draft(applicant=citizen, matter=matter, data=data)


@pytest.fixture
def document(draft_case, citizen, licence):
    """A material of a draft (not yet seen by the department)."""
    return materials.attach_upload(
        submission=draft_case.submission, requirement=licence, file=pdf_upload(), actor=citizen
    ).document


@pytest.fixture
def submitted(draft_case, document, citizen):
    services.submit(case=draft_case, actor=citizen)
    return document


def file_url(document, **query) -> str:
    url = reverse("applications:document_file", args=[document.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_the_owner_gets_the_file_inline_with_safe_headers(client, citizen, document):
    response = get(client, citizen, file_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document.file.open("rb").read()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"inline; filename*=utf-8''{quote('营业执照.pdf')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_download_asks_for_an_attachment(client, citizen, document):
    response = get(client, citizen, file_url(document, download=1))

    assert response["Content-Disposition"].startswith("attachment;")


def test_an_image_is_served_with_its_stored_content_type(client, citizen, draft_case, licence):
    photo = materials.attach_upload(
        submission=draft_case.submission, requirement=licence, file=png_upload(), actor=citizen
    ).document

    response = get(client, citizen, file_url(photo))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")


def test_another_citizen_gets_404(client, other_citizen, submitted):
    assert get(client, other_citizen, file_url(submitted)).status_code == 404


def test_staff_of_the_handling_department_get_the_file_of_a_submitted_case(client, clerk, submitted):
    assert get(client, clerk, file_url(submitted)).status_code == 200


def test_staff_of_the_handling_department_do_not_see_a_draft(client, clerk, document):
    assert get(client, clerk, file_url(document)).status_code == 404


def test_staff_of_another_department_get_404(client, other_department_approver, submitted):
    assert get(client, other_department_approver, file_url(submitted)).status_code == 404


def test_catalogue_editors_of_the_department_who_do_not_handle_cases_get_404(
    client, catalogue_staff, submitted
):
    assert get(client, catalogue_staff, file_url(submitted)).status_code == 404


def test_a_supervisor_gets_the_file(client, supervisor, submitted):
    assert get(client, supervisor, file_url(submitted)).status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client, submitted):
    response = client.get(file_url(submitted))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_missing_document_is_404(client, citizen):
    assert get(client, citizen, reverse("applications:document_file", args=[999_999])).status_code == 404


def test_the_preview_can_be_framed_by_this_site_only(client, clerk, submitted):
    response = get(client, clerk, reverse("applications:document_preview", args=[submitted.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_preview_is_404_to_staff_of_another_department(client, other_department_approver, submitted):
    url = reverse("applications:document_preview", args=[submitted.pk])

    assert get(client, other_department_approver, url).status_code == 404


def test_the_served_name_is_the_sanitised_one(client, citizen, draft_case, licence):
    document = materials.attach_upload(
        submission=draft_case.submission,
        requirement=licence,
        file=pdf_upload('..\\..\\证明"\r\n.pdf'),
        actor=citizen,
    ).document

    response = get(client, citizen, file_url(document))

    assert document.original_name == "证明_.pdf"
    assert response["Content-Disposition"] == f"inline; filename*=utf-8''{quote('证明_.pdf')}"


def test_a_file_gone_from_storage_is_404_not_an_error(client, citizen, document):
    document.file.storage.delete(document.file.name)

    assert get(client, citizen, file_url(document)).status_code == 404
