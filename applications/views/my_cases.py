"""我的办件: the applicant's cases and the page of one case.

* ``/me/applications/``: my cases (drafts included), newest first, filtered by a group of
  states (草稿 / 办理中 / 待我处理 / 已办结), with the state's wording and the clock. The page
  costs the same few queries whatever its length.
* ``/me/applications/<serial>/``: what the state means and what is asked of me now
  (a correction to supply, with the materials panel), the clock, the timeline, the form
  answers, the materials, the issued documents and the withdrawal form while allowed.

Only the applicant's own cases (``selectors.applicant_cases``): another account gets 404.
"""

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from applications import drafts, forms_engine, materials, selectors, services, wording, workflow
from applications.forms import CorrectionForm, WithdrawForm
from applications.models import CLOSED_STATES, Case, Document, ProcessRecord, State
from applications.services import SubmissionIncomplete
from applications.views.documents import panel_context
from applications.workflow import TransitionNotAllowed

PAGE_SIZE = 20


@dataclasses.dataclass(frozen=True)
class Group:
    key: str
    label: str
    states: frozenset


GROUPS = (
    Group("draft", gettext_lazy("草稿"), frozenset({State.DRAFT})),
    Group(
        "open",
        gettext_lazy("办理中"),
        frozenset(
            {
                State.SUBMITTED,
                State.PRE_REVIEW,
                State.ACCEPTED,
                State.UNDER_REVIEW,
                State.SPECIAL_PROCEDURE,
                State.DECIDED,
            }
        ),
    ),
    # What waits for the applicant. Payment and collection join when those issues land.
    Group("action", gettext_lazy("待我处理"), frozenset({State.CORRECTION_REQUESTED})),
    Group("closed", gettext_lazy("已办结"), frozenset(CLOSED_STATES)),
)
GROUPS_BY_KEY = {group.key: group for group in GROUPS}


# --- Shared pieces of the case pages --------------------------------------------------------


def clock(case: Case) -> dict:
    """The clock as the applicant reads it: a sentence, and whether it is overdue."""
    text, overdue = "", False
    if case.state == State.DRAFT:
        return {"text": "", "overdue": False}
    remaining = selectors.remaining_workdays(case)
    if not case.is_open:
        if case.completed_at and case.state in (State.COMPLETED, State.DELIVERED):
            text = _("已于 %(date)s 办结") % {"date": f"{timezone.localtime(case.completed_at):%Y-%m-%d}"}
    elif remaining is not None:
        due = f"{case.promised_due_date:%Y-%m-%d}"
        if case.clock_stopped_at is not None:
            text = _("计时暂停中（暂停前剩余 %(days)d 个工作日）") % {"days": max(remaining, 0)}
        elif remaining > 0:
            text = ngettext(
                "剩余 %(days)d 个工作日（%(due)s 前办结）",
                "剩余 %(days)d 个工作日（%(due)s 前办结）",
                remaining,
            ) % {"days": remaining, "due": due}
        elif remaining == 0:
            text = _("今日到期（%(due)s）") % {"due": due}
        else:
            text, overdue = _("已超过承诺期限 %(days)d 个工作日") % {"days": -remaining}, True
    elif case.state == State.CORRECTION_REQUESTED:
        text = _("等待您补正，补正期间不计时")
    elif case.pre_review_due_date:
        text = _("预审期限 %(date)s") % {"date": f"{case.pre_review_due_date:%Y-%m-%d}"}
    return {"text": text, "overdue": overdue}


def record_who(case: Case, record: ProcessRecord) -> str:
    """Who acted, as the applicant (or the public) may read it: a department, 申请人 or 系统."""
    if record.actor_department_id:
        return record.actor_department.name
    if record.actor_id is None:
        return _("系统")
    if record.actor_id == case.applicant_id:
        return _("申请人")
    return case.department.name


def timeline_rows(case: Case, *, public: bool = False) -> list[dict]:
    """办事过程: step, who, when; for the applicant also the opinion, reason and items."""
    rows = []
    for record in selectors.timeline(case):
        row = {"label": record.action_label, "who": record_who(case, record), "at": record.created_at}
        if not public:
            items = record.details.get("items", [])
            # A correction notice's opinion defaults to its items joined: do not say it twice.
            opinion = "" if items and record.opinion == "；".join(items) else record.opinion
            row.update(opinion=opinion, reason=record.details.get("reason", ""), items=items)
        rows.append(row)
    return rows


def _may(case: Case, name: str, user) -> bool:
    try:
        workflow.require(case, name, user)
    except TransitionNotAllowed:
        return False
    return True


# --- The list -------------------------------------------------------------------------------


@require_safe
@login_required
@never_cache
def case_list(request):
    cases = selectors.applicant_cases(request.user).select_related("submission")
    group = GROUPS_BY_KEY.get(request.GET.get("group", ""))
    if group is not None:
        cases = cases.filter(state__in=group.states)
    per_state = dict(
        selectors.applicant_cases(request.user).order_by().values_list("state").annotate(n=Count("pk"))
    )
    tabs = [{"key": "", "label": _("全部"), "count": sum(per_state.values()), "current": group is None}]
    tabs += [
        {
            "key": g.key,
            "label": g.label,
            "count": sum(n for state, n in per_state.items() if state in g.states),
            "current": g == group,
        }
        for g in GROUPS
    ]
    paginator = Paginator(cases, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    page_cases = list(page_obj.object_list)
    texts = wording.wordings_for(page_cases)
    rows = []
    for case in page_cases:
        if case.state == State.DRAFT:
            updated = case.submission.updated_at
        else:
            updated = case.current_record.created_at if case.current_record_id else case.created_at
        rows.append({"case": case, "wording": texts[case.pk], "clock": clock(case), "updated": updated})
    return render(
        request,
        "applications/my_cases/list.html",
        {
            "rows": rows,
            "tabs": tabs,
            "group": group,
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
        },
    )


# --- One case -------------------------------------------------------------------------------


def _own_case(request, serial: str) -> Case:
    return get_object_or_404(
        selectors.applicant_cases(request.user).select_related("submission", "matter__department"),
        serial=serial,
    )


def _correction_record(case: Case) -> ProcessRecord | None:
    return ProcessRecord.objects.filter(case=case, action="request_correction").order_by("-sequence").first()


def _result_document(case: Case) -> Document | None:
    """The result (证照/批文) attached when the case was completed, if any."""
    if case.state not in (State.COMPLETED, State.DELIVERED):
        return None
    record = (
        ProcessRecord.objects.filter(case=case, action__in=("complete", "complete_immediately"))
        .order_by("-sequence")
        .first()
    )
    document_id = record.details.get("result_document") if record else None
    return Document.objects.filter(pk=document_id, owner=case.applicant_id).first() if document_id else None


def _detail_context(
    request,
    case: Case,
    *,
    withdraw_form: WithdrawForm | None = None,
    correction_form: CorrectionForm | None = None,
    problems: list[str] | None = None,
) -> dict:
    submission = case.submission
    spec = forms_engine.get_spec(case.matter, submission.form_version or None)
    correcting = case.state == State.CORRECTION_REQUESTED
    context = {
        "case": case,
        "submission": submission,
        "matter": case.matter,
        "wording": wording.wording_for(case),
        "clock": clock(case),
        "timeline": timeline_rows(case),
        "answers": forms_engine.display_answers(spec, submission.form_data) if spec.fields else [],
        "issued_documents": list(case.issued_documents.order_by("created_at")),
        "result_document": _result_document(case),
        "correcting": correcting,
        "may_withdraw": _may(case, "withdraw", request.user),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "show_delivery": case.state in (State.DECIDED, State.COMPLETED, State.DELIVERED),
    }
    if correcting:
        correction = _correction_record(case)
        items = correction.details.get("items", []) if correction else []
        opinion = correction.opinion if correction else ""
        context.update(
            correction=correction,
            correction_items=items,
            correction_opinion="" if opinion == "；".join(items) else opinion,
            may_supply=_may(case, "supply_correction", request.user),
            correction_form=correction_form or CorrectionForm(),
            refusal=drafts.linked_problems(case, problems or []),
            panel=panel_context(request, submission),
        )
    else:
        context["reports"] = materials.requirement_reports(submission, matters=[case.matter])
    return context


@require_safe
@login_required
@never_cache
def detail(request, serial: str):
    case = _own_case(request, serial)
    return render(request, "applications/my_cases/detail.html", _detail_context(request, case))


@require_POST
@login_required
def withdraw(request, serial: str):
    case = _own_case(request, serial)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, case, withdraw_form=form)
        return render(request, "applications/my_cases/detail.html", context)
    try:
        services.withdraw(
            case=case,
            actor=request.user,
            reason_code=form.cleaned_data["reason"],
            opinion=form.cleaned_data["opinion"],
        )
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("applications:detail", case.serial)


@require_POST
@login_required
def supply_correction(request, serial: str):
    case = _own_case(request, serial)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.supply_correction(case=case, actor=request.user, note=form.cleaned_data["note"])
        except SubmissionIncomplete as exc:
            context = _detail_context(request, case, correction_form=form, problems=exc.problems)
            return render(request, "applications/my_cases/detail.html", context)
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("补正材料已提交，我们将重新进行预审。"))
        return redirect("applications:detail", case.serial)
    context = _detail_context(request, case, correction_form=form)
    return render(request, "applications/my_cases/detail.html", context)
