"""The public verification page of issued documents and the permission-checked download."""

import pytest
from django.urls import reverse

from applications import pdf, services
from applications.models import IssuedDocument, State
from applications.services import ApplicantData
from tests import factories
from tests.applications.conftest import PATHS

pytestmark = pytest.mark.django_db

ID_NUMBER = factories.make_id_number(birth="19850312", serial=417)
MOBILE = "13912345678"
PERSON = ApplicantData(name="陈小明", id_number=ID_NUMBER, mobile=MOBILE)


def _weasyprint_loads() -> bool:
    try:
        import weasyprint  # noqa: F401
    except OSError:  # Pango or its friends missing from the system
        return False
    return True


needs_weasyprint = pytest.mark.skipif(
    not _weasyprint_loads(), reason="WeasyPrint cannot load its system libraries (Pango)"
)


@pytest.fixture
def receipt(build) -> IssuedDocument:
    """The acceptance receipt of 陈小明's case (not rendered yet: the task is stubbed)."""
    case = services.create_draft(applicant=build.applicant, matter=build.matter, data=PERSON)
    for name in PATHS[State.ACCEPTED]:
        case = build.step(case, name)
    return IssuedDocument.objects.get(case=case, kind=IssuedDocument.Kind.RECEIPT)


def verify_url(token: str) -> str:
    return reverse("applications:verify", args=[token])


def download_url(issued: IssuedDocument) -> str:
    return reverse("applications:issued_download", args=[issued.pk])


# --- /verify/<token>/ -------------------------------------------------------------------


def test_the_verification_page_confirms_a_genuine_document_without_login(client, receipt):
    response = client.get(verify_url(receipt.token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "核验通过" in page
    assert "受理回执" in page
    assert receipt.case.serial in page
    assert receipt.case.matter.name in page
    assert receipt.case.department.name in page
    assert pdf.document_number(receipt) in page


def test_the_verification_page_masks_the_applicant_and_hides_id_number_and_phone(client, receipt):
    page = client.get(verify_url(receipt.token)).content.decode()
    assert "陈*明" in page
    assert "陈小明" not in page
    assert ID_NUMBER not in page
    assert ID_NUMBER[-6:] not in page
    assert MOBILE not in page


def test_an_unknown_token_is_reported_as_possibly_forged_with_404(client, receipt):
    response = client.get(verify_url("x" * 43))
    assert response.status_code == 404
    page = response.content.decode()
    assert "未找到该文书" in page
    assert "伪造" in page


def test_an_overlong_token_is_not_found(client, receipt):
    assert client.get(verify_url(receipt.token + "A" * 100)).status_code == 404


def test_the_verification_page_is_not_cached(client, receipt):
    response = client.get(verify_url(receipt.token))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_too_many_verifications_from_one_address_are_refused_with_429(client, receipt, settings):
    settings.VERIFY_RATE_LIMIT = "3/min"
    statuses = [client.get(verify_url(f"guess{n:038d}")).status_code for n in range(3)]
    response = client.get(verify_url(receipt.token))
    assert statuses == [404, 404, 404]
    assert response.status_code == 429
    assert "请稍后再试" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_the_limit_counts_per_address(client, receipt, settings):
    settings.VERIFY_RATE_LIMIT = "1/min"
    assert client.get(verify_url(receipt.token), REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get(verify_url(receipt.token), REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(verify_url(receipt.token), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_default_limit_is_thirty_a_minute(client, receipt):
    statuses = [client.get(verify_url(receipt.token)).status_code for _ in range(31)]
    assert statuses.count(200) == 30
    assert statuses[-1] == 429


# --- Download of the PDF ----------------------------------------------------------------


@needs_weasyprint
def test_the_applicant_downloads_the_pdf(client, receipt, citizen):
    client.force_login(citizen)
    response = client.get(download_url(receipt))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]


@needs_weasyprint
def test_staff_of_the_handling_department_download_the_pdf(client, receipt, clerk):
    client.force_login(clerk)
    response = client.get(download_url(receipt))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@needs_weasyprint
def test_a_supervisor_downloads_the_pdf(client, receipt, supervisor):
    client.force_login(supervisor)
    response = client.get(download_url(receipt))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_another_citizen_cannot_download_the_pdf(client, receipt, other_citizen):
    client.force_login(other_citizen)
    assert client.get(download_url(receipt)).status_code == 404


def test_staff_of_another_department_cannot_download_the_pdf(client, receipt, other_department_approver):
    client.force_login(other_department_approver)
    assert client.get(download_url(receipt)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, receipt):
    response = client.get(download_url(receipt))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@needs_weasyprint
def test_a_download_renders_a_document_the_worker_has_not_rendered_yet(client, receipt, citizen):
    assert not receipt.file
    client.force_login(citizen)
    assert client.get(download_url(receipt)).status_code == 200
    receipt.refresh_from_db()
    assert receipt.file
