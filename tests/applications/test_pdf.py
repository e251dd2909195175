"""The PDFs the hall issues for a case: 受理回执, 补正告知书, 不予受理通知书, 办结通知书.

Reading a PDF back needs system tools (poppler-utils for pdftotext/pdftoppm, zbar-tools for
zbarimg, fonts-noto-cjk for Chinese text): the tests that use them are skipped with the
reason when a machine lacks them; CI installs them.
"""

import shutil
import subprocess

import pytest
from django.utils import translation

from applications import pdf, services, tasks
from applications.models import ApplicantType, IssuedDocument, State
from applications.services import ApplicantData
from tests import factories

pytestmark = pytest.mark.django_db

ID_NUMBER = factories.make_id_number(birth="19850312", serial=417)
MOBILE = "13912345678"
PERSON = ApplicantData(name="陈小明", id_number=ID_NUMBER, mobile=MOBILE)
ENTERPRISE = ApplicantData(
    name="陈小明",
    id_number=ID_NUMBER,
    mobile=MOBILE,
    org_name="中山市示例餐饮有限公司",
    org_code="91350100M000100Y43",
)


def _weasyprint_loads() -> bool:
    try:
        import weasyprint  # noqa: F401
    except OSError:  # Pango or its friends missing from the system
        return False
    return True


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


needs_weasyprint = pytest.mark.skipif(
    not _weasyprint_loads(), reason="WeasyPrint cannot load its system libraries (Pango)"
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None or not _has_cjk_font(),
    reason="reading PDFs back needs pdftotext/pdfinfo (apt-get install poppler-utils) "
    "and a Chinese font (apt-get install fonts-noto-cjk)",
)
needs_qr_tools = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None,
    reason="decoding the QR code needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)",
)


@pytest.fixture
def case_in(build):
    """A case of 陈小明 driven through the services to ``state`` (``data`` for an enterprise)."""

    def make(state, *, data=PERSON, matter=None):
        case = services.create_draft(applicant=build.applicant, matter=matter or build.matter, data=data)
        for name in build_path(state):
            case = build.step(case, name)
        assert case.state == state
        return case

    return make


def build_path(state):
    from tests.applications.conftest import PATHS

    return PATHS[state]


def issued_of(case, kind) -> IssuedDocument:
    return IssuedDocument.objects.get(case=case, kind=kind)


def rendered(case, kind) -> IssuedDocument:
    return pdf.render_issued(issued_of(case, kind).pk)


def pdf_text(issued, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(issued.file.open("rb").read())
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    # Chinese runs on without spaces: line breaks of the layout must not split a phrase.
    return "".join(out.stdout.split())


# --- The four documents -----------------------------------------------------------------


@needs_weasyprint
@needs_pdftotext
def test_a_receipt_shows_the_serial_number_title_dates_and_masked_id_number(case_in, tmp_path):
    case = case_in(State.ACCEPTED)
    text = pdf_text(rendered(case, IssuedDocument.Kind.RECEIPT), tmp_path)
    assert "受理回执" in text
    assert case.serial in text
    assert case.department.name in text
    assert case.matter.name in text
    assert "陈小明" in text
    assert "442000********417X" in text
    assert ID_NUMBER not in text
    assert MOBILE not in text
    assert case.query_code in text
    assert (
        f"{case.promised_due_date.year}年{case.promised_due_date.month}月{case.promised_due_date.day}日"
        in text
    )
    assert "法定办结日期" in text


@needs_weasyprint
@needs_pdftotext
def test_a_correction_notice_lists_every_item_once_and_cites_article_32(case_in, tmp_path):
    case = case_in(State.CORRECTION_REQUESTED)
    text = pdf_text(rendered(case, IssuedDocument.Kind.CORRECTION_NOTICE), tmp_path)
    assert "补正告知书" in text
    assert case.serial in text
    assert "身份证复印件不清晰" in text
    assert "缺少营业场所证明" in text
    assert "第三十二条" in text
    assert "一次性" in text
    assert "个工作日内" in text
    assert ID_NUMBER not in text


@needs_weasyprint
@needs_pdftotext
def test_a_rejection_notice_gives_the_reason_and_the_applicants_remedies(case_in, tmp_path):
    case = case_in(State.REJECTED)
    text = pdf_text(rendered(case, IssuedDocument.Kind.REJECTION_NOTICE), tmp_path)
    assert "不予受理通知书" in text
    assert case.serial in text
    assert "申请人不符合受理条件" in text
    assert "申请行政复议" in text
    assert "提起行政诉讼" in text
    assert ID_NUMBER not in text


@needs_weasyprint
@needs_pdftotext
def test_a_completion_notice_states_the_decision_and_the_opinion(case_in, tmp_path):
    case = case_in(State.COMPLETED)
    text = pdf_text(rendered(case, IssuedDocument.Kind.COMPLETION_NOTICE), tmp_path)
    assert "办结通知书" in text
    assert case.serial in text
    assert "准予" in text
    assert "符合法定条件，准予许可。" in text
    assert ID_NUMBER not in text


@needs_weasyprint
@needs_pdftotext
def test_a_completion_notice_after_a_denial_tells_the_applicant_how_to_appeal(case_in, build, tmp_path):
    case = case_in(State.UNDER_REVIEW)
    case = build.step(case, "deny")
    case = build.step(case, "complete")
    text = pdf_text(rendered(case, IssuedDocument.Kind.COMPLETION_NOTICE), tmp_path)
    assert "不予准予" in text
    assert "经营场所不符合要求。" in text
    assert "申请行政复议" in text


@needs_weasyprint
@needs_pdftotext
def test_a_notice_to_an_enterprise_is_addressed_to_the_enterprise(case_in, tmp_path):
    case = case_in(State.ACCEPTED, data=ENTERPRISE)
    assert case.submission.applicant_type == ApplicantType.ENTERPRISE
    text = pdf_text(rendered(case, IssuedDocument.Kind.RECEIPT), tmp_path)
    assert "中山市示例餐饮有限公司：" in text
    assert "91350100M000100Y43" in text
    assert ID_NUMBER not in text


@needs_weasyprint
@needs_pdftotext
def test_the_document_is_a4(case_in, tmp_path):
    issued = rendered(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    path = tmp_path / "doc.pdf"
    path.write_bytes(issued.file.open("rb").read())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info


@needs_weasyprint
@needs_pdftotext
def test_the_document_is_chinese_even_when_rendered_from_an_english_request(case_in, tmp_path):
    case = case_in(State.ACCEPTED)
    with translation.override("en"):
        issued = rendered(case, IssuedDocument.Kind.RECEIPT)
    assert "统一申办流水号" in pdf_text(issued, tmp_path)


# --- The QR code ------------------------------------------------------------------------


@needs_weasyprint
@needs_qr_tools
def test_the_qr_code_opens_the_verification_page_of_the_document(case_in, settings, tmp_path):
    settings.PORTAL_BASE_URL = "https://zwfw.zs.gov.example/"
    issued = rendered(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    path = tmp_path / "doc.pdf"
    path.write_bytes(issued.file.open("rb").read())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    page = next(tmp_path.glob("page*.png"))
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"https://zwfw.zs.gov.example/verify/{issued.token}/"


def test_the_verification_url_defaults_to_the_local_server(case_in, settings):
    del settings.PORTAL_BASE_URL
    issued = issued_of(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    assert pdf.verify_url(issued) == f"http://127.0.0.1:8000/verify/{issued.token}/"


# --- Storage, idempotency, the task -----------------------------------------------------


@needs_weasyprint
def test_rendering_twice_keeps_the_one_file(case_in, settings):
    issued = issued_of(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    first = pdf.render_issued(issued.pk)
    second = pdf.render_issued(issued.pk)
    assert second.file.name == first.file.name
    private = settings.PRIVATE_MEDIA_ROOT
    # One issued file, and its one copy in the applicant's 资料库.
    assert len(list((private / "issued").rglob("*.pdf"))) == 1
    assert len(list((private / "documents").rglob("*.pdf"))) == 1


@needs_weasyprint
def test_the_pdf_is_kept_in_private_storage_under_an_unguessable_name(case_in, settings):
    issued = rendered(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    private = settings.PRIVATE_MEDIA_ROOT
    assert (private / issued.file.name).read_bytes().startswith(b"%PDF-")
    assert not (settings.MEDIA_ROOT / issued.file.name).exists()
    assert issued.case.serial not in issued.file.name
    assert len(issued.file.name.rsplit("/", 1)[-1]) >= 32


@needs_weasyprint
def test_the_celery_task_renders_the_document(case_in):
    issued = issued_of(case_in(State.ACCEPTED), IssuedDocument.Kind.RECEIPT)
    tasks.render_issued_document(issued.pk)
    issued.refresh_from_db()
    assert issued.file.open("rb").read(5) == b"%PDF-"


# --- Masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [("陈小明", "陈*明"), ("李四", "李*"), ("欧阳小华", "欧**华"), ("王", "王"), ("", "")],
)
def test_a_persons_name_is_masked_keeping_the_first_and_last_character(name, masked):
    assert pdf.mask_name(name) == masked


def test_rendering_a_document_that_no_longer_exists_is_not_an_error():
    assert pdf.render_issued(987654) is None
