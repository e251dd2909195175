"""Filters of the case work queue (办件工作台) in the back office.

Each filter narrows the scoped queue (``applications.admin.queue_scope``) with conditions
that an index of ``Case.Meta.indexes`` serves together with the department:

* state, channel, origin: ``case_queue`` (department, state, -submitted_at) or a filter
  on the department's newest rows;
* matter: ``case_matter_recent`` (matter, -submitted_at);
* overdue, due soon: ``case_department_due`` (department, promised_due_date);
* 待办: the states in which the person's roles may act (from the workflow's table);
* 已办: the cases with a process record by the person (``processrecord.actor_id``).

The deadline rules (超期, 即将超期) are the same in SQL and in Python (``deadline_status``),
so a row's colour and the filter agree.
"""

import datetime

from django.contrib import admin
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications import selectors, workflow
from applications.models import CLOSED_STATES, Case, Origin, ProcessRecord, State
from matters.codes import CaseType, HandlingForm
from matters.models import Department, DepartmentMembership, Matter
from portal import workdays

# "Due soon" (即将超期): at most this many working days left, or at most this share of
# the matter's promised time (承诺时限) left, whichever is more.
DUE_SOON_WORKDAYS = 2
DUE_SOON_SHARE_PERCENT = 20

OPEN_STATES = tuple(s for s in State.values if s not in CLOSED_STATES and s != State.DRAFT)

# The query parameters of the queue's filters (saved filters keep only these, plus search
# and ordering).
QUEUE_PARAM = "queue"
DEADLINE_PARAM = "deadline"
STATE_PARAM = "state"
DEPARTMENT_PARAM = "department"
MATTER_PARAM = "matter"
CHANNEL_PARAM = "channel"
ORIGIN_PARAM = "origin"
SUBMITTED_PARAMS = ("submitted_at__gte", "submitted_at__lt", "submitted_at__isnull")
FILTER_PARAMS = (
    QUEUE_PARAM,
    DEADLINE_PARAM,
    STATE_PARAM,
    DEPARTMENT_PARAM,
    MATTER_PARAM,
    CHANNEL_PARAM,
    ORIGIN_PARAM,
    *SUBMITTED_PARAMS,
)

TODO, DONE = "todo", "done"
OVERDUE, DUE_SOON = "overdue", "due_soon"


# --- Who is asking (cached on the request: every filter and column asks) ----------------


def department_ids(request) -> list[int]:
    """The departments whose cases the user handles (clerk, reviewer, approver)."""
    if not hasattr(request, "_case_department_ids"):
        request._case_department_ids = selectors.handling_department_ids(request.user)
    return request._case_department_ids


def sees_all(request) -> bool:
    if not hasattr(request, "_sees_all_cases"):
        request._sees_all_cases = selectors.sees_all_cases(request.user)
    return request._sees_all_cases


def handling_roles(request) -> set[str]:
    """Every case-handling role the user holds, in any of their departments."""
    if not hasattr(request, "_case_roles"):
        user = request.user
        roles = set()
        if user.is_authenticated and user.is_staff:
            roles = set(
                DepartmentMembership.objects.filter(user=user, role__in=workflow.HANDLING_ROLES).values_list(
                    "role", flat=True
                )
            )
        request._case_roles = roles
    return request._case_roles


# The handling roles from the least to the most senior: a transition "needs" the least
# senior role that may fire it (a reviewer may also sign, but signing is a clerk's work).
ROLE_ORDER = (
    DepartmentMembership.Role.CLERK,
    DepartmentMembership.Role.REVIEWER,
    DepartmentMembership.Role.APPROVER,
)
# States in which the next step is the applicant's (补正): nobody's work in the back office.
WAITING_FOR_APPLICANT = frozenset({State.CORRECTION_REQUESTED})


def needed_role(transition: workflow.Transition) -> str | None:
    return next((role for role in ROLE_ORDER if role in transition.roles), None)


def todo_q(roles: set[str]) -> Q:
    """Cases waiting for a transition whose needed role the person holds (from the workflow table).

    A transition only for immediate cases (即办件) makes its states work only for such cases.
    """
    states: set[str] = set()
    immediate_states: set[str] = set()
    for name in workflow.STAFF_TRANSITIONS:
        transition = workflow.TRANSITIONS[name]
        if needed_role(transition) not in roles:
            continue
        sources = set(transition.sources) - WAITING_FOR_APPLICANT
        (immediate_states if transition.immediate_only else states).update(sources)
    immediate_states -= states
    condition = Q(state__in=sorted(states))
    if immediate_states:
        condition |= Q(state__in=sorted(immediate_states), matter__case_type=CaseType.IMMEDIATE)
    return condition


# --- Deadlines ----------------------------------------------------------------------------


def due_soon_workdays(promised_limit_days: int) -> int:
    """The working days left at which a case of a matter with this promised time is due soon."""
    return max(DUE_SOON_WORKDAYS, (promised_limit_days or 0) * DUE_SOON_SHARE_PERCENT // 100)


def overdue_q(today: datetime.date) -> Q:
    """Open and past the promised due date; while the clock stands still, past it on the day it stopped."""
    return Q(state__in=OPEN_STATES, promised_due_date__lt=today) & (
        Q(clock_stopped_at__isnull=True)
        | Q(promised_due_date__lt=TruncDate("clock_stopped_at", tzinfo=timezone.get_current_timezone()))
    )


def due_soon_q(today: datetime.date, limits) -> Q:
    """Open, clock running, not yet overdue, and at most ``due_soon_workdays`` working days left.

    ``limits`` are the promised time limits (working days) of the matters in scope: the
    threshold differs per limit, so the condition is one range per distinct threshold.
    """
    by_threshold: dict[int, list[int]] = {}
    for limit in sorted(set(limits)):
        by_threshold.setdefault(due_soon_workdays(limit), []).append(limit)
    if not by_threshold:
        return Q(pk__in=[])
    # "At most N working days left" is "due before the (N+1)th working day after today".
    ranges = Q()
    for threshold, group in by_threshold.items():
        before = workdays.add_workdays(today, threshold + 1)
        ranges |= Q(matter__promised_limit_days__in=group, promised_due_date__lt=before)
    widest = workdays.add_workdays(today, max(by_threshold) + 1)
    return (
        Q(
            state__in=OPEN_STATES,
            clock_stopped_at__isnull=True,
            promised_due_date__gte=today,
            promised_due_date__lt=widest,
        )
        & ranges
    )


def scoped_limits(request) -> list[int]:
    """Distinct promised limits of the matters whose cases the user sees (a small query)."""
    if not hasattr(request, "_case_promised_limits"):
        matters = Matter.objects.all()
        if not sees_all(request):
            matters = matters.filter(department_id__in=department_ids(request))
        request._case_promised_limits = list(
            matters.order_by().values_list("promised_limit_days", flat=True).distinct()
        )
    return request._case_promised_limits


def deadline_status(case: Case, remaining: int | None) -> str:
    """ "overdue", "due_soon" or "" for a row (the same rules as the filters)."""
    if remaining is None or case.state in CLOSED_STATES or case.state == State.DRAFT:
        return ""
    if remaining < 0:
        return OVERDUE
    if case.clock_stopped_at is None and remaining <= due_soon_workdays(case.matter.promised_limit_days):
        return DUE_SOON
    return ""


# --- Quick filters (built in) ------------------------------------------------------------


def apply_queue(request, queryset, value: str):
    if value == TODO:
        return queryset.filter(todo_q(handling_roles(request)))
    if value == DONE:
        return queryset.filter(pk__in=ProcessRecord.objects.filter(actor=request.user).values("case_id"))
    return queryset


def apply_deadline(request, queryset, value: str):
    today = timezone.localdate()
    if value == OVERDUE:
        return queryset.filter(overdue_q(today))
    if value == DUE_SOON:
        return queryset.filter(due_soon_q(today, scoped_limits(request)))
    return queryset


class QueueFilter(admin.SimpleListFilter):
    title = _("我的工作")
    parameter_name = QUEUE_PARAM

    def lookups(self, request, model_admin):
        return ((TODO, _("待办")), (DONE, _("已办")))

    def queryset(self, request, queryset):
        return apply_queue(request, queryset, self.value())


class DeadlineFilter(admin.SimpleListFilter):
    title = _("办理时限")
    parameter_name = DEADLINE_PARAM

    def lookups(self, request, model_admin):
        return ((DUE_SOON, _("即将超期")), (OVERDUE, _("超期")))

    def queryset(self, request, queryset):
        return apply_deadline(request, queryset, self.value())


class StateFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = STATE_PARAM

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in State.choices if value != State.DRAFT]

    def queryset(self, request, queryset):
        if self.value() in State.values:
            return queryset.filter(state=self.value())
        return queryset


class DepartmentFilter(admin.SimpleListFilter):
    """承办部门, for those who see every department's cases (supervisors)."""

    title = _("承办部门")
    parameter_name = DEPARTMENT_PARAM

    def lookups(self, request, model_admin):
        departments = Department.objects.order_by("sort_order", "name").values_list("pk", "name")
        return [(str(pk), name) for pk, name in departments]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(department_id=int(value))
        return queryset


class MatterFilter(admin.SimpleListFilter):
    """事项: the matters of the user's departments, as a drop-down (a department has hundreds).

    Someone who sees every department picks the department first: the whole catalogue
    would be thousands of options.
    """

    title = _("事项")
    parameter_name = MATTER_PARAM
    template = "admin/applications/case/select_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # The drop-down is a small GET form: it carries the list's other parameters along.
        self.hidden_params = [
            (key, value)
            for key, values in request.GET.lists()
            if key not in {self.parameter_name, "p", "e"}
            for value in values
        ]

    def lookups(self, request, model_admin):
        if sees_all(request):
            department = request.GET.get(DEPARTMENT_PARAM, "")
            if not department.isdigit():
                return []
            matters = Matter.objects.filter(department_id=int(department))
        else:
            matters = Matter.objects.filter(department_id__in=department_ids(request))
        return [(str(pk), name) for pk, name in matters.order_by("name", "pk").values_list("pk", "name")]

    def has_output(self):
        return bool(self.lookup_choices) or self.value() is not None

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(matter_id=int(value))
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    title = _("办理形式")
    parameter_name = CHANNEL_PARAM

    def lookups(self, request, model_admin):
        return HandlingForm.choices

    def queryset(self, request, queryset):
        if self.value() in HandlingForm.values:
            return queryset.filter(channel=self.value())
        return queryset


class OriginFilter(admin.SimpleListFilter):
    title = _("来源")
    parameter_name = ORIGIN_PARAM

    def lookups(self, request, model_admin):
        return Origin.choices

    def queryset(self, request, queryset):
        if self.value() in Origin.values:
            return queryset.filter(origin=self.value())
        return queryset


class SubmittedFilter(admin.DateFieldListFilter):
    """提交时间: today, the last 7 days, this month, this year (Django's date filter)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("提交时间")
        # Every submitted case has a submission time: "has no date" would always be empty.
        self.links = tuple(link for link in self.links if self.lookup_kwarg_isnull not in link[1])


QUEUE_FILTERS = (
    QueueFilter,
    DeadlineFilter,
    StateFilter,
    DepartmentFilter,
    MatterFilter,
    ChannelFilter,
    OriginFilter,
    ("submitted_at", SubmittedFilter),
)
