"""Materials of a submission (申请材料) and the per-account document store (资料库).

Every file an applicant uploads, and every result the hall issues to them, is a
``Document`` kept for their account (and for their enterprise, by its USCC, when they
act for one). A submission's materials point at documents: uploaded now, or reused from
the store (历史材料加载) instead of uploading again. Where the matter allows 容缺受理, a
non-key material may instead be promised by a date (at most 30 days ahead).

``requirement_reports()`` is the material standardisation check (材料规范化校验): per
requirement, what is wrong, in Chinese. It is registered as a completeness checker, so
``services.submit`` and ``services.supply_correction`` refuse with the full list.

Materials change only while every case of the submission is a draft or waits for a
correction, and only by the applicant.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import completeness, uploads
from applications.models import Case, Document, State, Submission, SubmissionMaterial
from applications.selectors import cases_visible_to
from matters import selectors as matter_selectors
from matters.models import MaterialRequirement, Matter

# The applicant changes materials only in these states (a draft, or a correction asked for).
EDITABLE_STATES = frozenset({State.DRAFT, State.CORRECTION_REQUESTED})
DEFAULT_PROMISE_MAX_DAYS = 30
DEFAULT_MAX_FILES_PER_REQUIREMENT = 10
Status = SubmissionMaterial.Status


class MaterialError(ValidationError):
    """A material change refused by the rules; the message (Chinese) says why."""


def promise_max_days() -> int:
    """容缺受理: the promised date is at most this many days from today."""
    return int(getattr(settings, "DEFICIENCY_PROMISE_MAX_DAYS", DEFAULT_PROMISE_MAX_DAYS))


def max_files_per_requirement() -> int:
    return int(getattr(settings, "UPLOAD_MAX_FILES_PER_MATERIAL", DEFAULT_MAX_FILES_PER_REQUIREMENT))


# --- Who owns and who sees documents -----------------------------------------------------


def org_codes_of(user) -> list[str]:
    """USCCs of the enterprises ``user`` acts for (legal representative, agent, administrator).

    Read through the reverse relation so that this app does not import ``enterprises``
    (which sits above it); without that app nobody acts for an enterprise.
    """
    if not user or not user.is_authenticated:
        return []
    memberships = getattr(user, "enterprise_memberships", None)
    if memberships is None:
        return []
    return sorted(set(memberships.values_list("enterprise__uscc", flat=True)))


def library(user) -> QuerySet[Document]:
    """我的资料库: the user's documents and those of the enterprises they act for, newest first."""
    if not user or not user.is_authenticated or not user.is_active:
        return Document.objects.none()
    condition = Q(owner=user)
    codes = org_codes_of(user)
    if codes:
        condition |= Q(org_code__in=codes)
    return Document.objects.filter(condition).order_by("-created_at", "-pk")


def documents_visible_to(user) -> QuerySet[Document]:
    """Documents ``user`` may open: their store, plus the materials and issued results of cases
    they may see (staff of the handling department, supervisors; ``selectors.cases_visible_to``)."""
    if not user or not user.is_authenticated or not user.is_active:
        return Document.objects.none()
    visible_cases = cases_visible_to(user).values("pk")
    used_by_visible_case = SubmissionMaterial.objects.filter(
        document=OuterRef("pk"), submission__cases__in=visible_cases
    )
    condition = Q(owner=user) | Exists(used_by_visible_case) | Q(case__in=visible_cases)
    codes = org_codes_of(user)
    if codes:
        condition |= Q(org_code__in=codes)
    return Document.objects.filter(condition)


def may_reuse(actor, submission: Submission, document: Document) -> bool:
    """Only the actor's own documents, or their enterprise's in an application for that enterprise."""
    if document.owner_id == actor.pk:
        return True
    return bool(
        document.org_code
        and document.org_code == submission.org_code
        and document.org_code in org_codes_of(actor)
    )


def reusable_documents(actor, submission: Submission, requirement: MaterialRequirement | None = None):
    """The documents ``actor`` may load into ``submission`` (历史材料加载), those filed under the
    same material name first, then newest first."""
    codes = [c for c in org_codes_of(actor) if c and c == submission.org_code]
    condition = Q(owner=actor) | Q(org_code__in=codes) if codes else Q(owner=actor)
    documents = list(
        Document.objects.filter(condition, content_type__in=list(uploads.allowed_types())).order_by(
            "-created_at", "-pk"
        )[:200]
    )
    if requirement is not None:
        documents.sort(key=lambda d: d.requirement_name != requirement.name)  # stable: newest stays first
    return documents


# --- Storing documents -------------------------------------------------------------------


@transaction.atomic
def store_document(
    *,
    owner,
    checked: uploads.CheckedFile,
    kind: str = Document.Kind.UPLOAD,
    title: str = "",
    org_code: str = "",
    requirement_name: str = "",
    case: Case | None = None,
) -> Document:
    """Keep a checked file in ``owner``'s store under an unguessable name.

    The same content uploaded again by the same account is the same document: the store
    keeps one copy (matched by sha256 and size).
    """
    existing = (
        Document.objects.filter(
            owner=owner,
            org_code=org_code,
            kind=kind,
            sha256=checked.sha256,
            size=checked.size,
            case=case,
        )
        .order_by("-created_at")
        .first()
    )
    if existing is not None and _readable(existing):
        return existing
    document = Document(
        owner=owner,
        org_code=org_code,
        kind=kind,
        title=(title or checked.display_name)[:200],
        original_name=checked.display_name,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        pages=checked.pages,
        requirement_name=requirement_name[:200],
        case=case,
    )
    # The storage name comes from models.document_upload_to (a random UUID), not from this name.
    document.file.save(f"upload{checked.extension}", ContentFile(checked.content), save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def keep_result(
    *,
    owner,
    content: bytes,
    title: str,
    name: str,
    kind: str = Document.Kind.RESULT,
    org_code: str = "",
    case: Case | None = None,
) -> Document:
    """Put an issued result (办理结果, 电子证照, 文书) of ``case`` into the applicant's store,
    for later reuse."""
    checked = uploads.check(content, name=name)
    return store_document(owner=owner, checked=checked, kind=kind, title=title, org_code=org_code, case=case)


# --- Changing a submission's materials ---------------------------------------------------


def _require_applicant(submission: Submission, actor) -> None:
    if not actor or not actor.is_authenticated or actor.pk != submission.applicant_id:
        raise MaterialError(_("只能修改本人申请的材料。"), code="forbidden")


def _require_editable(
    submission: Submission, actor, requirement: MaterialRequirement | None = None, *, lock: bool = False
) -> None:
    """Only the applicant, only while every case is a draft or waits for a correction, and
    (given a requirement) only a material of one of the submission's matters: one query.

    ``lock`` locks the submission's case rows until the end of the transaction, as every
    change of its materials does: a change and a submission or transition of the same case
    (``services._lock``) then happen one after the other, never interleaved.
    """
    _require_applicant(submission, actor)
    rows = Case.objects.filter(submission=submission)
    if lock:
        rows = rows.select_for_update().order_by("pk")  # always in the same order: no deadlock
    cases = list(rows.values_list("state", "matter_id"))
    states = {state for state, _matter in cases}
    if not states or not states <= EDITABLE_STATES:
        raise MaterialError(_("申请已提交，当前不能修改材料。"), code="invalid_state")
    if requirement is not None and requirement.matter_id not in {matter for _state, matter in cases}:
        raise MaterialError(_("该材料不属于本次申请的事项。"), code="wrong_requirement")


def may_edit(submission: Submission, actor) -> bool:
    """Whether ``actor`` may change the materials of ``submission`` now."""
    try:
        _require_editable(submission, actor)
    except MaterialError:
        return False
    return True


@dataclass(frozen=True)
class _Given:
    """What a submission holds for one requirement, read once under the submission's lock."""

    provided: tuple[int, ...]  # document ids of the files
    promised: bool
    for_correction: bool

    @classmethod
    def read(cls, submission: Submission, requirement: MaterialRequirement) -> "_Given":
        rows = SubmissionMaterial.objects.filter(submission=submission, requirement=requirement)
        statuses = list(rows.values_list("status", "document_id"))
        return cls(
            provided=tuple(document for status, document in statuses if status == Status.PROVIDED),
            promised=any(status == Status.PROMISED for status, _document in statuses),
            for_correction=any(status == Status.CORRECTION for status, _document in statuses),
        )


def _require_room(requirement: MaterialRequirement, given: _Given) -> None:
    if len(given.provided) >= max_files_per_requirement():
        raise MaterialError(
            _("《%(name)s》最多上传 %(count)d 个文件。")
            % {"name": requirement.name, "count": max_files_per_requirement()},
            code="too_many_files",
        )


def _attach(
    submission: Submission, requirement: MaterialRequirement, document: Document, given: _Given
) -> SubmissionMaterial:
    rows = SubmissionMaterial.objects.filter(submission=submission, requirement=requirement)
    if document.pk in given.provided:
        return rows.filter(document=document, status=Status.PROVIDED).first()
    _require_room(requirement, given)
    # A file fulfils a promise (容缺后补) and replaces what was sent back for correction.
    if given.promised or given.for_correction:
        rows.filter(status__in=(Status.PROMISED, Status.CORRECTION)).delete()
    material = SubmissionMaterial.objects.create(
        submission=submission,
        requirement=requirement,
        requirement_name=requirement.name,
        document=document,
        status=Status.PROVIDED,
    )
    if given.promised:
        _sync_promise_date(submission)
    return material


@transaction.atomic
def attach_upload(
    *, submission: Submission, requirement: MaterialRequirement, file, actor, name: str | None = None
) -> SubmissionMaterial:
    """Upload a file for a requirement: checked by content, kept in the store, attached."""
    _require_applicant(submission, actor)
    checked = uploads.check(file, name=name)  # before the lock: reading 10 MB takes a while
    _require_editable(submission, actor, requirement, lock=True)
    given = _Given.read(submission, requirement)
    _require_room(requirement, given)  # before the file is written, not after
    document = store_document(
        owner=actor,  # the applicant (checked above)
        checked=checked,
        title=requirement.name,
        org_code=submission.org_code,
        requirement_name=requirement.name,
    )
    return _attach(submission, requirement, document, given)


@transaction.atomic
def reuse_document(
    submission: Submission, requirement: MaterialRequirement, document: Document, actor
) -> SubmissionMaterial:
    """历史材料加载: attach a document from the store instead of uploading it again."""
    _require_editable(submission, actor, requirement, lock=True)
    if not may_reuse(actor, submission, document):
        raise MaterialError(_("只能使用本人或本单位资料库中的材料。"), code="not_your_document")
    if document.content_type not in uploads.allowed_types():
        raise MaterialError(
            _("资料“%(name)s”的类型不符合要求，仅支持 %(types)s 格式的文件。")
            % {"name": document.original_name, "types": uploads.allowed_labels()},
            code="type_not_allowed",
        )
    if not _readable(document):
        raise MaterialError(
            _("资料“%(name)s”的文件已无法读取，请重新上传。") % {"name": document.original_name},
            code="unreadable",
        )
    return _attach(submission, requirement, document, _Given.read(submission, requirement))


TITLE = re.compile(r"《([^《》]+)》")


def return_for_correction(submission: Submission, items: list[str]) -> list[str]:
    """Mark the materials a correction notice names as needing correction, so the applicant
    must upload them again; the names marked.

    An item names a material by its title in 《》 (exactly), or, without any 《》, by
    mentioning the material's name ("营业执照复印件不清晰").
    """
    names = set(
        SubmissionMaterial.objects.filter(submission=submission, status=Status.PROVIDED).values_list(
            "requirement_name", flat=True
        )
    )

    def names_it(name: str, item: str) -> bool:
        titles = TITLE.findall(item)
        return name in titles if titles else name in item

    named = sorted(name for name in names if name and any(names_it(name, item) for item in items))
    if named:
        SubmissionMaterial.objects.filter(
            submission=submission, status=Status.PROVIDED, requirement_name__in=named
        ).update(status=Status.CORRECTION)
    return named


def latest_promise_date(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=promise_max_days())


@transaction.atomic
def promise_material(
    *,
    submission: Submission,
    requirement: MaterialRequirement,
    promise_date: datetime.date | None,
    actor,
    note: str = "",
) -> SubmissionMaterial:
    """容缺受理: the applicant's written promise to supply a non-key material by a date."""
    _require_editable(submission, actor, requirement, lock=True)
    if not requirement.matter.allows_deficiency_acceptance:
        raise MaterialError(
            _("该事项不支持容缺受理，请上传《%(name)s》。") % {"name": requirement.name}, "no_deficiency"
        )
    if requirement.key_material:
        raise MaterialError(
            _("《%(name)s》是关键材料，不能容缺后补，请上传。") % {"name": requirement.name},
            code="key_material",
        )
    today = timezone.localdate()
    if promise_date is None:
        raise MaterialError(_("请填写承诺补交日期。"), code="promise_date_required")
    if promise_date < today:
        raise MaterialError(_("承诺补交日期不能早于今天。"), code="promise_date_past")
    if promise_date > latest_promise_date(today):
        raise MaterialError(
            _("承诺补交日期须在 %(days)d 日内，最迟为 %(date)s。")
            % {"days": promise_max_days(), "date": f"{latest_promise_date(today):%Y-%m-%d}"},
            code="promise_date_too_late",
        )
    rows = SubmissionMaterial.objects.filter(submission=submission, requirement=requirement)
    if rows.filter(status=Status.PROVIDED).exists():
        raise MaterialError(
            _("《%(name)s》已上传文件，无需承诺后补；如需改为后补，请先移除已上传的文件。")
            % {"name": requirement.name},
            code="already_provided",
        )
    rows.filter(status=Status.CORRECTION).delete()
    material, _created = SubmissionMaterial.objects.update_or_create(
        submission=submission,
        requirement=requirement,
        status=Status.PROMISED,
        defaults={"requirement_name": requirement.name, "promise_date": promise_date, "note": note[:300]},
    )
    _sync_promise_date(submission)
    return material


@transaction.atomic
def remove_material(*, material: SubmissionMaterial, actor) -> None:
    """Take a file or a promise off the application; the document stays in the store."""
    submission = material.submission
    _require_editable(submission, actor, lock=True)
    SubmissionMaterial.objects.filter(pk=material.pk, submission=submission).delete()
    _sync_promise_date(submission)


def _sync_promise_date(submission: Submission) -> None:
    """The case carries the earliest promised date (容缺补交承诺日期), for staff and reminders."""
    earliest = SubmissionMaterial.objects.filter(submission=submission, status=Status.PROMISED).aggregate(
        earliest=Min("promise_date")
    )["earliest"]
    Case.objects.filter(submission=submission).update(deficiency_promise_date=earliest)


# --- Material standardisation checks (材料规范化校验) ------------------------------------


def required_online(requirement: MaterialRequirement) -> bool:
    """A required material that has an electronic form must be uploaded; paper-only ones are
    handed in as the service guide says and are not asked for online."""
    return (
        requirement.necessity == MaterialRequirement.Necessity.REQUIRED
        and requirement.medium != MaterialRequirement.Medium.PAPER
    )


def can_promise(requirement: MaterialRequirement) -> bool:
    return requirement.matter.allows_deficiency_acceptance and not requirement.key_material


@dataclass
class RequirementReport:
    """One requirement of the matter, what the applicant gave for it and what is wrong."""

    requirement: MaterialRequirement
    materials: list[SubmissionMaterial] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def provided(self) -> list[SubmissionMaterial]:
        return [m for m in self.materials if m.status == Status.PROVIDED]

    @property
    def promise(self) -> SubmissionMaterial | None:
        return next((m for m in self.materials if m.status == Status.PROMISED), None)

    @property
    def required_online(self) -> bool:
        return required_online(self.requirement)

    @property
    def can_promise(self) -> bool:
        return can_promise(self.requirement)


def _readable(document: Document) -> bool:
    """The stored file is there with the size recorded (a stat, not a read)."""
    if not document.file:
        return False
    try:
        return document.file.storage.size(document.file.name) == document.size
    except (OSError, ValueError, NotImplementedError):
        return False


def _document_problems(requirement: MaterialRequirement, material: SubmissionMaterial) -> list[str]:
    document = material.document
    if document is None:
        return [_("《%(name)s》的文件已不存在，请重新上传。") % {"name": requirement.name}]
    names = {"name": requirement.name, "file": document.original_name}
    if document.content_type not in uploads.allowed_types():
        return [
            _("《%(name)s》的文件“%(file)s”类型不符合要求，仅支持 %(types)s 格式。")
            % {**names, "types": uploads.allowed_labels()}
        ]
    if not _readable(document):
        return [_("《%(name)s》的文件“%(file)s”无法读取，请重新上传。") % names]
    return []


def _promise_problems(requirement: MaterialRequirement, material: SubmissionMaterial, today) -> list[str]:
    name = {"name": requirement.name}
    if requirement.key_material:
        return [_("《%(name)s》是关键材料，不能容缺后补，请上传。") % name]
    if not requirement.matter.allows_deficiency_acceptance:
        return [_("该事项不支持容缺受理，请上传《%(name)s》。") % name]
    if material.promise_date is None:
        return [_("《%(name)s》选择了容缺后补，但未填写承诺补交日期。") % name]
    if material.promise_date < today:
        return [
            _("《%(name)s》的承诺补交日期（%(date)s）已过，请上传材料或重新填写日期。")
            % {**name, "date": f"{material.promise_date:%Y-%m-%d}"}
        ]
    return []


def requirement_reports(
    submission: Submission, matters: list[Matter] | None = None
) -> list[RequirementReport]:
    """Per requirement of the submission's matters (or of ``matters``), what is wrong."""
    if matters is None:
        matters = Matter.objects.for_handling().filter(cases__submission=submission).distinct()
    matters = sorted(matters, key=lambda m: m.pk)
    matter_ids = [m.pk for m in matters]
    requirements = [r for m in matters for r in matter_selectors.requirements_of(m)]
    by_requirement: dict[int, list[SubmissionMaterial]] = {}
    for material in SubmissionMaterial.objects.filter(
        submission=submission, requirement__matter_id__in=matter_ids
    ).select_related("document"):
        by_requirement.setdefault(material.requirement_id, []).append(material)
    today = timezone.localdate()
    reports = []
    for requirement in requirements:
        report = RequirementReport(requirement, by_requirement.get(requirement.pk, []))
        for material in report.materials:
            if material.status == Status.PROVIDED:
                report.problems += _document_problems(requirement, material)
            elif material.status == Status.PROMISED:
                report.problems += _promise_problems(requirement, material, today)
        if not report.provided and report.promise is None:
            if any(m.status == Status.CORRECTION for m in report.materials):
                report.problems.append(_("《%(name)s》需要补正，请重新上传。") % {"name": requirement.name})
            elif report.required_online and report.can_promise:
                report.problems.append(
                    _("缺少必要材料《%(name)s》，请上传或承诺限期补交（容缺受理）。")
                    % {"name": requirement.name}
                )
            elif report.required_online:
                report.problems.append(_("缺少必要材料《%(name)s》，请上传。") % {"name": requirement.name})
        reports.append(report)
    return reports


@completeness.register
def material_problems(case: Case) -> list[str]:
    """Completeness checker: every problem of the materials of the case's matter."""
    reports = requirement_reports(case.submission, matters=[case.matter])
    return [problem for report in reports for problem in report.problems]
