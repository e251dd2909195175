"""Reads of cases that more than one caller needs, starting with who may see what.

Every list and detail of cases (the applicant's pages, the back office queue, the API,
supervision) starts from ``cases_visible_to(user)``, so the permission rule is written
and tested once:

* the applicant sees the cases of their own account (drafts included);
* department staff (clerk, reviewer, approver) see the submitted cases of their departments;
* supervisors (and superusers) see every submitted case, read-only: the workflow gives
  them no transition;
* anyone else, the anonymous visitor included, sees none.
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from applications.models import Case, ProcessRecord, State
from applications.workflow import HANDLING_ROLES
from matters.models import DepartmentMembership
from portal import workdays


def handling_department_ids(user) -> list[int]:
    """Departments in which ``user`` handles cases (staff with a clerk/reviewer/approver role)."""
    if not user or not user.is_authenticated or not user.is_active or not user.is_staff:
        return []
    return list(
        DepartmentMembership.objects.filter(user=user, role__in=HANDLING_ROLES)
        .values_list("department_id", flat=True)
        .distinct()
    )


def sees_all_cases(user) -> bool:
    """Supervisors and superusers read every case (and change none through the workflow)."""
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_superuser or user.is_supervisor)
    )


def cases_visible_to(user) -> QuerySet[Case]:
    qs = Case.objects.select_related("matter", "department", "current_record")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if sees_all_cases(user):
        return qs.filter(Q(applicant=user) | ~Q(state=State.DRAFT))
    department_ids = handling_department_ids(user)
    if department_ids:
        # A draft is the applicant's own work, not yet an application to the department.
        return qs.filter(Q(applicant=user) | (Q(department_id__in=department_ids) & ~Q(state=State.DRAFT)))
    return qs.filter(applicant=user)


def department_cases(user) -> QuerySet[Case]:
    """The back office queue: submitted cases of the user's departments only (no own applications)."""
    qs = Case.objects.select_related("matter", "department", "current_record")
    department_ids = handling_department_ids(user)
    if not department_ids:
        return qs.none()
    return qs.filter(department_id__in=department_ids).exclude(state=State.DRAFT)


def applicant_cases(user) -> QuerySet[Case]:
    """The applicant's own cases ("我的办件"), newest first."""
    if not user or not user.is_authenticated:
        return Case.objects.none()
    return (
        Case.objects.filter(applicant=user)
        .select_related("matter", "department", "current_record")
        .order_by("-created_at")
    )


def timeline(case: Case) -> QuerySet[ProcessRecord]:
    """The process records of a case in order (办事过程信息)."""
    return ProcessRecord.objects.filter(case=case).select_related("actor_department").order_by("sequence")


def case_by_serial(serial: str) -> Case | None:
    """A case by its unified serial number, with no permission check (public summaries only)."""
    if not serial:
        return None
    return Case.objects.select_related("matter", "department").filter(serial=serial.strip().upper()).first()


def public_summary(case: Case) -> dict:
    """What anyone may learn about a case from its serial number: no personal data."""
    return {
        "matter": {"implementation_code": case.matter.implementation_code, "name": case.matter.name},
        "department": {"name": case.department.name, "uscc": case.department.uscc},
        "state": {"code": case.state, "label": str(case.get_state_display())},
        "submitted_on": timezone.localtime(case.submitted_at).date().isoformat()
        if case.submitted_at
        else None,
    }


def deemed_acceptance_due(today: datetime.date | None = None) -> QuerySet[Case]:
    """Cases whose pre-review period ran out without a correction notice (Art. 32)."""
    today = today or timezone.localdate()
    return Case.objects.filter(
        state__in=(State.SUBMITTED, State.PRE_REVIEW), correction_count=0, pre_review_due_date__lt=today
    )


def remaining_workdays(case: Case, today: datetime.date | None = None) -> int | None:
    """Working days left to the promised due date (negative = overdue); None before acceptance.

    While the clock is stopped the count stands still at the day it stopped; a closed case
    counts to the day it was closed.
    """
    if not case.promised_due_date:
        return None
    end = today or timezone.localdate()
    if case.completed_at:
        end = timezone.localtime(case.completed_at).date()
    elif case.clock_stopped_at is not None:
        end = timezone.localtime(case.clock_stopped_at).date()
    return workdays.workdays_between(end, case.promised_due_date)
