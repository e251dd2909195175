"""Every write operation on submissions and cases.

Views, admin actions, API endpoints, tasks and commands all call these functions. Each
runs in one transaction with the case row locked, asks ``workflow`` whether the actor may
do it, applies the rules of the clock (Administrative Licensing Law, STANDARDS.md), moves
the state (appending a ``ProcessRecord``), writes the outbox message for the provincial
exchange and the applicant's notification in the same transaction.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import serials, workflow
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
from applications.workflow import TransitionNotAllowed
from integrations import outbox
from matters.codes import HandlingForm
from matters.models import Matter
from portal import notifications, workdays

logger = logging.getLogger(__name__)

PROVINCIAL_DESTINATION = "provincial"


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


def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("matter", "department", "submission", "current_record", "applicant")
        .get(pk=case.pk)
    )


def _today() -> datetime.date:
    return timezone.localdate()


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


def completeness_problems(case: Case) -> list[str]:
    """What stops the submission (form answers and materials); empty when complete.

    The form and material checks are plug-ins so this module does not depend on them:
    ``applications.forms_engine.problems`` and ``applications.materials.problems``.
    """
    problems: list[str] = []
    for checker in _completeness_checkers():
        problems.extend(checker(case))
    return problems


def _completeness_checkers():
    from applications import completeness

    return completeness.CHECKERS


def _issue_serial(case: Case, at: datetime.datetime) -> None:
    issued = serials.next_serial(
        implementation_code=case.matter.implementation_code, day=timezone.localtime(at).date()
    )
    case.serial = issued.serial
    case.serial_pending_reconciliation = issued.pending_reconciliation


@transaction.atomic
def submit(
    *, case: Case, actor, at: datetime.datetime | None = None, check_completeness: bool = True
) -> Case:
    """提交: number the case, start the pre-review period, tell the applicant.

    A matter in "trust online, review later" mode (信任在线，审核在后) is accepted at once.
    """
    case = _lock(case)
    transition = workflow.require(case, "submit", actor)
    if check_completeness:
        problems = completeness_problems(case)
        if problems:
            raise SubmissionIncomplete(problems)
    at = at or timezone.now()
    _issue_serial(case, at)
    case.submitted_at = at
    case.pre_review_due_date = workdays.add_workdays(timezone.localtime(at).date(), pre_review_workdays())
    submission = case.submission
    if submission.submitted_at is None:
        submission.submitted_at = at
        submission.save(update_fields=["submitted_at"])
    record = workflow.move(case, transition, actor, at=at)
    case.save()
    _after_transition(case, record, transition, template="case_submitted")
    if case.matter.trust_online_review:
        accept(
            case=case,
            actor=None,
            opinion=_("信任在线，审核在后：提交即受理，后续审查。"),
            at=at,
        )
        case.refresh_from_db()
    return case


@transaction.atomic
def register_window_case(
    *, staff, matter: Matter, data: ApplicantData, form_data: dict | None = None
) -> Case:
    """On-site window registration (窗口登记): staff create and submit the case; it gets its serial
    number and the unified acceptance receipt number at once."""
    if not workflow.staff_roles_in(staff, matter.department_id):
        raise TransitionNotAllowed(_("只能登记本部门事项的办件。"), code="forbidden")
    case = create_draft(
        applicant=staff,
        matter=matter,
        data=data,
        form_data=form_data,
        channel=HandlingForm.WINDOW,
        sub_channel="",
        origin=Origin.WINDOW,
    )
    return submit(case=case, actor=staff, check_completeness=False)


@transaction.atomic
def supply_correction(*, case: Case, actor, note: str = "") -> Case:
    """补正: the applicant has supplied what was asked; the case returns to pre-review with a
    new pre-review period, and the time spent correcting is recorded."""
    case = _lock(case)
    transition = workflow.require(case, "supply_correction", actor)
    problems = completeness_problems(case)
    if problems:
        raise SubmissionIncomplete(problems)
    now = timezone.now()
    stopped_days = _stopped_workdays(case, now)
    case.clock_stopped_at = None
    case.pre_review_due_date = workdays.add_workdays(timezone.localtime(now).date(), pre_review_workdays())
    record = workflow.move(
        case, transition, actor, opinion=note, details={"stopped_workdays": stopped_days}, at=now
    )
    case.save()
    _after_transition(case, record, transition)
    return case


# --- Pre-review -------------------------------------------------------------------------


@transaction.atomic
def sign(*, case: Case, actor) -> Case:
    case = _lock(case)
    transition = workflow.require(case, "sign", actor)
    record = workflow.move(case, transition, actor)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def accept(*, case: Case, actor, opinion: str = "", at: datetime.datetime | None = None) -> Case:
    """受理: the clock starts; the promised and legal due dates are the Nth working day after."""
    case = _lock(case)
    transition = workflow.require(case, "accept", actor)
    at = at or timezone.now()
    _start_clock(case, at)
    record = workflow.move(case, transition, actor, opinion=opinion, at=at)
    case.save()
    _after_transition(case, record, transition, issue=IssuedDocument.Kind.RECEIPT)
    return case


@transaction.atomic
def request_correction(*, case: Case, actor, items: list[str], opinion: str = "") -> Case:
    """补正告知: once and in full (一次性告知, Art. 32): all missing items in one notice."""
    case = _lock(case)
    transition = workflow.require(case, "request_correction", actor)
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        raise TransitionNotAllowed(_("请逐项列明需要补正的材料或内容。"), code="items_required")
    if case.correction_count >= 1:
        raise TransitionNotAllowed(
            _("补正告知应一次性告知全部内容，本办件已告知过补正，不能再次要求补正。"), code="correction_once"
        )
    now = timezone.now()
    if case.pre_review_due_date and timezone.localtime(now).date() > case.pre_review_due_date:
        raise TransitionNotAllowed(
            _("已超过%(days)d个工作日的预审期限，依法自收到申请之日起视为受理，不能再要求补正。")
            % {"days": pre_review_workdays()},
            code="pre_review_expired",
        )
    case.correction_count += 1
    case.clock_stopped_at = now
    text = opinion.strip() or "；".join(items)
    record = workflow.move(case, transition, actor, opinion=text, details={"items": items}, at=now)
    case.save()
    _after_transition(case, record, transition, issue=IssuedDocument.Kind.CORRECTION_NOTICE)
    return case


@transaction.atomic
def reject(*, case: Case, actor, reason_code: str, opinion: str) -> Case:
    """不予受理, with a reason from the list and a written opinion."""
    case = _lock(case)
    transition = workflow.require(case, "reject", actor)
    now = timezone.now()
    case.clock_stopped_at = None
    case.completed_at = now
    record = workflow.move(case, transition, actor, opinion=opinion, reason_code=reason_code, at=now)
    case.save()
    _after_transition(case, record, transition, issue=IssuedDocument.Kind.REJECTION_NOTICE)
    return case


@transaction.atomic
def apply_deemed_acceptance(*, case: Case, today: datetime.date | None = None) -> Case | None:
    """Art. 32: without a correction notice within the pre-review period the application counts
    as accepted from the day it was received. The system accepts it and records why."""
    case = _lock(case)
    today = today or _today()
    if case.state not in (State.SUBMITTED, State.PRE_REVIEW) or case.correction_count:
        return None
    if not case.pre_review_due_date or today <= case.pre_review_due_date:
        return None
    transition = workflow.require(case, "accept", None)
    _start_clock(case, case.submitted_at)
    case.deemed_accepted = True
    opinion = _(
        "预审期限（%(days)d个工作日）届满未一次性告知补正，依《行政许可法》第三十二条自收到申请之日起视为受理。"
    ) % {"days": pre_review_workdays()}
    record = workflow.move(case, transition, None, opinion=opinion, details={"deemed": True})
    case.save()
    _after_transition(case, record, transition, issue=IssuedDocument.Kind.RECEIPT)
    return case


def deemed_acceptance_due(today: datetime.date | None = None):
    """Cases whose pre-review period has run out without a correction notice."""
    today = today or _today()
    return Case.objects.filter(
        state__in=(State.SUBMITTED, State.PRE_REVIEW), correction_count=0, pre_review_due_date__lt=today
    )


# --- Review and decision ----------------------------------------------------------------


@transaction.atomic
def start_review(*, case: Case, actor, opinion: str = "") -> Case:
    case = _lock(case)
    transition = workflow.require(case, "start_review", actor)
    record = workflow.move(case, transition, actor, opinion=opinion)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def begin_special_procedure(*, case: Case, actor, kind: str, opinion: str) -> Case:
    """特别程序 (hearing, testing, expert review…): time spent is not counted (Art. 45)."""
    case = _lock(case)
    transition = workflow.require(case, "begin_special_procedure", actor)
    now = timezone.now()
    case.clock_stopped_at = now
    record = workflow.move(case, transition, actor, opinion=opinion, reason_code=kind, at=now)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def end_special_procedure(*, case: Case, actor, opinion: str) -> Case:
    case = _lock(case)
    transition = workflow.require(case, "end_special_procedure", actor)
    now = timezone.now()
    stopped = _resume_clock(case, now)
    record = workflow.move(
        case, transition, actor, opinion=opinion, details={"stopped_workdays": stopped}, at=now
    )
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def extend(*, case: Case, actor, opinion: str, days: int | None = None) -> Case:
    """延长审批: once, by the matter's configured number of working days, with a reason for the applicant."""
    case = _lock(case)
    transition = workflow.require(case, "extend", actor)
    if case.extended_days:
        raise TransitionNotAllowed(_("审批期限只能延长一次。"), code="extend_once")
    days = days or case.matter.extension_days
    if days <= 0 or days > case.matter.extension_days:
        raise TransitionNotAllowed(
            _("延长期限应为1至%(max)d个工作日。") % {"max": case.matter.extension_days}, code="extend_days"
        )
    case.extended_days = days
    _recompute_due_dates(case)
    record = workflow.move(
        case,
        transition,
        actor,
        opinion=opinion,
        details={"days": days, "due_date": str(case.promised_due_date)},
    )
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def approve(*, case: Case, actor, opinion: str) -> Case:
    case = _lock(case)
    transition = workflow.require(case, "approve", actor)
    case.decision = Decision.APPROVED
    record = workflow.move(case, transition, actor, opinion=opinion)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def deny(*, case: Case, actor, reason_code: str, opinion: str) -> Case:
    case = _lock(case)
    transition = workflow.require(case, "deny", actor)
    case.decision = Decision.DENIED
    record = workflow.move(case, transition, actor, opinion=opinion, reason_code=reason_code)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def complete(*, case: Case, actor, opinion: str = "", result_document=None) -> Case:
    """办结. An approved case of a matter with a result (证照/批文) needs the result document."""
    case = _lock(case)
    name = "complete_immediately" if case.state == State.ACCEPTED else "complete"
    transition = workflow.require(case, name, actor)
    if name == "complete_immediately":
        case.decision = Decision.APPROVED
    needs_result = case.decision == Decision.APPROVED and bool(case.matter.result_name)
    if needs_result and result_document is None:
        raise TransitionNotAllowed(
            _("办结须上传办理结果（%(result)s）。") % {"result": case.matter.result_name},
            code="result_required",
        )
    now = timezone.now()
    case.completed_at = now
    case.clock_stopped_at = None
    details = {"decision": case.decision}
    if result_document is not None:
        details["result_document"] = result_document.pk
    record = workflow.move(case, transition, actor, opinion=opinion, details=details, at=now)
    case.save()
    _after_transition(case, record, transition, issue=IssuedDocument.Kind.COMPLETION_NOTICE)
    return case


@transaction.atomic
def deliver(*, case: Case, actor, opinion: str = "", details: dict | None = None) -> Case:
    case = _lock(case)
    transition = workflow.require(case, "deliver", actor)
    record = workflow.move(case, transition, actor, opinion=opinion, details=details)
    case.save()
    _after_transition(case, record, transition)
    return case


@transaction.atomic
def withdraw(*, case: Case, actor, reason_code: str, opinion: str = "") -> Case:
    """撤回: by the applicant while the case is open and undecided."""
    case = _lock(case)
    transition = workflow.require(case, "withdraw", actor)
    now = timezone.now()
    case.clock_stopped_at = None
    case.completed_at = now
    record = workflow.move(case, transition, actor, opinion=opinion, reason_code=reason_code, at=now)
    case.save()
    _after_transition(case, record, transition)
    return case


# Generic entry point for the API and the back office: one name per transition.
def perform(case: Case, name: str, actor, **data) -> Case:
    handlers = {
        "sign": lambda: sign(case=case, actor=actor),
        "accept": lambda: accept(case=case, actor=actor, opinion=data.get("opinion", "")),
        "request_correction": lambda: request_correction(
            case=case, actor=actor, items=data.get("items") or [], opinion=data.get("opinion", "")
        ),
        "reject": lambda: reject(
            case=case, actor=actor, reason_code=data.get("reason", ""), opinion=data.get("opinion", "")
        ),
        "start_review": lambda: start_review(case=case, actor=actor, opinion=data.get("opinion", "")),
        "begin_special_procedure": lambda: begin_special_procedure(
            case=case, actor=actor, kind=data.get("reason", ""), opinion=data.get("opinion", "")
        ),
        "end_special_procedure": lambda: end_special_procedure(
            case=case, actor=actor, opinion=data.get("opinion", "")
        ),
        "extend": lambda: extend(
            case=case, actor=actor, opinion=data.get("opinion", ""), days=data.get("days")
        ),
        "approve": lambda: approve(case=case, actor=actor, opinion=data.get("opinion", "")),
        "deny": lambda: deny(
            case=case, actor=actor, reason_code=data.get("reason", ""), opinion=data.get("opinion", "")
        ),
        "complete": lambda: complete(
            case=case,
            actor=actor,
            opinion=data.get("opinion", ""),
            result_document=data.get("result_document"),
        ),
        "complete_immediately": lambda: complete(
            case=case,
            actor=actor,
            opinion=data.get("opinion", ""),
            result_document=data.get("result_document"),
        ),
        "deliver": lambda: deliver(case=case, actor=actor, opinion=data.get("opinion", "")),
        "withdraw": lambda: withdraw(
            case=case, actor=actor, reason_code=data.get("reason", ""), opinion=data.get("opinion", "")
        ),
    }
    workflow.get(name)
    if name not in handlers:
        raise TransitionNotAllowed(_("该操作不能通过此入口执行。"), code="not_here")
    return handlers[name]()


# --- The clock --------------------------------------------------------------------------


def _start_clock(case: Case, at: datetime.datetime) -> None:
    case.accepted_at = at
    case.clock_stopped_at = None
    _recompute_due_dates(case)


def _stopped_workdays(case: Case, now: datetime.datetime) -> int:
    if case.clock_stopped_at is None:
        return 0
    start = timezone.localtime(case.clock_stopped_at).date()
    return max(0, workdays.workdays_between(start, timezone.localtime(now).date()))


def _resume_clock(case: Case, now: datetime.datetime) -> int:
    stopped = _stopped_workdays(case, now)
    case.stopped_workdays += stopped
    case.clock_stopped_at = None
    _recompute_due_dates(case)
    return stopped


def _recompute_due_dates(case: Case) -> None:
    """Due dates from acceptance: the limit plus extension plus working days the clock stood still."""
    accepted_on = timezone.localtime(case.accepted_at).date()
    matter = case.matter
    extra = case.stopped_workdays + case.extended_days
    case.promised_due_date = workdays.add_workdays(accepted_on, matter.promised_limit_days + extra)
    case.legal_due_date = workdays.add_workdays(accepted_on, matter.legal_limit_days + extra)


def remaining_workdays(case: Case, today: datetime.date | None = None) -> int | None:
    """Working days left to the promised due date (negative = overdue); None before acceptance."""
    if not case.promised_due_date:
        return None
    today = today or _today()
    end = timezone.localtime(case.completed_at).date() if case.completed_at else today
    if case.clock_stopped_at is not None:
        end = timezone.localtime(case.clock_stopped_at).date()
    return workdays.workdays_between(end, case.promised_due_date)


# --- After every transition ---------------------------------------------------------------


def _after_transition(
    case: Case, record: ProcessRecord, transition: workflow.Transition, *, template: str = "", issue: str = ""
) -> None:
    """The outbox message, the issued document and the applicant's notification, in the same transaction."""
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
    template = template or f"case_{transition.name}"
    if transition.notify_applicant and template in notifications.DEFAULT_TEMPLATES:
        notifications.notify(
            user=case.applicant,
            template_key=template,
            key=f"{record.key}-applicant",
            link=case.get_absolute_url(),
            context=notification_context(case, record),
        )


def notification_context(case: Case, record: ProcessRecord) -> dict:
    return {
        "matter": case.matter.name,
        "serial": case.serial or "",
        "query_code": case.query_code,
        "state": case.get_state_display(),
        "date": f"{timezone.localtime(record.created_at):%Y-%m-%d}",
        "due_date": f"{case.promised_due_date:%Y-%m-%d}" if case.promised_due_date else "",
        "opinion": record.opinion,
        "reason": record.details.get("reason", ""),
        "decision": case.get_decision_display() if case.decision else "",
        "pre_review_days": pre_review_workdays(),
    }


def exchange_record(case: Case, record: ProcessRecord) -> dict:
    """Plain data of a process record for the provincial exchange (mapped to its tables by
    integrations.provincial); no model instances cross the boundary."""
    submission = case.submission
    return {
        "serial": case.serial,
        "implementation_code": case.matter.implementation_code,
        "matter_name": case.matter.name,
        "department_uscc": case.department.uscc,
        "division_code": case.matter.region.code if case.matter.region_id else "",
        "channel": case.channel,
        "sub_channel": case.sub_channel,
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
        "opinion": record.opinion,
        "reason_code": record.reason_code,
        "details": record.details,
        "at": record.created_at.isoformat(),
        "step_seconds": record.step_seconds,
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "promised_due_date": case.promised_due_date.isoformat() if case.promised_due_date else None,
        "legal_due_date": case.legal_due_date.isoformat() if case.legal_due_date else None,
        "decision": case.decision,
    }
