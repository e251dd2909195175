"""E-licences in the hall: use one as a material, issue one when a case is completed.

* ``fetch_as_material``: "从电子证照库调取" for a material whose source is the e-licence
  library. The applicant is the holder (the enterprise applied for, then the person acting;
  or the person); the newest licence of the requirement's type is looked up, verified (证照验真),
  its data and file fetched, the file kept in the applicant's document store (资料库) as an
  e-licence with its number and trust level (``LicenceDocument``) and attached as the material.
  Every refusal is a ``MaterialError`` with a Chinese message for the materials panel.
* ``issue_for_case``: called inside the completion's transaction (``receivers``). When the
  matter yields an e-licence (``ResultLicenceType``) and the case was approved, it writes the
  ``IssuedLicence`` with a GB/T 36904 identifier and the standard metadata, and the outbox
  message to the platform; the PDF is rendered after commit (``render_licence``) into the
  holder's store, never inside the transition.
"""

import calendar
import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import materials
from applications.models import Case, Decision, Document, ProcessRecord, Submission, SubmissionMaterial
from integrations import outbox
from integrations.elicences import identifiers
from integrations.elicences.client import LicenceClient, LicenceSummary, Result
from integrations.elicences.models import (
    HolderCodeType,
    IssuedLicence,
    LicenceDocument,
    LicenceSerialCounter,
    LicenceStatus,
    ResultLicenceType,
)
from integrations.errors import PeerRejected, PeerUnavailable
from matters.models import MaterialRequirement
from portal import publishing

logger = logging.getLogger(__name__)

DESTINATION = "elicences"
TOPIC_ISSUE = "elicence.issue"
COMPLETIONS = frozenset({"complete", "complete_immediately"})


@dataclass(frozen=True)
class Holder:
    name: str
    code: str
    code_type: str


def holders_of(submission: Submission) -> list[Holder]:
    """Who holds the applicant's licences: the enterprise applied for (then the person acting
    for it), or the person."""
    holders = []
    if submission.org_code:
        holders.append(Holder(submission.org_name, submission.org_code, HolderCodeType.USCC))
        person = submission.contact_name
    else:
        person = submission.applicant_name
    if person and submission.applicant_id_number:
        holders.append(Holder(person, submission.applicant_id_number, HolderCodeType.ID_CARD))
    return holders


# --- Use as a material ---------------------------------------------------------------------


def _refuse(message: str, code: str):
    return materials.MaterialError(message, code=code)


def _choose(found: list[LicenceSummary], type_label: str) -> LicenceSummary:
    today = timezone.localdate()
    for licence in found:
        if licence.effective_status(today) == Result.VALID:
            return licence
    statuses = {licence.effective_status(today) for licence in found}
    if Result.REVOKED in statuses and Result.EXPIRED not in statuses:
        raise _refuse(
            _("您的《%(name)s》电子证照已被吊销或撤销，不能作为申请材料，请上传其他有效材料。")
            % {"name": type_label},
            "revoked",
        )
    raise _refuse(
        _("您的《%(name)s》电子证照已过有效期，请先办理延续或换证，或上传有效材料。") % {"name": type_label},
        "expired",
    )


def _verification_refusal(result: str, type_label: str):
    messages = {
        Result.NOT_FOUND: (_("电子证照库中未找到您的《%(name)s》，请上传材料。"), "not_found"),
        Result.EXPIRED: (_("您的《%(name)s》电子证照已过有效期，请上传有效材料。"), "expired"),
        Result.REVOKED: (_("您的《%(name)s》电子证照已被吊销或撤销，不能作为申请材料。"), "revoked"),
    }
    message, code = messages[result]
    return _refuse(message % {"name": type_label}, code)


def fetch_as_material(
    *, submission: Submission, requirement: MaterialRequirement, actor, client: LicenceClient | None = None
) -> SubmissionMaterial:
    """从电子证照库调取: find, verify, fetch and attach the applicant's licence for ``requirement``."""
    type_label = requirement.name
    if requirement.source != MaterialRequirement.Source.ELICENCE or not requirement.licence_type_code:
        raise _refuse(
            _("《%(name)s》不支持从电子证照库调取，请上传。") % {"name": type_label}, "not_elicence"
        )
    if not materials.may_edit(submission, actor):
        raise _refuse(_("申请已提交，当前不能修改材料。"), "invalid_state")
    if not submission.cases.filter(matter_id=requirement.matter_id).exists():
        raise _refuse(_("该材料不属于本次申请的事项。"), "wrong_requirement")
    holders = holders_of(submission)
    if not holders:
        raise _refuse(_("申请人证件信息不完整，无法从电子证照库调取，请上传材料。"), "no_holder")
    try:
        client = client or LicenceClient.from_settings()
        found, holder = [], holders[0]
        for holder in holders:
            found = client.search(
                holder_name=holder.name, holder_code=holder.code, type_code=requirement.licence_type_code
            )
            if found:
                break
        if not found:
            raise _verification_refusal(Result.NOT_FOUND, type_label)
        chosen = _choose(found, type_label)
        verification = client.verify(
            number=chosen.licence_number, holder_name=holder.name, holder_code=holder.code
        )
        if not verification.valid:
            raise _verification_refusal(verification.result, type_label)
        licence = client.fetch(identifier=chosen.identifier, holder_name=holder.name, holder_code=holder.code)
        content = client.file(chosen.identifier)
    except PeerUnavailable:
        raise _refuse(
            _("电子证照库暂时无法访问，请稍后再试，或直接上传《%(name)s》。") % {"name": type_label},
            "unavailable",
        ) from None
    except PeerRejected as exc:
        if exc.code == "not_found":
            raise _verification_refusal(Result.NOT_FOUND, type_label) from None
        raise _refuse(
            _("电子证照库未能提供《%(name)s》，请上传材料。") % {"name": type_label}, "rejected"
        ) from None
    return _attach_licence(submission, requirement, actor, licence, content)


@transaction.atomic
def _attach_licence(submission, requirement, actor, licence: LicenceSummary, content: bytes):
    title = _("%(type)s（电子证照）") % {"type": licence.type_name or requirement.name}
    try:
        document = materials.keep_result(
            owner=submission.applicant,
            content=content,
            title=title,
            name=f"{licence.type_name or requirement.name}.pdf",
            kind=Document.Kind.ELICENCE,
            org_code=submission.org_code,
        )
    except ValidationError:
        raise _refuse(
            _("电子证照库返回的《%(name)s》文件无法读取，请上传材料。") % {"name": requirement.name},
            "bad_file",
        ) from None
    LicenceDocument.objects.update_or_create(
        document=document,
        defaults={
            "origin": LicenceDocument.Origin.FETCHED,
            "identifier": licence.identifier,
            "licence_number": licence.licence_number,
            "type_code": licence.type_code,
            "type_name": licence.type_name,
            "issuer_name": licence.issuer_name,
            "trust_level": licence.trust_level,
            "status": LicenceStatus.VALID,
            "valid_until": licence.valid_until,
            "verified_at": timezone.now(),
            "fetched_by": actor,
        },
    )
    material = materials.reuse_document(submission, requirement, document, actor)
    note = _("电子证照库调取：证照编号 %(number)s，可信等级 %(level)s") % {
        "number": licence.licence_number,
        "level": licence.trust_level,
    }
    SubmissionMaterial.objects.filter(pk=material.pk).update(note=note[:300])
    material.note = note[:300]
    logger.info("e-licence %s attached to submission %s", licence.identifier, submission.pk)
    return material


# --- Issue on completion -------------------------------------------------------------------


def next_serial(type_code: str, issuer_code: str, year: int) -> str:
    """The next serial of a type, issuer and year (``2026000001``): the counter row is locked
    by the update until the transaction ends, so concurrent completions never share one."""
    LicenceSerialCounter.objects.bulk_create(
        [LicenceSerialCounter(type_code=type_code, issuer_code=issuer_code, year=year)], ignore_conflicts=True
    )
    counter = LicenceSerialCounter.objects.filter(type_code=type_code, issuer_code=issuer_code, year=year)
    counter.update(last_value=F("last_value") + 1)
    return f"{year}{counter.values_list('last_value', flat=True).get():06d}"


def add_years(day: datetime.date, years: int) -> datetime.date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def result_licence_type(case: Case) -> ResultLicenceType | None:
    return ResultLicenceType.objects.filter(matter_id=case.matter_id, enabled=True).first()


def issue_for_case(*, case: Case, record: ProcessRecord | None = None) -> IssuedLicence | None:
    """Write the e-licence of a completed, approved case (inside the completion's transaction)."""
    if case.decision != Decision.APPROVED:
        return None
    kind = result_licence_type(case)
    if kind is None:
        return None
    existing = IssuedLicence.objects.filter(case=case).first()
    if existing is not None:
        return existing
    submission = case.submission
    holder = holders_of(submission)[0] if holders_of(submission) else None
    if holder is None:
        logger.warning("case %s: no holder identity, no e-licence issued", case.pk)
        return None
    department = case.department
    today = timezone.localdate()
    serial = next_serial(kind.type_code, department.uscc, today.year)
    identifier = identifiers.build(kind.type_code, department.uscc, serial, 1)
    region_code = department.region.code if getattr(department, "region", None) else ""
    valid_until = (
        add_years(today, kind.validity_years) - datetime.timedelta(days=1) if kind.validity_years else None
    )
    licence = IssuedLicence.objects.create(
        case=case,
        record=record,
        identifier=identifier,
        licence_number=f"{kind.number_prefix}{department.uscc[2:8]}{serial}",
        type_code=kind.type_code,
        type_name=kind.type_name,
        serial=serial,
        version=1,
        issuer_name=department.name,
        issuer_code=department.uscc,
        jurisdiction_code=str(region_code or "")[:12],
        holder_name=holder.name,
        holder_code=holder.code,
        holder_code_type=holder.code_type,
        issue_date=today,
        valid_from=today,
        valid_until=valid_until,
        trust_level=kind.trust_level,
        data={
            "事项名称": case.matter.name,
            "事项实施编码": case.matter.implementation_code,
            "统一申办流水号": case.serial or "",
        },
    )
    outbox.enqueue(
        topic=TOPIC_ISSUE,
        destination=DESTINATION,
        key=f"elicence-issue-{identifier}",
        payload=licence_payload(licence),
    )
    from integrations.elicences import tasks

    publishing.on_commit(tasks.render_licence, licence.pk)
    return licence


def licence_payload(licence: IssuedLicence) -> dict:
    """The standard metadata (GB/T 36904) the platform stores, as plain JSON."""
    return {
        "identifier": licence.identifier,
        "licence_number": licence.licence_number,
        "type_code": licence.type_code,
        "type_name": licence.type_name,
        "version": licence.version,
        "defining_authority_code": licence.defining_authority_code,
        "issuer_name": licence.issuer_name,
        "issuer_code": licence.issuer_code,
        "jurisdiction_code": licence.jurisdiction_code,
        "holder_name": licence.holder_name,
        "holder_code": licence.holder_code,
        "holder_code_type": licence.holder_code_type,
        "issue_date": licence.issue_date.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "trust_level": licence.trust_level,
        "status": licence.status,
        "related_matter": licence.case.matter.implementation_code,
        "data": licence.data,
    }


def render_licence(licence_id: int) -> IssuedLicence | None:
    """Render the licence's PDF once and keep it in the holder's store (idempotent)."""
    from integrations.elicences import pdf

    licence = (
        IssuedLicence.objects.select_related("case__submission", "case__matter").filter(pk=licence_id).first()
    )
    if licence is None:
        return None
    if licence.document_id and _readable(licence.document):
        return licence
    content = pdf.render(licence)
    case = licence.case
    with transaction.atomic():
        locked = IssuedLicence.objects.select_for_update().get(pk=licence.pk)
        if locked.document_id and _readable(locked.document):
            return locked  # rendered meanwhile by another worker
        document = materials.keep_result(
            owner=case.applicant,
            content=content,
            title=_("%(type)s（电子证照）") % {"type": licence.type_name},
            name=f"{licence.type_name}-{licence.licence_number}.pdf",
            kind=Document.Kind.ELICENCE,
            org_code=case.submission.org_code,
            case=case,
        )
        LicenceDocument.objects.update_or_create(
            document=document,
            defaults={
                "origin": LicenceDocument.Origin.ISSUED,
                "identifier": licence.identifier,
                "licence_number": licence.licence_number,
                "type_code": licence.type_code,
                "type_name": licence.type_name,
                "issuer_name": licence.issuer_name,
                "trust_level": licence.trust_level,
                "status": licence.status,
                "valid_until": licence.valid_until,
                "verified_at": timezone.now(),
            },
        )
        IssuedLicence.objects.filter(pk=licence.pk).update(document=document)
        locked.document = document
    logger.info("e-licence %s rendered (%d bytes)", licence.pk, len(content))
    return locked


def _readable(document: Document | None) -> bool:
    if document is None or not document.file:
        return False
    try:
        return document.file.storage.exists(document.file.name)
    except (OSError, ValueError):
        return False


def licence_file(identifier: str) -> bytes:
    """The PDF of an issued licence, rendering it first if the task has not run yet."""
    licence = IssuedLicence.objects.filter(identifier=identifier).first()
    if licence is None:
        raise PeerRejected(f"e-licence {identifier} does not exist here any more")
    licence = render_licence(licence.pk)
    with licence.document.file.open("rb") as handle:
        return handle.read()
