"""Back office of cases (办件工作台) for department staff and supervisors.

Who sees what (``queue_scope``, built on ``applications.selectors``):
* staff with a handling role (clerk, reviewer, approver): the submitted cases of their
  departments; another department's case is not listed and its pages answer 404;
* supervisors and superusers: every submitted case, read-only (no change permission, no
  transition, POST refused).

Nothing here writes a case: the case page's buttons, the bulk sign action and the window
registration call ``applications.services``, which ask ``applications.workflow``. The
queue is built for 1,000,000 cases: the large-table paginator (no full ``COUNT(*)``),
capped counts per quick filter, the rows' columns in one query, and the remaining working
days computed in Python from the row's dates (``portal.workdays`` caches the calendars).
"""

import csv
import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from applications import admin_filters as filters
from applications import forms_engine, materials, selectors, services, uploads, workflow
from applications.models import (
    CLOSED_STATES,
    ApplicantType,
    Case,
    Decision,
    Document,
    Origin,
    SavedCaseFilter,
    State,
)
from applications.pdf import mask_name
from applications.services import ApplicantData
from applications.workflow import TransitionNotAllowed
from matters.codes import HandlingForm
from matters.models import Matter
from portal import workdays
from portal.admin_support import LargeTableAdminMixin
from portal.validators import (
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)

# The document views of applications.views.documents (materials' inline preview and file).
DOCUMENT_PREVIEW_URL = "applications:document_preview"
DOCUMENT_FILE_URL = "applications:document_file"
ISSUED_DOWNLOAD_URL = "applications:issued_download"

# Counts of the quick filters stop here ("1000+"), like the list's own count, and are kept
# this many seconds per person (settings.CASE_QUEUE_COUNT_SECONDS).
QUICK_COUNT_CAP = 1000
QUICK_COUNT_SECONDS = 30
# One bulk action handles at most this many cases; an export at most this many rows.
BULK_MAX_CASES = 200
EXPORT_MAX_ROWS = 50_000
# Refusals listed one by one after a bulk action, the rest summed up.
BULK_MAX_MESSAGES = 20
SAVED_FILTERS_PER_USER = 30

# The columns a queue row reads (one query for the page, no other column loaded).
LIST_FIELDS = (
    "id",
    "serial",
    "state",
    "channel",
    "origin",
    "submitted_at",
    "accepted_at",
    "completed_at",
    "pre_review_due_date",
    "promised_due_date",
    "clock_stopped_at",
    "matter__id",
    "matter__name",
    "matter__promised_limit_days",
    "department__id",
    "department__name",
    "submission__id",
    "submission__applicant_type",
    "submission__applicant_name",
    "submission__applicant_id_number",
    "submission__org_name",
)


# --- Scope --------------------------------------------------------------------------------


def queue_scope(request) -> QuerySet[Case]:
    """The submitted cases the user may see (cached on the request: filters and counts reuse it).

    ``submitted_at IS NOT NULL`` is the same set as "not a draft" and lets the indexes on
    (department, -submitted_at) skip the drafts' NULLs.
    """
    if not hasattr(request, "_case_queue_scope"):
        qs = Case.objects.all() if filters.sees_all(request) else selectors.department_cases(request.user)
        request._case_queue_scope = qs.select_related(None).filter(submitted_at__isnull=False)
    return request._case_queue_scope


def quick_count_seconds() -> int:
    return getattr(settings, "CASE_QUEUE_COUNT_SECONDS", QUICK_COUNT_SECONDS)


def quick_counts_key(user) -> str:
    # The day is part of the key: 即将超期 and 超期 change at midnight.
    return f"case-queue-counts:{user.pk}:{timezone.localdate():%Y%m%d}"


def forget_quick_counts(user) -> None:
    cache.delete(quick_counts_key(user))


def capped_count(queryset, cap: int | None = None) -> str:
    cap = QUICK_COUNT_CAP if cap is None else cap
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    if counted > cap:
        return f"{number_format(cap, force_grouping=True)}+"
    return number_format(counted, force_grouping=True)


# --- Row display --------------------------------------------------------------------------


def applicant_parts(case: Case) -> tuple[str, str]:
    """(name, ID number) as the queue shows them: an organisation by name, a person masked."""
    submission = case.submission
    if submission.applicant_type != ApplicantType.PERSON and submission.org_name:
        return submission.org_name, ""
    number = submission.applicant_id_number
    return mask_name(submission.applicant_name), mask_id_number(number) if number else ""


def applicant_display(case: Case) -> str:
    return " ".join(part for part in applicant_parts(case) if part)


class WorkdayMemo:
    """``portal.workdays`` answers remembered per date for one page or one export.

    ``workdays.is_workday`` reads the calendar's version from the cache at every call: a
    cache round trip per day counted, per row. A page of 50 rows asks about the same few
    weeks, so each date is asked once.
    """

    def __init__(self):
        self._days: dict[datetime.date, bool] = {}

    def is_workday(self, day: datetime.date) -> bool:
        try:
            return self._days[day]
        except KeyError:
            value = self._days[day] = workdays.is_workday(day)
            return value

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """The contract of ``workdays.workdays_between``: working days after ``start`` up to ``end``."""
        if end == start:
            return 0
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count = 0
        day = start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_workday(day)
        return sign * count


def remaining(case: Case, today: datetime.date, calendar: WorkdayMemo | None = None) -> int | None:
    """``selectors.remaining_workdays`` (the same rule, tested to agree), counted with ``calendar``."""
    if not case.promised_due_date:
        return None
    end = today
    if case.completed_at:
        end = timezone.localtime(case.completed_at).date()
    elif case.clock_stopped_at is not None:
        end = timezone.localtime(case.clock_stopped_at).date()
    return (calendar or WorkdayMemo()).between(end, case.promised_due_date)


def pre_review_left(case: Case, today: datetime.date, calendar: WorkdayMemo | None = None) -> int | None:
    """Working days left in the pre-review period (预审), for cases not yet accepted."""
    if case.accepted_at or not case.pre_review_due_date or case.state in CLOSED_STATES:
        return None
    return (calendar or WorkdayMemo()).between(today, case.pre_review_due_date)


def remaining_cell(case: Case, today: datetime.date, calendar: WorkdayMemo):
    days = remaining(case, today, calendar)
    if days is None:
        left = pre_review_left(case, today, calendar)
        if left is None:
            return "—"
        return format_html('<span class="case-pre-review">{} {}</span>', gettext("预审"), left)
    status = filters.deadline_status(case, days)
    if status == filters.OVERDUE:
        return format_html('<strong class="case-overdue" title="{}">{}</strong>', gettext("已超期"), days)
    if status == filters.DUE_SOON:
        return format_html('<strong class="case-due-soon" title="{}">{}</strong>', gettext("即将超期"), days)
    return str(days)


def document_urls(document: Document | None) -> dict[str, str]:
    """Links of a material's document (empty when the document views are not mounted)."""
    if document is None:
        return {"preview": "", "file": ""}
    try:
        return {
            "preview": reverse(DOCUMENT_PREVIEW_URL, args=[document.pk]),
            "file": reverse(DOCUMENT_FILE_URL, args=[document.pk]),
        }
    except NoReverseMatch:
        return {"preview": "", "file": ""}


def issued_url(issued) -> str:
    try:
        return reverse(ISSUED_DOWNLOAD_URL, args=[issued.pk])
    except NoReverseMatch:
        return ""


def duration_display(seconds: int) -> str:
    """本环节用时 as 2天3小时 / 3小时5分 / 5分 / 不足1分."""
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    if minutes:
        return gettext("%(m)d分") % {"m": minutes}
    return gettext("不足1分")


# --- Forms --------------------------------------------------------------------------------

REASON_LABELS = {
    "reject": _("不予受理原因"),
    "begin_special_procedure": _("特别程序种类"),
    "deny": _("不予准予原因"),
}

DELIVERY_METHODS = (
    ("window", _("窗口领取")),
    ("express", _("邮寄送达")),
    ("electronic", _("电子送达")),
)


class TransitionForm(forms.Form):
    """The input of one transition, as the workflow table says it needs (opinion, reason, …)."""

    def __init__(self, transition: workflow.Transition, case: Case, *args, **kwargs):
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.case = case
        name = transition.name
        # A correction notice's opinion defaults to its items (services.request_correction).
        opinion_required = transition.requires_opinion and name != "request_correction"
        self.fields["opinion"] = forms.CharField(
            label=_("办理意见"),
            required=opinion_required,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        )
        if transition.reasons:
            self.fields["reason"] = forms.ChoiceField(
                label=REASON_LABELS.get(name, _("原因")),
                choices=[("", "---------"), *[(code, label) for code, label in transition.reasons]],
            )
        if name == "request_correction":
            self.fields["items"] = forms.CharField(
                label=_("需补正的材料或内容"),
                help_text=_("每行一项，一次性告知全部需补正的内容。"),
                error_messages={"required": _("请逐项列明需要补正的材料或内容。")},
                widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
            )
        if name == "extend":
            limit = case.matter.extension_days
            self.fields["days"] = forms.IntegerField(
                label=_("延长工作日"),
                min_value=1,
                max_value=max(1, limit),
                initial=limit,
                help_text=_("最多 %(max)d 个工作日，只能延长一次。") % {"max": limit},
            )
        if name in ("complete", "complete_immediately"):
            decision = Decision.APPROVED if name == "complete_immediately" else case.decision
            required = workflow.result_required(transition, case, decision)
            result = case.matter.result_name or gettext("办理结果")
            self.fields["result_file"] = forms.FileField(
                label=_("办理结果文件"),
                required=required,
                help_text=_("上传%(result)s（%(types)s）。")
                % {"result": result, "types": uploads.allowed_labels()},
            )
        if name == "deliver":
            self.fields["method"] = forms.ChoiceField(label=_("送达方式"), choices=DELIVERY_METHODS)
            self.fields["tracking_number"] = forms.CharField(
                label=_("快递单号"), required=False, max_length=40, help_text=_("邮寄送达时填写。")
            )

    @property
    def is_multipart_form(self) -> bool:
        return "result_file" in self.fields

    def clean_items(self) -> list[str]:
        items = [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]
        if not items:
            raise ValidationError(_("请逐项列明需要补正的材料或内容。"), code="items_required")
        return items

    def clean_result_file(self):
        upload = self.cleaned_data.get("result_file")
        if not upload:
            return None
        # Judged by content, like every upload (raises with a message naming the file).
        return uploads.check(upload)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == "express" and not (cleaned.get("tracking_number") or "").strip():
            self.add_error("tracking_number", _("邮寄送达请填写快递单号。"))
        return cleaned


class WindowRegistrationForm(forms.Form):
    """窗口登记: the applicant at the counter, identified on the spot."""

    matter = forms.ModelChoiceField(label=_("办理事项"), queryset=Matter.objects.none())
    applicant_type = forms.ChoiceField(
        label=_("申请人类型"),
        choices=((ApplicantType.PERSON, _("个人")), (ApplicantType.ENTERPRISE, _("企业或其他组织"))),
        initial=ApplicantType.PERSON,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("姓名"), max_length=50, help_text=_("单位申请时填写经办人姓名。"))
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=20,
        validators=[validate_id_number],
        help_text=_("18位居民身份证号码。"),
    )
    mobile = forms.CharField(label=_("手机号码"), max_length=20, validators=[validate_mobile])
    org_name = forms.CharField(label=_("单位名称"), max_length=200, required=False)
    org_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=20, required=False, validators=[validate_uscc]
    )

    def __init__(self, *args, matters: QuerySet[Matter], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])

    def clean_org_code(self) -> str:
        return normalize_uscc(self.cleaned_data.get("org_code", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("applicant_type") == ApplicantType.ENTERPRISE:
            if not (cleaned.get("org_name") or "").strip():
                self.add_error("org_name", _("单位申请请填写单位名称。"))
            if not cleaned.get("org_code") and "org_code" not in self.errors:
                self.add_error("org_code", _("单位申请请填写统一社会信用代码。"))
        return cleaned

    def applicant_data(self) -> ApplicantData:
        data = self.cleaned_data
        if data["applicant_type"] == ApplicantType.ENTERPRISE:
            return ApplicantData(
                name=data["org_name"].strip(),
                id_number=data["id_number"],
                mobile=data["mobile"],
                org_name=data["org_name"].strip(),
                org_code=data["org_code"],
                contact_name=data["name"].strip(),
            )
        return ApplicantData(name=data["name"].strip(), id_number=data["id_number"], mobile=data["mobile"])


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=30)
    query = forms.CharField(required=False, max_length=1000)

    def clean_query(self) -> str:
        return clean_query_string(self.cleaned_data.get("query", ""))


def clean_query_string(raw: str) -> str:
    """Keep only the queue's own parameters (filters, search, ordering): no page, no junk."""
    raw = (raw or "").lstrip("?")
    allowed = set(filters.FILTER_PARAMS) | {SEARCH_VAR, ORDER_VAR}
    source = QueryDict(raw)
    kept = QueryDict(mutable=True)
    for key in sorted(source):
        if key in allowed:
            kept.setlist(key, source.getlist(key)[-1:])
    return kept.urlencode()


# --- The queue ----------------------------------------------------------------------------


def queue_rows(changelist) -> dict:
    """The queue's table: Django's headers (sorting links), rows rendered by one template.

    Django renders each cell through ``items_for_result`` (a lookup, a format and an escape
    per cell, a form widget per checkbox); at 50 rows that was most of the page's time.
    The cells are the ones ``list_display`` names, in the same order.
    """
    headers = list(admin_list.result_headers(changelist))
    today = timezone.localdate()
    calendar = WorkdayMemo()
    change_url = reverse("admin:applications_case_change", args=[0]).replace("/0/", "/{}/")
    # Labels once per page: Model.get_FOO_display() rebuilds the choices at every call.
    states = {value: str(label) for value, label in State.choices}
    channels = {value: str(label) for value, label in HandlingForm.choices}
    rows = [
        {
            **dict(zip(("applicant", "applicant_id"), applicant_parts(case), strict=True)),
            "pk": case.pk,
            "url": change_url.format(case.pk),
            "serial": case.serial,
            "matter": case.matter.name,
            "department": case.department.name,
            "state": states.get(case.state, case.state),
            "channel": channels.get(case.channel, case.channel),
            "submitted_at": case.submitted_at,
            "promised_due_date": case.promised_due_date,
            # The page's deadlines with one calendar lookup per date.
            "remaining": remaining_cell(case, today, calendar),
        }
        for case in changelist.result_list
    ]
    return {
        "case_headers": headers,
        "case_num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "case_rows": rows,
        "case_show_department": "department_name" in changelist.list_display,
    }


class CaseChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).only(*LIST_FIELDS)


@admin.register(Case)
class CaseAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/applications/case/change_list.html"
    list_display = (
        "serial",
        "matter_name",
        "applicant_masked",
        "state",
        "channel",
        "submitted_at",
        "promised_due_date",
        "remaining_workdays",
    )
    list_display_links = ("serial",)
    list_filter = filters.QUEUE_FILTERS
    list_select_related = ("matter", "submission", "department")
    list_per_page = 50
    ordering = ("-submitted_at", "-pk")
    sortable_by = ("submitted_at", "promised_due_date")
    search_fields = ("serial",)  # the search itself is get_search_results
    search_help_text = _("输入统一申办流水号（完整或开头部分），或申请人姓名、单位名称（完整）。")
    actions = ("sign_selected", "export_selected")

    # Scope ------------------------------------------------------------------------------

    def get_queryset(self, request):
        return queue_scope(request)

    def get_changelist(self, request, **kwargs):
        return CaseChangeList

    def get_list_filter(self, request):
        if filters.sees_all(request):
            return self.list_filter
        return tuple(f for f in self.list_filter if f is not filters.DepartmentFilter)

    def get_list_display(self, request):
        if filters.sees_all(request):
            return (*self.list_display[:2], "department_name", *self.list_display[2:])
        return self.list_display

    def has_add_permission(self, request):
        return False  # a case is created by an application or a window registration

    def has_delete_permission(self, request, obj=None):
        return False  # a case is never deleted: it is withdrawn, rejected or completed

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        return obj.department_id in filters.department_ids(request)

    def may_register(self, request) -> bool:
        return self.has_change_permission(request) and bool(filters.department_ids(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _case_or_404(self, request, object_id) -> Case:
        try:
            pk = int(unquote(object_id))
        except (TypeError, ValueError):
            raise Http404(gettext("没有找到该办件，或您无权查看。")) from None
        case = (
            self.get_queryset(request)
            .select_related("matter", "department", "submission", "current_record")
            .filter(pk=pk)
            .first()
        )
        if case is None:
            # The same answer whether the case exists elsewhere or not at all.
            raise Http404(gettext("没有找到该办件，或您无权查看。"))
        return case

    # Search -----------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        serial = term.upper()
        if len(serial) >= 6 and serial.isascii() and serial.isalnum():
            # A range the unique index on serial serves under any collation, then the prefix.
            upper = serial + "Z" * max(1, 50 - len(serial))
            return queryset.filter(serial__gte=serial, serial__lte=upper, serial__startswith=serial), False
        # An organisation applies under its own name (applicant_name), so one column serves both.
        return queryset.filter(submission__applicant_name=term), False

    # Columns ----------------------------------------------------------------------------

    @admin.display(description=_("事项"))
    def matter_name(self, case):
        return case.matter.name

    @admin.display(description=_("承办部门"))
    def department_name(self, case):
        return case.department.name

    @admin.display(description=_("申请人"))
    def applicant_masked(self, case):
        return applicant_display(case)

    @admin.display(description=_("剩余工作日"))
    def remaining_workdays(self, case):
        return remaining_cell(case, timezone.localdate(), WorkdayMemo())

    # The list page ----------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        extra_context = {
            "title": gettext("办件工作台"),
            **(extra_context or {}),
            **self._queue_context(request),
        }
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context.update(queue_rows(context["cl"]))
        return response

    def _queue_context(self, request) -> dict:
        base = reverse("admin:applications_case_changelist")
        current = clean_query_string(request.GET.urlencode())
        scope = queue_scope(request)
        built_in = []
        quick = []
        if filters.department_ids(request):
            quick += [
                (gettext("待办"), filters.QUEUE_PARAM, filters.TODO),
                (gettext("已办"), filters.QUEUE_PARAM, filters.DONE),
            ]
        quick += [
            (gettext("即将超期"), filters.DEADLINE_PARAM, filters.DUE_SOON),
            (gettext("超期"), filters.DEADLINE_PARAM, filters.OVERDUE),
        ]
        counts = self._quick_counts(request, scope, [(param, value) for _label, param, value in quick])
        for label, param, value in quick:
            query = f"{param}={value}"
            built_in.append(
                {"label": label, "url": f"{base}?{query}", "count": counts[query], "active": current == query}
            )
        saved = [
            {
                "name": saved_filter.name,
                "url": f"{base}?{saved_filter.query}" if saved_filter.query else base,
                "active": current == saved_filter.query,
                "delete_url": reverse("admin:applications_case_delete_filter", args=[saved_filter.pk]),
            }
            for saved_filter in SavedCaseFilter.objects.filter(user=request.user).order_by("name")
        ]
        return {
            "quick_filters": built_in,
            "all_url": base,
            "all_active": current == "",
            "saved_filters": saved,
            "current_query": current,
            "save_filter_url": reverse("admin:applications_case_save_filter"),
            "export_url": reverse("admin:applications_case_export") + (f"?{current}" if current else ""),
            "register_url": reverse("admin:applications_case_register") if self.may_register(request) else "",
        }

    def _quick_counts(self, request, scope, quick: list[tuple[str, str]]) -> dict[str, str]:
        """Capped counts of the quick filters, kept a few seconds per person (a queue is
        reloaded often; the person's own actions through the back office refresh them)."""
        key = quick_counts_key(request.user)
        counts = cache.get(key)
        if counts is None or set(counts) != {f"{param}={value}" for param, value in quick}:
            counts = {}
            for param, value in quick:
                if param == filters.QUEUE_PARAM:
                    narrowed = filters.apply_queue(request, scope, value)
                else:
                    narrowed = filters.apply_deadline(request, scope, value)
                counts[f"{param}={value}"] = capped_count(narrowed)
            cache.set(key, counts, quick_count_seconds())
        return counts

    # Extra pages ------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        custom = [
            path("register/", wrap(self.register_view), name="{}_{}_register".format(*info)),
            path("export/", wrap(self.export_view), name="{}_{}_export".format(*info)),
            path("filters/save/", wrap(self.save_filter_view), name="{}_{}_save_filter".format(*info)),
            path(
                "filters/<int:filter_id>/delete/",
                wrap(self.delete_filter_view),
                name="{}_{}_delete_filter".format(*info),
            ),
            path(
                "<path:object_id>/transition/<str:name>/",
                wrap(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def _case_url(self, case: Case) -> str:
        return reverse("admin:applications_case_change", args=[case.pk])

    # The case page ----------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method not in ("GET", "HEAD"):
            # Nothing on a case is edited freely: transitions post to their own URLs.
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        case = self._case_or_404(request, object_id)
        return self._case_page(request, case)

    def history_view(self, request, object_id, extra_context=None):
        raise Http404  # the process timeline on the case page is the history

    def _transition_forms(self, request, case: Case, bound: TransitionForm | None = None) -> list:
        if not self.has_change_permission(request, case):
            return []
        result = []
        for transition in workflow.allowed(case, request.user):
            if transition.name not in workflow.STAFF_TRANSITIONS:
                continue
            if bound is not None and bound.transition.name == transition.name:
                form = bound
            else:
                form = TransitionForm(transition, case)
            result.append(
                {
                    "transition": transition,
                    "form": form,
                    "url": reverse("admin:applications_case_transition", args=[case.pk, transition.name]),
                    "open": form is bound,
                }
            )
        return result

    def _case_page(self, request, case: Case, *, bound: TransitionForm | None = None, status: int = 200):
        submission = case.submission
        spec = forms_engine.get_spec(case.matter, version=submission.form_version or None)
        answers = forms_engine.display_answers(spec, submission.form_data)
        extra_keys = [key for key in (submission.form_data or {}) if key not in spec.by_key]
        submission_materials = [
            {"material": material, **document_urls(material.document)}
            for material in submission.materials.select_related("document", "requirement")
        ]
        records = [
            {
                "record": record,
                "duration": duration_display(record.step_seconds),
                # Read here: in a template, details.items would be the dict's method.
                "reason": record.details.get("reason", ""),
                "items": record.details.get("items") or [],
                "days": record.details.get("days", ""),
            }
            for record in selectors.timeline(case)
        ]
        issued = [
            {"document": doc, "url": issued_url(doc)} for doc in case.issued_documents.order_by("created_at")
        ]
        today = timezone.localdate()
        calendar = WorkdayMemo()
        days = remaining(case, today, calendar)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("办件 %(serial)s") % {"serial": case.serial},
            "subtitle": case.matter.name,
            "opts": self.opts,
            "original": case,
            "case": case,
            "submission": submission,
            "is_person": submission.applicant_type == ApplicantType.PERSON,
            "answers": answers,
            "extra_answers": [(key, submission.form_data[key]) for key in extra_keys],
            "materials": submission_materials,
            "records": records,
            "issued": issued,
            "remaining": days,
            "pre_review_left": pre_review_left(case, today, calendar),
            "deadline_status": filters.deadline_status(case, days),
            "transitions": self._transition_forms(request, case, bound),
            "read_only": not self.has_change_permission(request, case),
            "changelist_url": reverse("admin:applications_case_changelist"),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/applications/case/case_page.html", context, status=status)

    def transition_view(self, request, object_id, name):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self._case_or_404(request, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied  # supervisors read, never act
        if name not in workflow.STAFF_TRANSITIONS:
            raise Http404
        transition = workflow.TRANSITIONS[name]
        form = TransitionForm(transition, case, request.POST, request.FILES)
        if not form.is_valid():
            return self._case_page(request, case, bound=form)
        try:
            case = self._fire(request, case, form)
        except TransitionNotAllowed as error:
            self.message_user(request, error.message, messages.ERROR)
            return self._case_page(request, self._case_or_404(request, object_id), bound=form, status=409)
        forget_quick_counts(request.user)
        self.message_user(
            request,
            gettext("已办理“%(action)s”，办件 %(serial)s 当前状态：%(state)s。")
            % {"action": transition.label, "serial": case.serial, "state": case.get_state_display()},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._case_url(case))

    def _fire(self, request, case: Case, form: TransitionForm) -> Case:
        data = form.cleaned_data
        name = form.transition.name
        user = request.user
        opinion = data.get("opinion", "")
        with transaction.atomic():
            if name == "deliver":
                details = {"method": data["method"]}
                if data.get("tracking_number"):
                    details["tracking_number"] = data["tracking_number"].strip()
                return services.deliver(case=case, actor=user, opinion=opinion, details=details)
            kwargs = {"opinion": opinion}
            for key in ("reason", "items", "days"):
                if key in data:
                    kwargs[key] = data[key]
            checked = data.get("result_file")
            if checked is not None:
                # Refused before the file is stored when the case cannot be completed now.
                workflow.require(case, name, user)
                kwargs["result_document"] = materials.store_document(
                    owner=case.applicant,
                    checked=checked,
                    kind=Document.Kind.RESULT,
                    title=case.matter.result_name or gettext("办理结果"),
                    org_code=case.submission.org_code,
                    case=case,
                )
            return services.perform(case, name, user, **kwargs)

    # Bulk actions -----------------------------------------------------------------------

    def _report_refusals(self, request, refusals: list[str]) -> None:
        for line in refusals[:BULK_MAX_MESSAGES]:
            self.message_user(request, line, messages.WARNING)
        if len(refusals) > BULK_MAX_MESSAGES:
            more = len(refusals) - BULK_MAX_MESSAGES
            text = gettext("另有 %(count)d 件未办理，原因同上或类似。") % {"count": more}
            self.message_user(request, text, messages.WARNING)

    @admin.action(description=_("签收所选办件"), permissions=["change"])
    def sign_selected(self, request, queryset):
        cases = list(queryset[: BULK_MAX_CASES + 1])
        if len(cases) > BULK_MAX_CASES:
            self.message_user(
                request,
                gettext("一次最多签收 %(max)d 件，请缩小范围后再试。") % {"max": BULK_MAX_CASES},
                messages.ERROR,
            )
            return None
        signed, refusals = 0, []
        for case in cases:
            try:
                services.sign(case=case, actor=request.user)
            except TransitionNotAllowed as error:
                refusals.append(f"{case.serial}：{error.message}")
            else:
                signed += 1
        if signed:
            forget_quick_counts(request.user)
            self.message_user(
                request,
                ngettext("已签收 %(count)d 件。", "已签收 %(count)d 件。", signed) % {"count": signed},
                messages.SUCCESS,
            )
        self._report_refusals(request, refusals)
        return None

    @admin.action(description=_("导出所选办件（CSV）"))
    def export_selected(self, request, queryset):
        return csv_response(queryset)

    def export_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            raise Http404 from None
        return csv_response(changelist.get_queryset(request))

    # Saved filters ----------------------------------------------------------------------

    def save_filter_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = SavedFilterForm(request.POST)
        base = reverse("admin:applications_case_changelist")
        if not form.is_valid():
            self.message_user(request, gettext("请填写常用筛选的名称（不超过30个字）。"), messages.ERROR)
            query = clean_query_string(request.POST.get("query", ""))
            return HttpResponseRedirect(f"{base}?{query}" if query else base)
        name, query = form.cleaned_data["name"].strip(), form.cleaned_data["query"]
        mine = SavedCaseFilter.objects.filter(user=request.user)
        if not mine.filter(name=name).exists() and mine.count() >= SAVED_FILTERS_PER_USER:
            self.message_user(
                request,
                gettext("常用筛选最多保存 %(max)d 个，请先删除不用的。") % {"max": SAVED_FILTERS_PER_USER},
                messages.ERROR,
            )
        else:
            SavedCaseFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
            text = gettext("已保存常用筛选“%(name)s”。") % {"name": name}
            self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(f"{base}?{query}" if query else base)

    def delete_filter_view(self, request, filter_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        deleted, _rows = SavedCaseFilter.objects.filter(user=request.user, pk=filter_id).delete()
        if not deleted:
            raise Http404
        self.message_user(request, gettext("已删除常用筛选。"), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:applications_case_changelist"))

    # Window registration ----------------------------------------------------------------

    def register_view(self, request):
        if not self.may_register(request):
            raise PermissionDenied
        matters = (
            Matter.objects.published()
            .filter(department_id__in=filters.department_ids(request))
            .select_related("department")
            .order_by("department__sort_order", "name")
        )
        form = WindowRegistrationForm(request.POST or None, matters=matters)
        if request.method == "POST" and form.is_valid():
            try:
                case = services.register_window_case(
                    staff=request.user, matter=form.cleaned_data["matter"], data=form.applicant_data()
                )
            except TransitionNotAllowed as error:
                form.add_error(None, error.message)
            else:
                forget_quick_counts(request.user)
                self.message_user(
                    request,
                    gettext("窗口登记成功，统一申办流水号（受理回执号）：%(serial)s。")
                    % {"serial": case.serial},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._case_url(case) + "#issued-documents")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("窗口登记"),
            "opts": self.opts,
            "form": form,
            "changelist_url": reverse("admin:applications_case_changelist"),
        }
        return TemplateResponse(request, "admin/applications/case/register.html", context)


# --- CSV export ---------------------------------------------------------------------------

CSV_HEADER = (
    _("统一申办流水号"),
    _("事项"),
    _("承办部门"),
    _("申请人"),
    _("状态"),
    _("办理形式"),
    _("来源"),
    _("提交时间"),
    _("受理时间"),
    _("承诺办结日期"),
    _("剩余工作日"),
    _("办结时间"),
)


class _Echo:
    def write(self, value):
        return value


def _local(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def csv_rows(queryset):
    """The list's rows with personal data masked (applicant_display), streamed."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel reads UTF-8 with a BOM
    yield writer.writerow([str(label) for label in CSV_HEADER])
    today = timezone.localdate()
    calendar = WorkdayMemo()
    states = {value: str(label) for value, label in State.choices}
    channels = {value: str(label) for value, label in HandlingForm.choices}
    origins = {value: str(label) for value, label in Origin.choices}
    rows = queryset.select_related("matter", "submission", "department").only(*LIST_FIELDS)
    for case in rows[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        days = remaining(case, today, calendar)
        yield writer.writerow(
            [
                case.serial,
                case.matter.name,
                case.department.name,
                applicant_display(case),
                states.get(case.state, case.state),
                channels.get(case.channel, case.channel),
                origins.get(case.origin, case.origin),
                _local(case.submitted_at),
                _local(case.accepted_at),
                case.promised_due_date.isoformat() if case.promised_due_date else "",
                "" if days is None else days,
                _local(case.completed_at),
            ]
        )


def csv_response(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


from applications import admin_wording  # noqa: E402,F401  (state wording and notification texts)
