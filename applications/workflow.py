"""The one state machine of a case (办件), as a table.

Each ``Transition`` says from which states it may fire, the state it leads to, who may
fire it (the applicant, staff of the handling department with one of the given roles,
or the system), and what it requires (an opinion, a reason from a list, a result
document). ``move()`` is the only code that changes ``Case.state``: it appends the
``ProcessRecord``. The rules around the clock live in ``applications.services``, which
call ``require()`` first and ``move()`` last, in one transaction.

    draft → submitted → pre_review ─┬→ accepted → under_review → decided → completed → delivered
                                    ├→ correction_requested (补正; clock stopped) → submitted
                                    └→ rejected (不予受理)
    any open state → withdrawn (by the applicant)
    under_review ⇄ special_procedure (特别程序; clock stopped)
    under_review → under_review by "extend" (延长审批, once, with a reason)
    accepted → completed directly for immediate cases (即办件)
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applications.models import Case, ProcessRecord, State
from matters.models import DepartmentMembership

Role = DepartmentMembership.Role


class Actor(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"
    SYSTEM = "system"


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
    requires_result: bool = False
    immediate_only: bool = False
    notify_applicant: bool = True
    details: dict = field(default_factory=dict)

    def reason_label(self, code: str) -> str:
        return str(dict(self.reasons).get(code, ""))


CLERKS = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER})
REVIEWERS = frozenset({Role.REVIEWER, Role.APPROVER})
APPROVERS = frozenset({Role.APPROVER})
STAFF = frozenset({Actor.STAFF})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            _("提交申请"),
            frozenset({State.DRAFT}),
            State.SUBMITTED,
            frozenset({Actor.APPLICANT, Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
        ),
        Transition(
            "sign",
            _("签收预审"),
            frozenset({State.SUBMITTED}),
            State.PRE_REVIEW,
            STAFF,
            roles=CLERKS,
            notify_applicant=False,
        ),
        Transition(
            "accept",
            _("受理"),
            frozenset({State.SUBMITTED, State.PRE_REVIEW}),
            State.ACCEPTED,
            frozenset({Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
        ),
        Transition(
            "request_correction",
            _("补正告知"),
            frozenset({State.SUBMITTED, State.PRE_REVIEW}),
            State.CORRECTION_REQUESTED,
            STAFF,
            roles=CLERKS,
            requires_opinion=True,
        ),
        Transition(
            "supply_correction",
            _("提交补正材料"),
            frozenset({State.CORRECTION_REQUESTED}),
            State.SUBMITTED,
            frozenset({Actor.APPLICANT}),
            notify_applicant=False,
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
        ),
        Transition(
            "start_review",
            _("审查"),
            frozenset({State.ACCEPTED}),
            State.UNDER_REVIEW,
            STAFF,
            roles=REVIEWERS,
            notify_applicant=False,
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
        ),
        Transition(
            "end_special_procedure",
            _("特别程序结束"),
            frozenset({State.SPECIAL_PROCEDURE}),
            State.UNDER_REVIEW,
            STAFF,
            roles=REVIEWERS,
            requires_opinion=True,
        ),
        Transition(
            "extend",
            _("延长审批"),
            frozenset({State.UNDER_REVIEW}),
            State.UNDER_REVIEW,
            STAFF,
            roles=APPROVERS,
            requires_opinion=True,
        ),
        Transition(
            "approve",
            _("审批（准予）"),
            frozenset({State.UNDER_REVIEW}),
            State.DECIDED,
            STAFF,
            roles=APPROVERS,
            requires_opinion=True,
            notify_applicant=False,
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
            notify_applicant=False,
        ),
        Transition(
            "complete",
            _("办结"),
            frozenset({State.DECIDED}),
            State.COMPLETED,
            STAFF,
            roles=CLERKS,
            requires_result=True,
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
        ),
        Transition(
            "deliver",
            _("送达"),
            frozenset({State.COMPLETED}),
            State.DELIVERED,
            frozenset({Actor.STAFF, Actor.SYSTEM}),
            roles=CLERKS,
        ),
        Transition(
            "withdraw",
            _("撤回申请"),
            OPEN_FOR_WITHDRAWAL,
            State.WITHDRAWN,
            frozenset({Actor.APPLICANT}),
            reasons=WITHDRAWAL_REASONS,
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


def staff_roles_in(user, department_id: int) -> set[str]:
    """The roles ``user`` holds in a department (empty for anyone else); cached on the user object."""
    if not user or not user.is_authenticated or not user.is_active or not user.is_staff:
        return set()
    cache = getattr(user, "_department_roles", None)
    if cache is None:
        cache = {}
        for dept_id, role in DepartmentMembership.objects.filter(user=user).values_list(
            "department_id", "role"
        ):
            cache.setdefault(dept_id, set()).add(role)
        user._department_roles = cache
    return cache.get(department_id, set())


def staff_roles(user, case: Case) -> set[str]:
    """The roles ``user`` holds in the case's handling department."""
    return staff_roles_in(user, case.department_id)


def actor_kind(user, case: Case) -> Actor | None:
    """How ``user`` stands towards the case: its applicant, staff of its department, or nobody."""
    if user is None:
        return Actor.SYSTEM
    if staff_roles(user, case):
        return Actor.STAFF
    if user.is_authenticated and user.pk == case.applicant_id:
        return Actor.APPLICANT
    return None


def check(case: Case, transition: Transition, user) -> None:
    """Raise ``TransitionNotAllowed`` unless ``user`` (None = system) may fire ``transition`` now."""
    if case.state not in transition.sources:
        raise TransitionNotAllowed(
            _("办件当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": case.get_state_display(), "action": transition.label},
            code="invalid_state",
        )
    kind = actor_kind(user, case)
    if kind is None or kind not in transition.actors:
        raise TransitionNotAllowed(
            _("您无权对该办件执行“%(action)s”。") % {"action": transition.label}, code="forbidden"
        )
    if kind == Actor.STAFF and transition.roles and not (staff_roles(user, case) & transition.roles):
        raise TransitionNotAllowed(
            _("“%(action)s”须由%(roles)s办理。")
            % {
                "action": transition.label,
                "roles": "、".join(str(Role(r).label) for r in sorted(transition.roles)),
            },
            code="role_required",
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
    with the case row locked (``select_for_update``)."""
    at = at or timezone.now()
    if transition.requires_opinion and not opinion.strip():
        raise TransitionNotAllowed(
            _("“%(action)s”须填写办理意见。") % {"action": transition.label}, "opinion_required"
        )
    if transition.reasons and reason_code not in dict(transition.reasons):
        raise TransitionNotAllowed(
            _("请选择“%(action)s”的原因。") % {"action": transition.label}, "reason_required"
        )
    previous = case.current_record
    last_sequence = ProcessRecord.objects.filter(case=case).aggregate(m=Max("sequence"))["m"] or 0
    started = previous.created_at if previous else case.created_at
    department = case.department if actor_kind(user, case) == Actor.STAFF else None
    record = ProcessRecord.objects.create(
        case=case,
        sequence=last_sequence + 1,
        action=transition.name,
        action_label=str(transition.label),
        from_state=case.state,
        to_state=transition.target,
        actor=user,
        actor_name=(user.real_name or user.username) if user else str(_("系统")),
        actor_department=department,
        opinion=opinion.strip(),
        reason_code=reason_code,
        details={
            **(details or {}),
            **({"reason": transition.reason_label(reason_code)} if reason_code else {}),
        },
        created_at=at,
        step_seconds=max(0, int((at - started).total_seconds())),
    )
    case.state = transition.target
    case.current_record = record
    return record
