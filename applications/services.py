"""Every write operation on submissions and cases.

Views, admin actions, API endpoints, tasks and commands all call these functions. Each
runs in one transaction with the case row locked, asks ``workflow`` whether the actor may
do it and whether the input carries what the transition requires, applies the rules of
the clock (Administrative Licensing Law, STANDARDS.md), moves the state (appending a
``ProcessRecord``), and writes the outbox message for the provincial exchange and the
applicant's notification in the same transaction (sent after commit).

``actor=None`` means the system (the deemed-acceptance job, "trust online" matters,
integrations); views and API endpoints always pass ``request.user``.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import completeness, forms_engine, materials, selectors, serials, signals, workflow
from applications.models import (
    Case,
    Decision,
    IssuedDocument,
    OnlineSubChannel,
    Origin,
    ProcessRecord,
    State,
    Submission,
)
from applications.workflow import Clock, TransitionNotAllowed
from integrations import outbox
from matters.codes import HandlingForm
from matters.models import Matter
from portal import notifications, workdays

logger = logging.getLogger(__name__)

PROVINCIAL_DESTINATION = "provincial"

# Kept here for callers of the first version; the reads live in selectors.
remaining_workdays = selectors.remaining_workdays
deemed_acceptance_due = selectors.deemed_acceptance_due


def pre_review_workdays() -> int:
    """Art. 32: missing materials are notified within 5 (working) days, or the case counts as accepted."""
    return getattr(settings, "PRE_REVIEW_WORKDAYS", 5)


class SubmissionIncomplete(TransitionNotAllowed):
    """Submission refused: ``problems`` lists what is missing, per field or material."""

    def __init__(self, problems: list[str]):
        super().__init__(_("申请还不完整，请先处理以下问题：") + "；".join(problems), code="incomplete")
        self.problems = problems


@dataclass(frozen=True)
class ApplicantData:
    """Who applies: a person, or an agent acting for an organisation."""

    name: str
    id_number: str = ""
    id_type: str = "111"
    mobile: str = ""
    org_name: str = ""
    org_code: str = ""
    contact_name: str = ""

    @property
    def applicant_type(self) -> str:
        return "2" if self.org_code else "1"


# Read again with the lock: they change while a case is handled.
_LOCKED_WITH = ("submission", "current_record")
# Taken from the caller's instance when it holds them: rows a transition never changes, and
# wide ones (joining the matter's guide columns cost more than the rest of a submission's reads).
_REUSED = ("matter", "department", "applicant")


def _lock(case: Case) -> Case:
    """The case row, locked until the end of the transaction, with what the rules read."""
    locked = Case.objects.select_for_update(of=("self",)).select_related(*_LOCKED_WITH).get(pk=case.pk)
    for name in _REUSED:
        field = Case._meta.get_field(name)
        held = field.get_cached_value(case, default=None)
        if held is not None and held.pk == getattr(locked, field.attname):
            field.set_cached_value(locked, held)
    if not Case.matter.is_cached(locked):
        locked.matter = Matter.objects.for_handling().get(pk=locked.matter_id)
    if not Case.department.is_cached(locked) and locked.matter.department_id == locked.department_id:
        locked.department = locked.matter.department
    locked._as_locked = _column_values(locked)
    return locked


def _column_values(case: Case) -> dict[str, object]:
    return {f.name: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def _save_changes(case: Case) -> None:
    """Save the columns a transition changed since ``_lock`` (a case row has 30 columns and
    ten indexes; a transition changes a few of them), or the whole row when not locked here."""
    before = getattr(case, "_as_locked", None)
    if before is None:
        case.save()
        return
    now = _column_values(case)
    changed = [name for name, value in now.items() if before.get(name) != value]
    if changed:
        case.save(update_fields=changed)
    case._as_locked = now


def _local_date(at: datetime.datetime) -> datetime.date:
    return timezone.localtime(at).date()


# --- Drafts and submission --------------------------------------------------------------


@transaction.atomic
def create_draft(
    *,
    applicant,
    matter: Matter,
    data: ApplicantData,
    form_data: dict | None = None,
    channel: str = HandlingForm.ONLINE_PC,
    sub_channel: str = OnlineSubChannel.PC,
    origin: str = Origin.PORTAL,
    external_id: str = "",
) -> Case:
    """A draft submission for one matter, with its (not yet numbered) case."""
    if applicant is None or not applicant.is_authenticated or not applicant.is_active:
        raise TransitionNotAllowed(_("请先登录后再申请。"), code="login_required")
    if not matter.is_published:
        raise TransitionNotAllowed(_("该事项未发布或已撤销，不能申请。"), code="matter_unavailable")
    submission = Submission.objects.create(
        applicant=applicant,
        applicant_type=data.applicant_type,
        applicant_name=data.name,
        applicant_id_type=data.id_type,
        applicant_id_number=data.id_number.strip().upper(),
        org_name=data.org_name,
        org_code=data.org_code.strip().upper(),
        contact_name=data.contact_name or data.name,
        contact_mobile=data.mobile,
        form_data=form_data or {},
    )
    return Case.objects.create(
        submission=submission,
        matter=matter,
        department=matter.department,
        applicant=applicant,
        channel=channel,
        sub_channel=sub_channel if channel in (HandlingForm.ONLINE_PC, HandlingForm.ONLINE_MOBILE) else "",
        origin=origin,
        external_id=external_id,
    )


def _require_own_draft(case: Case, actor) -> None:
    if actor is None or not actor.is_authenticated or actor.pk != case.applicant_id:
        raise TransitionNotAllowed(_("只能修改自己的草稿。"), code="forbidden")
    if case.state != State.DRAFT:
        raise TransitionNotAllowed(_("申请已提交，不能再修改草稿。"), code="invalid_state")


@transaction.atomic
def update_draft(*, case: Case, actor, form_data: dict) -> Case:
    """Save the form answers of a draft (auto-save): only the applicant, only while a draft."""
    case = _lock(case)
    _require_own_draft(case, actor)
    submission = case.submission
    submission.form_data = form_data or {}
    submission.save(update_fields=["form_data", "updated_at"])
    return case


@transaction.atomic
def discard_draft(*, case: Case, actor) -> None:
    """Delete a draft that was never submitted (it has no serial number and no record)."""
    case = _lock(case)
    _require_own_draft(case, actor)
    submission = case.submission
    case.delete()
    if not submission.cases.exists():
        submission.delete()


def completeness_problems(case: Case) -> list[str]:
    """What stops the submission (form answers and materials); empty when complete."""
    return completeness.problems(case)


def _issue_serial(case: Case, at: datetime.datetime) -> serials.IssuedSerial:
    try:
        issued = serials.next_serial(implementation_code=case.matter.implementation_code, day=_local_date(at))
    except serials.SerialExhausted:
        raise TransitionNotAllowed(
            _("该事项今日的申办流水号已用完，请明日再提交。"), code="serial_exhausted"
        ) from None
    case.serial = issued.serial
    case.serial_pending_reconciliation = issued.pending_reconciliation
    return issued


@transaction.atomic
def submit(
    *, case: Case, actor, at: datetime.datetime | None = None, check_completeness: bool = True
) -> Case:
    """提交: number the case, start the pre-review period, tell the applicant.

    A matter in "trust online, review later" mode (信任在线，审核在后) is accepted at once by
    the system, in the same transaction.
    """
    case = _lock(case)
    transition = workflow.require(case, "submit", actor)
    if not case.matter.is_published:
        raise TransitionNotAllowed(_("该事项已停止办理，不能提交。"), code="matter_unavailable")
    if check_completeness:
        problems = completeness_problems(case)
        if problems:
            raise SubmissionIncomplete(problems)
    at = at or timezone.now()
    issued = _issue_serial(case, at)
    case.submitted_at = at
    case.pre_review_due_date = workdays.add_workdays(_local_date(at), pre_review_workdays())
    submission = case.submission
    if submission.submitted_at is None:
        submission.submitted_at = at
        # The answers were checked against the form as it is now: later versions of the
        # form must not change how this submission is read.
        submission.form_version = forms_engine.current_version(case.matter)
        submission.save(update_fields=["submitted_at", "form_version", "updated_at"])
    details = {"pre_review_due_date": case.pre_review_due_date.isoformat()}
    if issued.pending_reconciliation:
        details["serial_pending_reconciliation"] = True
        # Before the first process record (same ordering key): the province learns the number first.
        outbox.enqueue(
            topic="case.serial_reconciliation",
            destination=PROVINCIAL_DESTINATION,
            key=f"case-{case.pk}-serial",
            ordering_key=f"case-{case.pk}",
            payload={
                "serial": case.serial,
                "implementation_code": case.matter.implementation_code,
                "submitted_at": at.isoformat(),
                "channel": case.channel,
            },
        )
    _fire(case, transition, actor, at=at, details=details)
    if case.matter.trust_online_review:
        case = _accept_locked(
            case,
            workflow.require(case, "accept", None),
            None,
            opinion=_("信任在线，审核在后：提交即受理，受理后审查。"),
            at=at,
            trust_online=True,
        )
    return case


@transaction.atomic
def register_window_case(
    *,
    staff,
    matter: Matter,
    data: ApplicantData,
    form_data: dict | None = None,
    applicant=None,
    external_id: str = "",
) -> Case:
    """On-site window registration (窗口登记): staff create and submit the case; it gets its
    serial number, which is also the unified acceptance receipt number (统一受理回执号).

    ``applicant`` is the applicant's own account when they have one (they then follow the
    case online and get its notices); otherwise the case is kept under the registering staff
    member's account and the applicant is served at the window (no portal notices).
    """
    if not workflow.staff_roles_in(staff, matter.department_id):
        raise TransitionNotAllowed(_("只能登记本部门事项的办件。"), code="forbidden")
    case = create_draft(
        applicant=applicant or staff,
        matter=matter,
        data=data,
        form_data=form_data,
        channel=HandlingForm.WINDOW,
        sub_channel="",
        origin=Origin.WINDOW,
        external_id=external_id,
    )
    return submit(case=case, actor=staff, check_completeness=False)


@transaction.atomic
def supply_correction(*, case: Case, actor, note: str = "") -> Case:
    """补正: the applicant has supplied what was asked; the case returns to pre-review with a
    new pre-review period, and the working days the clock stood still are recorded."""
    case = _lock(case)
    transition = workflow.require(case, "supply_correction", actor)
    problems = completeness_problems(case)
    if problems:
        raise SubmissionIncomplete(problems)
    now = timezone.now()
    case.pre_review_due_date = workdays.add_workdays(_local_date(now), pre_review_workdays())
    _fire(
        case,
        transition,
        actor,
        at=now,
        opinion=note,
        details={"pre_review_due_date": case.pre_review_due_date.isoformat()},
    )
    return case


# --- Pre-review -------------------------------------------------------------------------


def _pre_review_expired(case: Case, today: datetime.date) -> bool:
    """No correction notice within the pre-review period: by law the case counts as accepted."""
    return (
        case.state in (State.SUBMITTED, State.PRE_REVIEW)
        and case.correction_count == 0
        and case.pre_review_due_date is not None
        and today > case.pre_review_due_date
    )


def _deemed_opinion() -> str:
    return _(
        "预审期限（%(days)d个工作日）届满未一次性告知补正，依《行政许可法》第三十二条自收到申请之日起视为受理。"
    ) % {"days": pre_review_workdays()}


@transaction.atomic
def sign(*, case: Case, actor, opinion: str = "") -> Case:
    """签收: a clerk takes the case into pre-review."""
    case = _lock(case)
    transition = workflow.require(case, "sign", actor)
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion)
    return case


@transaction.atomic
def accept(*, case: Case, actor, opinion: str = "", at: datetime.datetime | None = None) -> Case:
    """受理: the clock starts; the promised and legal due dates are the Nth working day after.

    Accepting after the pre-review period ran out without a correction notice dates the
    acceptance back to the day the application was received (Art. 32).
    """
    case = _lock(case)
    transition = workflow.require(case, "accept", actor)
    return _accept_locked(case, transition, actor, opinion=opinion, at=at or timezone.now())


def _accept_locked(
    case: Case,
    transition: workflow.Transition,
    actor,
    *,
    opinion: str,
    at: datetime.datetime,
    deemed: bool = False,
    trust_online: bool = False,
) -> Case:
    details: dict = {}
    deemed = deemed or _pre_review_expired(case, _local_date(at))
    if deemed:
        case.accepted_at = case.submitted_at
        case.deemed_accepted = True
        details["deemed"] = True
        opinion = "\n".join(part for part in ((opinion or "").strip(), _deemed_opinion()) if part)
    else:
        case.accepted_at = at
    if trust_online:
        details["trust_online"] = True
    _fire(case, transition, actor, at=at, opinion=opinion, details=details, issue=IssuedDocument.Kind.RECEIPT)
    return case


@transaction.atomic
def request_correction(*, case: Case, actor, items: list[str], opinion: str = "") -> Case:
    """补正告知: once and in full (一次性告知, Art. 32): all missing items in one notice, within
    the pre-review period. The clock stands still until the applicant supplies them."""
    case = _lock(case)
    transition = workflow.require(case, "request_correction", actor)
    items = [item.strip() for item in items or [] if item and item.strip()]
    if not items:
        raise TransitionNotAllowed(_("请逐项列明需要补正的材料或内容。"), code="items_required")
    if case.correction_count >= 1:
        raise TransitionNotAllowed(
            _("补正告知应一次性告知全部内容，本办件已告知过补正，不能再次要求补正。"), code="correction_once"
        )
    now = timezone.now()
    if _pre_review_expired(case, _local_date(now)):
        raise TransitionNotAllowed(
            _("已超过%(days)d个工作日的预审期限，依法自收到申请之日起视为受理，不能再要求补正。")
            % {"days": pre_review_workdays()},
            code="pre_review_expired",
        )
    text = (opinion or "").strip() or "；".join(items)
    case.correction_count += 1
    details: dict = {"items": items}
    returned = materials.return_for_correction(case.submission, items)
    if returned:
        details["materials"] = returned
    _fire(
        case,
        transition,
        actor,
        at=now,
        opinion=text,
        details=details,
        issue=IssuedDocument.Kind.CORRECTION_NOTICE,
    )
    return case


@transaction.atomic
def reject(*, case: Case, actor, reason_code: str, opinion: str) -> Case:
    """不予受理, with a reason from the list and a written opinion."""
    case = _lock(case)
    transition = workflow.require(case, "reject", actor)
    workflow.check_input(transition, case, opinion=opinion, reason_code=reason_code)
    now = timezone.now()
    if _pre_review_expired(case, _local_date(now)):
        raise TransitionNotAllowed(
            _("预审期限已届满，依法视为已受理，不能再不予受理；请受理后在审查中作出决定。"),
            code="pre_review_expired",
        )
    _fire(
        case,
        transition,
        actor,
        at=now,
        opinion=opinion,
        reason_code=reason_code,
        issue=IssuedDocument.Kind.REJECTION_NOTICE,
    )
    return case


@transaction.atomic
def apply_deemed_acceptance(*, case: Case, today: datetime.date | None = None) -> Case | None:
    """Art. 32: without a correction notice within the pre-review period the application counts
    as accepted from the day it was received. The system accepts it and records why.

    Returns None (and changes nothing) when the case is not, or no longer, due.
    """
    case = _lock(case)
    today = today or timezone.localdate()
    if not _pre_review_expired(case, today):
        return None
    transition = workflow.require(case, "accept", None)
    return _accept_locked(case, transition, None, opinion="", at=timezone.now(), deemed=True)


def apply_deemed_acceptance_to_due_cases(today: datetime.date | None = None) -> tuple[int, int]:
    """The periodic job: accept every due case, each in its own transaction.

    Returns (accepted, failed); a failing case is logged and does not stop the others.
    """
    accepted = failed = 0
    for case in selectors.deemed_acceptance_due(today).only("pk").order_by("pk").iterator():
        try:
            if apply_deemed_acceptance(case=case, today=today) is not None:
                accepted += 1
        except Exception:
            failed += 1
            logger.exception("deemed acceptance failed for case %s", case.pk)
    return accepted, failed


# --- Review and decision ----------------------------------------------------------------


@transaction.atomic
def start_review(*, case: Case, actor, opinion: str = "") -> Case:
    case = _lock(case)
    transition = workflow.require(case, "start_review", actor)
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion)
    return case


@transaction.atomic
def begin_special_procedure(*, case: Case, actor, kind: str, opinion: str) -> Case:
    """特别程序 (hearing, testing, expert review…): the time it takes is not counted (Art. 45)."""
    case = _lock(case)
    transition = workflow.require(case, "begin_special_procedure", actor)
    workflow.check_input(transition, case, opinion=opinion, reason_code=kind)
    _fire(
        case,
        transition,
        actor,
        at=timezone.now(),
        opinion=opinion,
        reason_code=kind,
        details={"special_procedure_type": "2"},  # code table A.7: other special procedure
    )
    return case


@transaction.atomic
def end_special_procedure(*, case: Case, actor, opinion: str) -> Case:
    """特别程序结束: the clock runs again and the due dates move by the working days stopped."""
    case = _lock(case)
    transition = workflow.require(case, "end_special_procedure", actor)
    workflow.check_input(transition, case, opinion=opinion)
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion)
    return case


@transaction.atomic
def extend(*, case: Case, actor, opinion: str, days: int | None = None) -> Case:
    """延长审批 (Art. 42): once, by at most the matter's configured working days, approved by
    the head (approver role), before the legal period ends, with a reason for the applicant."""
    case = _lock(case)
    transition = workflow.require(case, "extend", actor)
    workflow.check_input(transition, case, opinion=opinion)
    if case.extended_days:
        raise TransitionNotAllowed(_("审批期限只能延长一次。"), code="extend_once")
    limit = case.matter.extension_days
    days = limit if days is None else days
    if limit <= 0:
        raise TransitionNotAllowed(_("该事项不允许延长审批期限。"), code="extend_days")
    if not isinstance(days, int) or days <= 0 or days > limit:
        raise TransitionNotAllowed(_("延长期限应为1至%(max)d个工作日。") % {"max": limit}, code="extend_days")
    now = timezone.now()
    if case.legal_due_date and _local_date(now) > case.legal_due_date:
        raise TransitionNotAllowed(_("法定办理期限已届满，不能再延长审批期限。"), code="extend_too_late")
    case.extended_days = days
    _recompute_due_dates(case)
    _fire(
        case,
        transition,
        actor,
        at=now,
        opinion=opinion,
        details={
            "days": days,
            "special_procedure_type": "1",  # code table A.7: 延长审批
            "promised_due_date": case.promised_due_date.isoformat(),
            "legal_due_date": case.legal_due_date.isoformat(),
        },
    )
    return case


@transaction.atomic
def approve(*, case: Case, actor, opinion: str) -> Case:
    """审批（准予）."""
    case = _lock(case)
    transition = workflow.require(case, "approve", actor)
    workflow.check_input(transition, case, opinion=opinion)
    case.decision = Decision.APPROVED
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion, details={"decision": case.decision})
    return case


@transaction.atomic
def deny(*, case: Case, actor, reason_code: str, opinion: str) -> Case:
    """审批（不予准予）, with a reason from the list."""
    case = _lock(case)
    transition = workflow.require(case, "deny", actor)
    workflow.check_input(transition, case, opinion=opinion, reason_code=reason_code)
    case.decision = Decision.DENIED
    _fire(
        case,
        transition,
        actor,
        at=timezone.now(),
        opinion=opinion,
        reason_code=reason_code,
        details={"decision": case.decision},
    )
    return case


@transaction.atomic
def complete(*, case: Case, actor, opinion: str = "", result_document=None) -> Case:
    """办结. An approval of a matter with a result (证照/批文) needs the result document, a
    ``Document`` of kind result or e-licence owned by the applicant's account. An immediate
    case (即办件) is completed straight from acceptance, approved."""
    case = _lock(case)
    name = "complete_immediately" if case.state == State.ACCEPTED else "complete"
    transition = workflow.require(case, name, actor)
    decision = Decision.APPROVED if name == "complete_immediately" else case.decision
    workflow.check_input(
        transition, case, opinion=opinion, decision=decision, result_document=result_document
    )
    case.decision = decision
    details = {"decision": decision}
    if result_document is not None:
        details["result_document"] = result_document.pk
    _fire(
        case,
        transition,
        actor,
        at=timezone.now(),
        opinion=opinion,
        details=details,
        issue=IssuedDocument.Kind.COMPLETION_NOTICE,
    )
    return case


@transaction.atomic
def deliver(*, case: Case, actor, opinion: str = "", details: dict | None = None) -> Case:
    """送达: the result reached the applicant (details: ``method``, ``tracking_number``)."""
    case = _lock(case)
    transition = workflow.require(case, "deliver", actor)
    extra = {key: value for key, value in (details or {}).items() if key in transition.records}
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion, details=extra)
    return case


@transaction.atomic
def withdraw(*, case: Case, actor, reason_code: str, opinion: str = "") -> Case:
    """撤回: by the applicant while the case is open and undecided."""
    case = _lock(case)
    transition = workflow.require(case, "withdraw", actor)
    workflow.check_input(transition, case, opinion=opinion, reason_code=reason_code)
    _fire(case, transition, actor, at=timezone.now(), opinion=opinion, reason_code=reason_code)
    return case


# Generic entry point for the API and the back office: one name per transition.
def perform(case: Case, name: str, actor, **data) -> Case:
    """Fire transition ``name`` with the input of a form or an API body:
    ``opinion``, ``reason`` (a code from the transition's list), ``items`` (correction),
    ``days`` (extension), ``result_document`` (a ``Document``)."""
    opinion = data.get("opinion") or ""
    reason = data.get("reason") or ""
    handlers = {
        "sign": lambda: sign(case=case, actor=actor, opinion=opinion),
        "accept": lambda: accept(case=case, actor=actor, opinion=opinion),
        "request_correction": lambda: request_correction(
            case=case, actor=actor, items=data.get("items") or [], opinion=opinion
        ),
        "reject": lambda: reject(case=case, actor=actor, reason_code=reason, opinion=opinion),
        "start_review": lambda: start_review(case=case, actor=actor, opinion=opinion),
        "begin_special_procedure": lambda: begin_special_procedure(
            case=case, actor=actor, kind=reason, opinion=opinion
        ),
        "end_special_procedure": lambda: end_special_procedure(case=case, actor=actor, opinion=opinion),
        "extend": lambda: extend(case=case, actor=actor, opinion=opinion, days=data.get("days")),
        "approve": lambda: approve(case=case, actor=actor, opinion=opinion),
        "deny": lambda: deny(case=case, actor=actor, reason_code=reason, opinion=opinion),
        "complete": lambda: complete(
            case=case, actor=actor, opinion=opinion, result_document=data.get("result_document")
        ),
        "complete_immediately": lambda: complete(
            case=case, actor=actor, opinion=opinion, result_document=data.get("result_document")
        ),
        "deliver": lambda: deliver(case=case, actor=actor, opinion=opinion),
        "withdraw": lambda: withdraw(case=case, actor=actor, reason_code=reason, opinion=opinion),
    }
    workflow.get(name)
    if name not in handlers:
        raise TransitionNotAllowed(_("该操作不能通过此入口执行。"), code="not_here")
    return handlers[name]()


# --- The clock --------------------------------------------------------------------------


def _stopped_workdays(case: Case, now: datetime.datetime) -> int:
    """Working days after the day the clock stopped, up to and including ``now``'s day."""
    if case.clock_stopped_at is None:
        return 0
    return max(0, workdays.workdays_between(_local_date(case.clock_stopped_at), _local_date(now)))


def _recompute_due_dates(case: Case) -> None:
    """Due dates from acceptance (the day of acceptance not counted): the limit plus the
    extension plus the working days the clock stood still."""
    accepted_on = _local_date(case.accepted_at)
    matter = case.matter
    extra = case.stopped_workdays + case.extended_days
    case.promised_due_date = workdays.add_workdays(accepted_on, matter.promised_limit_days + extra)
    case.legal_due_date = workdays.add_workdays(accepted_on, matter.legal_limit_days + extra)


def _apply_clock(case: Case, transition: workflow.Transition, at: datetime.datetime, details: dict) -> None:
    """What the table says the transition does to the clock; due dates recorded when declared."""
    if transition.clock == Clock.START:
        case.accepted_at = case.accepted_at or at
        case.clock_stopped_at = None
        _recompute_due_dates(case)
    elif transition.clock == Clock.STOP:
        case.clock_stopped_at = at
    elif transition.clock in (Clock.RESUME, Clock.END):
        if case.clock_stopped_at is not None:
            stopped = _stopped_workdays(case, at)
            if "stopped_workdays" in transition.records:
                details["stopped_workdays"] = stopped
            if case.accepted_at is not None:
                # Before acceptance (a correction) the due dates do not exist yet: nothing to move.
                case.stopped_workdays += stopped
                _recompute_due_dates(case)
            case.clock_stopped_at = None
        if transition.clock == Clock.END:
            case.completed_at = at
    for key in ("promised_due_date", "legal_due_date"):
        value = getattr(case, key)
        if key in transition.records and value is not None:
            details.setdefault(key, value.isoformat())


# --- Firing a transition and what follows it ---------------------------------------------


def _fire(
    case: Case,
    transition: workflow.Transition,
    actor,
    *,
    at: datetime.datetime,
    opinion: str = "",
    reason_code: str = "",
    details: dict | None = None,
    issue: str = "",
) -> ProcessRecord:
    """Clock, state and record, saved; then the outbox message, the document and the notice."""
    details = dict(details or {})
    _apply_clock(case, transition, at, details)
    record = workflow.move(
        case, transition, actor, opinion=opinion, reason_code=reason_code, details=details, at=at
    )
    _save_changes(case)
    _after_transition(case, record, transition, issue=issue)
    return record


def notice_recipient(case: Case):
    """The account that gets the applicant's notices, or None.

    A window case registered without the applicant's own account is kept under the staff
    member's account: the applicant is served at the window, the staff member gets no notices.
    Likewise a department system's case kept under the system's service account.
    """
    if case.origin in (Origin.WINDOW, Origin.DEPARTMENT_SYSTEM) and workflow.staff_roles(
        case.applicant, case
    ):
        return None
    return case.applicant


def _after_transition(
    case: Case, record: ProcessRecord, transition: workflow.Transition, *, issue: str = ""
) -> None:
    """The outbox message, the issued document and the applicant's notification, in the same
    transaction (the notification's SMS and e-mail, and the PDF, go out after commit)."""
    outbox.enqueue(
        topic="case.process_record",
        destination=PROVINCIAL_DESTINATION,
        key=record.key,
        ordering_key=f"case-{case.pk}",
        payload=exchange_record(case, record),
    )
    if issue:
        from applications import documents

        documents.schedule_issue(case=case, kind=issue, record=record)
    recipient = notice_recipient(case)
    if transition.notice and recipient is not None:
        notifications.notify(
            user=recipient,
            template_key=transition.notice,
            key=f"{record.key}-applicant",
            link=_case_link(case),
            context=notification_context(case, record),
        )
    signals.case_transitioned.send(sender=Case, case=case, record=record, transition=transition)


def _case_link(case: Case) -> str:
    try:
        return case.get_absolute_url()
    except NoReverseMatch:  # the applicant's pages are not mounted (e.g. an API-only deployment)
        return ""


def notification_context(case: Case, record: ProcessRecord) -> dict:
    return {
        "matter": case.matter.name,
        "serial": case.serial or "",
        "query_code": case.query_code,
        "state": case.get_state_display(),
        "action": record.action_label,
        "date": f"{timezone.localtime(record.created_at):%Y-%m-%d}",
        "accepted_date": f"{timezone.localtime(case.accepted_at):%Y-%m-%d}" if case.accepted_at else "",
        "due_date": f"{case.promised_due_date:%Y-%m-%d}" if case.promised_due_date else "",
        "legal_due_date": f"{case.legal_due_date:%Y-%m-%d}" if case.legal_due_date else "",
        "opinion": record.opinion,
        "reason": record.details.get("reason", ""),
        "items": "；".join(record.details.get("items", [])),
        "days": record.details.get("days", ""),
        "decision": case.get_decision_display() if case.decision else "",
        "pre_review_days": pre_review_workdays(),
        "pre_review_due_date": f"{case.pre_review_due_date:%Y-%m-%d}" if case.pre_review_due_date else "",
    }


def exchange_record(case: Case, record: ProcessRecord) -> dict:
    """Plain data of a process record for the provincial exchange (mapped to its tables by
    integrations.provincial); no model instances cross the boundary."""
    submission = case.submission
    return {
        "serial": case.serial,
        "serial_pending_reconciliation": case.serial_pending_reconciliation,
        "implementation_code": case.matter.implementation_code,
        "matter_name": case.matter.name,
        "department_uscc": case.department.uscc,
        "division_code": case.matter.region.code if case.matter.region_id else "",
        "channel": case.channel,
        "sub_channel": case.sub_channel,
        "origin": case.origin,
        "applicant_type": submission.applicant_type,
        "applicant_name": submission.applicant_name,
        "applicant_id_type": submission.applicant_id_type,
        "applicant_id_number": submission.applicant_id_number,
        "contact_name": submission.contact_name,
        "contact_mobile": submission.contact_mobile,
        "org_code": submission.org_code,
        "sequence": record.sequence,
        "action": record.action,
        "action_label": record.action_label,
        "from_state": record.from_state,
        "to_state": record.to_state,
        "actor_name": record.actor_name,
        "actor_department_uscc": record.actor_department.uscc if record.actor_department_id else "",
        "opinion": record.opinion,
        "reason_code": record.reason_code,
        "details": record.details,
        "at": record.created_at.isoformat(),
        "step_seconds": record.step_seconds,
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "deemed_accepted": case.deemed_accepted,
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
        "promised_due_date": case.promised_due_date.isoformat() if case.promised_due_date else None,
        "legal_due_date": case.legal_due_date.isoformat() if case.legal_due_date else None,
        "stopped_workdays": case.stopped_workdays,
        "extended_days": case.extended_days,
        "decision": case.decision,
    }
