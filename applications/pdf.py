"""PDFs the hall issues for a case: 受理回执, 补正告知书, 不予受理通知书, 办结通知书.

``render_issued(issued_id)`` is what the Celery task ``render_issued_document`` runs after
the transition's commit (``applications.documents.schedule_issue``). It renders the template
of the document's kind with WeasyPrint (A4, Chinese fonts), adds a QR code that opens the
public verification page ``/verify/<token>/``, and stores the file in private storage. It is
idempotent: a document that already has its file is left alone, so a retried or duplicated
task never writes a second file.

The verification URL is absolute: ``settings.PORTAL_BASE_URL`` (default
``http://127.0.0.1:8000``) plus the path of ``applications:verify``.
"""

import base64
import datetime
import io
import logging

import qrcode
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import ApplicantType, Decision, Document, IssuedDocument, ProcessRecord
from matters.codes import MatterType
from portal import workdays

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# Working days the applicant is given to supply the corrections (printed on the notice).
DEFAULT_CORRECTION_SUPPLY_WORKDAYS = 10

TEMPLATES = {
    IssuedDocument.Kind.RECEIPT: "applications/pdf/receipt.html",
    IssuedDocument.Kind.CORRECTION_NOTICE: "applications/pdf/correction_notice.html",
    IssuedDocument.Kind.REJECTION_NOTICE: "applications/pdf/rejection_notice.html",
    IssuedDocument.Kind.COMPLETION_NOTICE: "applications/pdf/completion_notice.html",
}
# The word of the document number (发文字号) for each kind, e.g. 中山市监受〔2026〕000123号.
NUMBER_WORDS = {
    IssuedDocument.Kind.RECEIPT: "受",
    IssuedDocument.Kind.CORRECTION_NOTICE: "补",
    IssuedDocument.Kind.REJECTION_NOTICE: "不受",
    IssuedDocument.Kind.COMPLETION_NOTICE: "结",
}


def base_url() -> str:
    return (getattr(settings, "PORTAL_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")


def verify_url(issued: IssuedDocument) -> str:
    """The absolute URL of the public verification page that the QR code encodes."""
    return base_url() + reverse("applications:verify", args=[issued.token])


def progress_url() -> str:
    try:
        path = reverse("applications:progress")
    except NoReverseMatch:
        path = "/progress/"
    return base_url() + path


def correction_supply_workdays() -> int:
    return getattr(settings, "CORRECTION_SUPPLY_WORKDAYS", DEFAULT_CORRECTION_SUPPLY_WORKDAYS)


def qr_data_uri(text: str) -> str:
    """A PNG QR code of ``text`` as a ``data:`` URI (WeasyPrint embeds it without a fetch)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mask_name(name: str) -> str:
    """A person's name for public pages: 陈*明, 李*, 欧阳**华 (first and last character kept)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_applicant_name(issued: IssuedDocument) -> str:
    """The applicant as the verification page shows them: an organisation in full (its name is
    public), a person masked."""
    submission = issued.case.submission
    if submission.applicant_type != ApplicantType.PERSON and submission.org_name:
        return submission.org_name
    return mask_name(submission.applicant_name)


def document_number(issued: IssuedDocument) -> str:
    """发文字号: department abbreviation + kind word + 〔year〕 + number + 号 (unique: the row's id)."""
    department = issued.case.department
    prefix = department.short_name or department.name
    year = timezone.localtime(issued.created_at).year if issued.created_at else timezone.localdate().year
    return f"{prefix}{NUMBER_WORDS[issued.kind]}〔{year}〕{issued.pk:06d}号"


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.localtime(value) if value else None


def _decision_record(issued: IssuedDocument) -> ProcessRecord | None:
    """The approval or denial behind a completion notice (none for an immediate case)."""
    return (
        ProcessRecord.objects.filter(case_id=issued.case_id, action__in=("approve", "deny"))
        .order_by("-sequence")
        .first()
    )


def _review_authority(issued: IssuedDocument) -> str:
    """The administrative reconsideration body: the people's government at the department's level
    (行政复议法 2023, Art. 24); the notice falls back to general wording without a region."""
    region = issued.case.department.region
    return f"{region.name}人民政府" if region and region.name else ""


def context(issued: IssuedDocument) -> dict:
    """Everything the templates print, read once with the related rows."""
    case = issued.case
    submission = case.submission
    matter = case.matter
    record = issued.record
    issued_at = _local(issued.created_at) or timezone.localtime()
    is_person = submission.applicant_type == ApplicantType.PERSON or not submission.org_name
    data = {
        "issued": issued,
        "title": issued.get_kind_display(),
        "document_number": document_number(issued),
        "department": case.department,
        "case": case,
        "matter": matter,
        "is_licensing": matter.matter_type == MatterType.LICENSING,
        "submission": submission,
        "is_person": is_person,
        # How the notice addresses the applicant: 你 (a person) or 你单位 (an organisation).
        "you": _("你") if is_person else _("你单位"),
        "addressee": submission.org_name or submission.applicant_name,
        "masked_id_number": submission.masked_id_number,
        "submitted_at": _local(case.submitted_at),
        "accepted_at": _local(case.accepted_at),
        "completed_at": _local(case.completed_at),
        "issued_at": issued_at,
        "record": record,
        "opinion": record.opinion if record else "",
        "verify_url": verify_url(issued),
        "progress_url": progress_url(),
        "site_name": getattr(settings, "PORTAL_SITE_NAME", ""),
    }
    data["qr"] = qr_data_uri(data["verify_url"])
    if issued.kind == IssuedDocument.Kind.CORRECTION_NOTICE:
        days = correction_supply_workdays()
        data["items"] = (record.details.get("items") if record else None) or []
        if data["opinion"] == "；".join(data["items"]):
            data["opinion"] = ""  # the service's default opinion is the list itself: print it once
        data["supply_workdays"] = days
        data["supply_by"] = workdays.add_workdays(issued_at.date(), days) if days else None
    elif issued.kind == IssuedDocument.Kind.REJECTION_NOTICE:
        data["reason"] = record.details.get("reason", "") if record else ""
        data["review_authority"] = _review_authority(issued)
    elif issued.kind == IssuedDocument.Kind.COMPLETION_NOTICE:
        decision_record = _decision_record(issued)
        data["approved"] = case.decision != Decision.DENIED
        data["decision_label"] = case.get_decision_display() if case.decision else ""
        data["decision_record"] = decision_record
        data["decision_reason"] = decision_record.details.get("reason", "") if decision_record else ""
        data["review_authority"] = _review_authority(issued)
    return data


def render_pdf(issued: IssuedDocument) -> bytes:
    """The PDF of ``issued``, always in Chinese whatever language the caller runs in."""
    from weasyprint import HTML  # heavy import: only where PDFs are made

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(TEMPLATES[issued.kind], context(issued))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _load(issued_id: int, *, lock: bool) -> IssuedDocument:
    qs = IssuedDocument.objects.select_related(
        "case__submission", "case__matter", "case__department__region", "record"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=issued_id)


def _has_file(issued: IssuedDocument) -> bool:
    return bool(issued.file) and issued.file.storage.exists(issued.file.name)


def filename(issued: IssuedDocument) -> str:
    """The name the applicant's browser saves the PDF under."""
    return f"{issued.get_kind_display()}-{issued.case.serial or issued.pk}.pdf"


def render_issued(issued_id: int) -> IssuedDocument | None:
    """Render and store the PDF of an issued document once; later calls return it unchanged.

    The row is locked while rendering so that two workers running the same task do not both
    write a file (a PDF takes tens of milliseconds, so the lock is short). A row that no
    longer exists is nothing to render (None), not an error to retry.
    """
    with transaction.atomic():
        try:
            issued = _load(issued_id, lock=True)
        except IssuedDocument.DoesNotExist:
            logger.warning("issued document %s does not exist: nothing to render", issued_id)
            return None
        if _has_file(issued):
            return issued
        content = render_pdf(issued)
        issued.file.save(f"{issued.kind}.pdf", ContentFile(content), save=False)
        IssuedDocument.objects.filter(pk=issued.pk).update(file=issued.file.name)
        _keep_in_store(issued, content)
    logger.info("issued document %s rendered (%d bytes)", issued.pk, len(content))
    return issued


def _keep_in_store(issued: IssuedDocument, content: bytes) -> None:
    """Every notice the hall issues also goes into the applicant's 资料库 (kept once)."""
    from applications import materials, services

    recipient = services.notice_recipient(issued.case)
    if recipient is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = f"{issued.get_kind_display()}（{issued.case.matter.name}）"[:200]
    materials.keep_result(
        owner=recipient,
        content=content,
        title=title,
        name=f"{issued.kind}.pdf",
        kind=Document.Kind.NOTICE,
        org_code=issued.case.submission.org_code,
        case=issued.case,
    )


def render_missing(*, older_than: datetime.timedelta | None = None, limit: int = 500) -> tuple[int, int]:
    """Render issued documents whose task was lost (a broker down at commit, a worker killed),
    so their PDFs and the copies in the applicants' 资料库 exist: (rendered, failed)."""
    older_than = older_than if older_than is not None else datetime.timedelta(minutes=10)
    missing = IssuedDocument.objects.filter(file="", created_at__lte=timezone.now() - older_than)
    rendered = failed = 0
    for issued_id in missing.order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            render_issued(issued_id)
            rendered += 1
        except Exception:
            failed += 1
            logger.warning("issued document %s could not be rendered", issued_id, exc_info=True)
    return rendered, failed


def ensure_rendered(issued: IssuedDocument) -> IssuedDocument:
    """The document with its file, rendering it now if the task has not run yet (worker down)."""
    if _has_file(issued):
        return issued
    return render_issued(issued.pk)
