"""The one state machine of a case (办件), as a table.

Each ``Transition`` says from which states it may fire, the state it leads to, who may
fire it (the applicant, staff of the handling department with one of the given roles,
or the system), what it requires (an opinion, a reason from a list, a result document),
what it does to the clock, what its process record carries and which notice the
applicant gets. ``move()`` is the only code that changes ``Case.state``: it appends the
``ProcessRecord``. ``applications.services`` calls ``require()`` and ``check_input()``
first and ``move()`` last, in one transaction with the case row locked.

    draft → submitted → pre_review ─┬→ accepted → under_review → decided → completed → delivered
                                    ├→ correction_requested (补正; clock stopped) → submitted
                                    └→ rejected (不予受理)
    any open, undecided state → withdrawn (by the applicant)
    under_review ⇄ special_procedure (特别程序; clock stopped)
    under_review → under_review by "extend" (延长审批, once, with a reason)
    accepted → completed directly for immediate cases (即办件)
    submitted → accepted by the system: "trust online" matters, and deemed acceptance
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applications.models import Case, Decision, Document, Origin, ProcessRecord, State
from matters.models import DepartmentMembership

Role = DepartmentMembership.Role


class Actor(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"
    SYSTEM = "system"


class Clock(StrEnum):
    """What a transition does to the working-day clock (applied by the services)."""

    NONE = "none"
    START = "start"  # acceptance: due dates from here
    STOP = "stop"  # correction requested, special procedure
    RESUME = "resume"  # correction supplied, special procedure over: due dates move
    END = "end"  # the case is closed


class TransitionNotAllowed(Exception):
    """A transition refused by the rules: shown to the user, answered 409 by the API."""

    def __init__(self, message: str | Promise, code: str = "transition_not_allowed"):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


REJECTION_REASONS = (
    ("not_in_scope", _("申请事项依法不需要取得行政许可")),
    ("not_competent", _("申请事项不属于本部门职权范围")),
    ("ineligible", _("申请人不符合受理条件")),
    ("materials_not_corrected", _("申请人未在规定期限内补正材料")),
    ("false_materials", _("申请材料存在虚假内容")),
    ("other", _("其他法定不予受理情形")),
)
DENIAL_REASONS = (
    ("conditions_not_met", _("不符合法定条件和标准")),
    ("review_failed", _("现场核查或技术审查不合格")),
    ("objection_upheld", _("利害关系人异议成立")),
    ("other", _("其他依法不予准予的情形")),
)
# Art. 45 of the Administrative Licensing Law; code table A.7 value 2.
SPECIAL_PROCEDURES = (
    ("hearing", _("听证")),
    ("tendering", _("招标")),
    ("auction", _("拍卖")),
    ("inspection", _("检验")),
    ("testing", _("检测")),
    ("quarantine", _("检疫")),
    ("appraisal", _("鉴定")),
    ("expert_review", _("专家评审")),
    ("site_survey", _("现场勘验")),
)
WITHDRAWAL_REASONS = (
    ("no_longer_needed", _("不再需要办理")),
    ("wrong_matter", _("申报事项选择错误")),
    ("wrong_data", _("申报信息填写有误，需重新申报")),
    ("other", _("其他原因")),
)

OPEN_FOR_WITHDRAWAL = frozenset(
    {
        State.SUBMITTED,
        State.PRE_REVIEW,
        State.CORRECTION_REQUESTED,
        State.ACCEPTED,
        State.UNDER_REVIEW,
        State.SPECIAL_PROCEDURE,
    }
)

# Keys every record may carry in ``details`` whatever the transition.
COMMON_DETAILS = frozenset({"reason"})


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str
    actors: frozenset[Actor]
    roles: frozenset[str] = frozenset()
    requires_opinion: bool = False
    reasons: tuple[tuple[str, Promise], ...] = ()
    # A result document (证照/批文) is needed when the case is approved and its matter names a result.
    requires_result: bool = False
    immediate_only: bool = False
    # When set, staff may fire it only on cases that came in through these origins.
    staff_origins: frozenset[str] = frozenset()
    clock: Clock = Clock.NONE
    # Keys of ``ProcessRecord.details`` this transition records (beyond who, when, opinion, reason).
    records: frozenset[str] = frozenset()
    # NotificationTemplate key of the applicant's notice (portal.notifications); "" = none.
    notice: str = ""

    def reason_label(self, code: str) -> str:
        return str(dict(self.reasons).get(code, ""))

    @property
    def notify_applicant(self) -> bool:
        return bool(self.notice)


CLERKS = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER})
REVIEWERS = frozenset({Role.REVIEWER, Role.APPROVER})
APPROVERS = frozenset({Role.APPROVER})
# The roles that handle cases at all (a catalogue editor of the department does not).
HANDLING_ROLES = CLERKS
STAFF = frozenset({Actor.STAFF})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            _("提交申请"),
            frozenset({State.DRAFT}),
            State.SUBMITTED,
            # Staff: window registration; system: the provincial exchange, department systems.
            frozenset({Actor.APPLICANT, Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
            staff_origins=frozenset({Origin.WINDOW}),
            records=frozenset({"serial_pending_reconciliation", "pre_review_due_date"}),
            notice="case_submitted",
        ),
        Transition(
            "sign",
            _("签收预审"),
            frozenset({State.SUBMITTED}),
            State.PRE_REVIEW,
            STAFF,
            roles=CLERKS,
            notice="case_sign",
        ),
        Transition(
            "accept",
            _("受理"),
            frozenset({State.SUBMITTED, State.PRE_REVIEW}),
            State.ACCEPTED,
            # System: "trust online, review later" matters and deemed acceptance (Art. 32).
            frozenset({Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
            clock=Clock.START,
            records=frozenset({"deemed", "trust_online", "promised_due_date", "legal_due_date"}),
            notice="case_accepted",
        ),
        Transition(
            "request_correction",
            _("补正告知"),
            frozenset({State.SUBMITTED, State.PRE_REVIEW}),
            State.CORRECTION_REQUESTED,
            STAFF,
            roles=CLERKS,
            requires_opinion=True,
            clock=Clock.STOP,
            records=frozenset({"items", "materials"}),
            notice="case_correction_requested",
        ),
        Transition(
            "supply_correction",
            _("提交补正材料"),
            frozenset({State.CORRECTION_REQUESTED}),
            State.SUBMITTED,
            frozenset({Actor.APPLICANT}),
            clock=Clock.RESUME,
            records=frozenset({"stopped_workdays", "pre_review_due_date"}),
            notice="case_supply_correction",
        ),
        Transition(
            "reject",
            _("不予受理"),
            frozenset({State.SUBMITTED, State.PRE_REVIEW, State.CORRECTION_REQUESTED}),
            State.REJECTED,
            STAFF,
            roles=CLERKS,
            requires_opinion=True,
            reasons=REJECTION_REASONS,
            clock=Clock.END,
            records=frozenset({"stopped_workdays"}),
            notice="case_rejected",
        ),
        Transition(
            "start_review",
            _("审查"),
            frozenset({State.ACCEPTED}),
            State.UNDER_REVIEW,
            STAFF,
            roles=REVIEWERS,
            notice="case_start_review",
        ),
        Transition(
            "begin_special_procedure",
            _("特别程序"),
            frozenset({State.UNDER_REVIEW}),
            State.SPECIAL_PROCEDURE,
            STAFF,
            roles=REVIEWERS,
            requires_opinion=True,
            reasons=SPECIAL_PROCEDURES,
            clock=Clock.STOP,
            records=frozenset({"special_procedure_type"}),
            notice="case_begin_special_procedure",
        ),
        Transition(
            "end_special_procedure",
            _("特别程序结束"),
            frozenset({State.SPECIAL_PROCEDURE}),
            State.UNDER_REVIEW,
            STAFF,
            roles=REVIEWERS,
            requires_opinion=True,
            clock=Clock.RESUME,
            records=frozenset({"stopped_workdays", "promised_due_date", "legal_due_date"}),
            notice="case_end_special_procedure",
        ),
        Transition(
            "extend",
            _("延长审批"),
            frozenset({State.UNDER_REVIEW}),
            State.UNDER_REVIEW,
            STAFF,
            roles=APPROVERS,
            requires_opinion=True,
            records=frozenset({"days", "promised_due_date", "legal_due_date", "special_procedure_type"}),
            notice="case_extend",
        ),
        Transition(
            "approve",
            _("审批（准予）"),
            frozenset({State.UNDER_REVIEW}),
            State.DECIDED,
            STAFF,
            roles=APPROVERS,
            requires_opinion=True,
            records=frozenset({"decision"}),
            notice="case_approve",
        ),
        Transition(
            "deny",
            _("审批（不予准予）"),
            frozenset({State.UNDER_REVIEW}),
            State.DECIDED,
            STAFF,
            roles=APPROVERS,
            requires_opinion=True,
            reasons=DENIAL_REASONS,
            records=frozenset({"decision"}),
            notice="case_deny",
        ),
        Transition(
            "complete",
            _("办结"),
            frozenset({State.DECIDED}),
            State.COMPLETED,
            STAFF,
            roles=CLERKS,
            requires_result=True,
            clock=Clock.END,
            records=frozenset({"decision", "result_document"}),
            notice="case_complete",
        ),
        Transition(
            "complete_immediately",
            _("即办办结"),
            frozenset({State.ACCEPTED}),
            State.COMPLETED,
            STAFF,
            roles=CLERKS,
            requires_result=True,
            immediate_only=True,
            clock=Clock.END,
            records=frozenset({"decision", "result_document"}),
            notice="case_complete_immediately",
        ),
        Transition(
            "deliver",
            _("送达"),
            frozenset({State.COMPLETED}),
            State.DELIVERED,
            # System: the logistics callback (express delivery signed for).
            frozenset({Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
            records=frozenset({"method", "tracking_number"}),
            notice="case_deliver",
        ),
        Transition(
            "withdraw",
            _("撤回申请"),
            OPEN_FOR_WITHDRAWAL,
            State.WITHDRAWN,
            frozenset({Actor.APPLICANT}),
            reasons=WITHDRAWAL_REASONS,
            clock=Clock.END,
            records=frozenset({"stopped_workdays"}),
            notice="case_withdraw",
        ),
    )
}

# Transitions that department staff fire from the back office (buttons on the case page).
STAFF_TRANSITIONS = tuple(
    name for name, t in TRANSITIONS.items() if Actor.STAFF in t.actors and name != "submit"
)


def get(name: str) -> Transition:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise TransitionNotAllowed(
            _("未知的办理操作：%(name)s") % {"name": name}, code="unknown_transition"
        ) from None


# --- Who the actor is -----------------------------------------------------------------


def staff_roles_in(user, department_id: int) -> set[str]:
    """The case-handling roles ``user`` holds in a department (empty for anyone else).

    Cached on the user object for the length of a request or a task.
    """
    if not user or not user.is_authenticated or not user.is_active or not user.is_staff:
        return set()
    cache = getattr(user, "_department_roles", None)
    if cache is None:
        cache = {}
        for dept_id, role in DepartmentMembership.objects.filter(
            user=user, role__in=HANDLING_ROLES
        ).values_list("department_id", "role"):
            cache.setdefault(dept_id, set()).add(role)
        user._department_roles = cache
    return cache.get(department_id, set())


def staff_roles(user, case: Case) -> set[str]:
    """The roles ``user`` holds in the case's handling department."""
    return staff_roles_in(user, case.department_id)


def actor_kinds(user, case: Case) -> frozenset[Actor]:
    """How ``user`` stands towards the case: the system (None), its applicant, staff of its
    department (both at once for a window case registered by staff), or nobody."""
    if user is None:
        return frozenset({Actor.SYSTEM})
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    kinds = set()
    if staff_roles(user, case):
        kinds.add(Actor.STAFF)
    if user.pk == case.applicant_id:
        kinds.add(Actor.APPLICANT)
    return frozenset(kinds)


def actor_kind(user, case: Case) -> Actor | None:
    """The main standing of ``user`` towards the case (staff before applicant), or None."""
    kinds = actor_kinds(user, case)
    for kind in (Actor.SYSTEM, Actor.STAFF, Actor.APPLICANT):
        if kind in kinds:
            return kind
    return None


def acting_as(case: Case, transition: Transition, user) -> Actor | None:
    """The capacity in which ``user`` fires ``transition`` (None: may not fire it at all)."""
    kinds = actor_kinds(user, case) & transition.actors
    if Actor.SYSTEM in kinds:
        return Actor.SYSTEM
    if Actor.STAFF in kinds and _staff_may(case, transition, user):
        return Actor.STAFF
    if Actor.APPLICANT in kinds:
        return Actor.APPLICANT
    return None


def _staff_has_role(case: Case, transition: Transition, user) -> bool:
    return not transition.roles or bool(staff_roles(user, case) & transition.roles)


def _staff_origin_ok(case: Case, transition: Transition) -> bool:
    return not transition.staff_origins or case.origin in transition.staff_origins


def _staff_may(case: Case, transition: Transition, user) -> bool:
    return _staff_has_role(case, transition, user) and _staff_origin_ok(case, transition)


# --- The checks -------------------------------------------------------------------------


def _role_names(roles) -> str:
    return "、".join(str(role.label) for role in Role if role in roles)  # in the order of the roles


def check(case: Case, transition: Transition, user) -> None:
    """Raise ``TransitionNotAllowed`` unless ``user`` (None = system) may fire ``transition`` now.

    Who is checked before the state, so a stranger learns nothing about the case.
    """
    if user is not None and not user.is_authenticated:
        raise TransitionNotAllowed(_("请先登录后再办理。"), code="login_required")
    kinds = actor_kinds(user, case) & transition.actors
    if not kinds:
        raise TransitionNotAllowed(
            _("您无权对该办件执行“%(action)s”。") % {"action": transition.label}, code="forbidden"
        )
    if acting_as(case, transition, user) is None:
        if not _staff_has_role(case, transition, user):
            raise TransitionNotAllowed(
                _("“%(action)s”须由%(roles)s办理。")
                % {"action": transition.label, "roles": _role_names(transition.roles)},
                code="role_required",
            )
        raise TransitionNotAllowed(
            _("工作人员只能对窗口登记的办件执行“%(action)s”。") % {"action": transition.label},
            code="window_only",
        )
    if case.state not in transition.sources:
        raise TransitionNotAllowed(
            _("办件当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": case.get_state_display(), "action": transition.label},
            code="invalid_state",
        )
    if transition.immediate_only and not case.matter.is_immediate:
        raise TransitionNotAllowed(_("只有即办件可以受理后直接办结。"), code="not_immediate")


def require(case: Case, name: str, user) -> Transition:
    transition = get(name)
    check(case, transition, user)
    return transition


def allowed(case: Case, user) -> list[Transition]:
    """The transitions ``user`` may fire on the case now, in table order (for buttons)."""
    result = []
    for transition in TRANSITIONS.values():
        try:
            check(case, transition, user)
        except TransitionNotAllowed:
            continue
        result.append(transition)
    return result


def result_required(transition: Transition, case: Case, decision: str) -> bool:
    """Whether completing needs the result document: an approval of a matter that has a result."""
    return transition.requires_result and decision == Decision.APPROVED and bool(case.matter.result_name)


RESULT_KINDS = frozenset({Document.Kind.RESULT, Document.Kind.ELICENCE})


# Checks other apps add to the input checks (payments: no 办结 of an approved case before its
# fee is paid). Each is called as ``guard(case, transition, decision=...)`` and raises
# ``TransitionNotAllowed``; register with ``add_guard`` in an AppConfig.ready().
GUARDS: list = []


def add_guard(guard) -> None:
    if guard not in GUARDS:
        GUARDS.append(guard)


def check_input(
    transition: Transition,
    case: Case,
    *,
    opinion: str = "",
    reason_code: str = "",
    decision: str = "",
    result_document: Document | None = None,
) -> None:
    """Raise ``TransitionNotAllowed`` unless the input carries what the transition requires."""
    if transition.requires_opinion and not (opinion or "").strip():
        raise TransitionNotAllowed(
            _("“%(action)s”须填写办理意见。") % {"action": transition.label}, code="opinion_required"
        )
    if transition.reasons and reason_code not in dict(transition.reasons):
        raise TransitionNotAllowed(
            _("请从列表中选择“%(action)s”的原因。") % {"action": transition.label}, code="reason_required"
        )
    if not transition.reasons and reason_code:
        raise TransitionNotAllowed(
            _("“%(action)s”不需要选择原因。") % {"action": transition.label}, code="reason_unexpected"
        )
    if result_required(transition, case, decision) and result_document is None:
        raise TransitionNotAllowed(
            _("办结须上传办理结果（%(result)s）。") % {"result": case.matter.result_name},
            code="result_required",
        )
    if result_document is not None and (
        result_document.kind not in RESULT_KINDS or result_document.owner_id != case.applicant_id
    ):
        raise TransitionNotAllowed(
            _("办理结果文件无效：应为出具给本办件申请人的办理结果或电子证照。"), code="result_invalid"
        )
    for guard in GUARDS:
        guard(case, transition, decision=decision)


# --- The move ---------------------------------------------------------------------------


def move(
    case: Case,
    transition: Transition,
    user,
    *,
    opinion: str = "",
    reason_code: str = "",
    details: dict | None = None,
    at=None,
) -> ProcessRecord:
    """Change the state and append the process record. Call inside the service's transaction
    with the case row locked (``select_for_update``), after ``require()`` and ``check_input()``."""
    at = at or timezone.now()
    check_input(transition, case, opinion=opinion, reason_code=reason_code)
    details = dict(details or {})
    undeclared = set(details) - transition.records - COMMON_DETAILS
    if undeclared:
        # A programming error: the table says what each transition records.
        raise ValueError(f"{transition.name} does not record {sorted(undeclared)}")
    if reason_code:
        details["reason"] = transition.reason_label(reason_code)
    previous = case.current_record
    if previous is not None:  # only move() appends records, and it always moves the pointer
        last_sequence = previous.sequence
    elif case.state == State.DRAFT:  # a draft has no record yet
        last_sequence = 0
    else:
        last_sequence = ProcessRecord.objects.filter(case=case).aggregate(m=Max("sequence"))["m"] or 0
    started = previous.created_at if previous else case.created_at
    as_staff = acting_as(case, transition, user) == Actor.STAFF
    record = ProcessRecord.objects.create(
        case=case,
        sequence=last_sequence + 1,
        action=transition.name,
        action_label=str(transition.label),
        from_state=case.state,
        to_state=transition.target,
        actor=user,
        actor_name=(user.real_name or user.username) if user else str(_("系统")),
        actor_department=case.department if as_staff else None,
        opinion=(opinion or "").strip(),
        reason_code=reason_code,
        details=details,
        created_at=at,
        step_seconds=max(0, int((at - started).total_seconds())),
    )
    case.state = transition.target
    case.current_record = record
    return record
