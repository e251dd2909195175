"""Back office of the catalogue (事项目录管理).

Who sees what:
* catalogue editors and superusers: every department's matters;
* supervisors: everything, read-only (their group has view permissions only);
* department staff: their own department's matters (``matters_editable_by``); another
  department's matter answers 404, and a matter cannot be moved out of their departments.

Writes of the catalogue state go through ``matters.services`` (save, publish, withdraw);
lists are built for millions of rows (``portal.admin_support``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from matters import codes, services
from matters.models import (
    Department,
    DepartmentMembership,
    GuideOption,
    GuideQuestion,
    MaterialRequirement,
    Matter,
    MatterRelation,
    MatterStep,
    Region,
    Synonym,
    Tag,
    Theme,
)
from matters.selectors import matters_editable_by
from portal.admin_support import (
    LargeTableAdminMixin,
    PaginatedInlineMixin,
    autocomplete_source,
)

# --- Scope ----------------------------------------------------------------------------


def sees_whole_catalogue(user) -> bool:
    return user.is_catalogue_editor or user.is_supervisor


def editable_department_ids(request) -> frozenset[int] | None:
    """The departments whose matters the user edits; None means every department.

    Cached on the request: permission checks ask it many times per page.
    """
    if not hasattr(request, "_matters_editable_departments"):
        user = request.user
        if user.is_catalogue_editor:
            ids = None
        else:
            ids = frozenset(
                DepartmentMembership.objects.filter(user=user).values_list("department_id", flat=True)
            )
        request._matters_editable_departments = ids
    return request._matters_editable_departments


def matter_is_editable(request, matter: Matter | None) -> bool:
    if matter is None or matter.pk is None:
        return True
    ids = editable_department_ids(request)
    return ids is None or matter.department_id in ids


def departments_for(user):
    """The departments a user may put a matter in."""
    if user.is_catalogue_editor:
        return Department.objects.all()
    return Department.objects.filter(
        pk__in=DepartmentMembership.objects.filter(user=user).values("department_id")
    )


def relation_targets(user):
    """What a relation (or a guidance answer) may point to: any published matter, plus the user's own."""
    if user.is_catalogue_editor:
        return Matter.objects.all()
    return Matter.objects.filter(
        Q(status=codes.Status.PUBLISHED) | Q(pk__in=matters_editable_by(user).values("pk"))
    )


def _in_scope_or_404(modeladmin, request, object_id) -> None:
    try:
        found = modeladmin.get_queryset(request).filter(pk=unquote(object_id)).exists()
    except (ValueError, ValidationError):
        found = False
    if not found:
        raise Http404(gettext("没有找到该事项，或您无权查看。"))


# --- Matter form ----------------------------------------------------------------------

RULE_HELP = {
    "implementation_code": _(
        "留空则按“实施主体统一社会信用代码（18位）+ 行使层级（1位）+ 基本编码（12位）”自动生成。"
    ),
    "promised_limit_days": _(
        "0 表示即办。不能超过法定办结时限。规则1：即办时办件类型为即办件、审查类型为即审即办，"
        "否则为承诺件、前审后批。规则8：行政许可事项各环节时限之和不能超过本时限。"
    ),
    "case_type": _("规则1：承诺时限为即办（0）时为即办件，否则为承诺件。"),
    "review_type": _("规则1：承诺时限为即办（0）时为即审即办，否则为前审后批。"),
    "onsite_visits": _(
        "规则2：不为0时须填写需到现场原因。规则3：为0时须支持网上申办或物流快递。"
        "规则4：网上办理深度为四级时须为0。"
    ),
    "onsite_visits_reason": _("规则2：到办事现场次数不为0时必填。"),
    "online_depth": _("规则4：四级（全程网上办理）要求到办事现场次数为0。"),
    "online_payment": _("规则5：不收费的事项不能支持网上支付。"),
    "fee_standard": _("收费事项必填。"),
    "result_name": _("规则6：填写办理结果名称时须上传办理结果样本。"),
    "result_sample": _("规则6：填写了办理结果名称时必传。"),
    "consultation_phone": _("规则7：带区号的固定电话，例如 0760-88888888，且与监督投诉电话不同。"),
    "supervision_phone": _("规则7：带区号的固定电话，且与咨询电话不同。"),
}


# The catalogue state changes only through publish/withdraw.
MATTER_READONLY_FIELDS = ("status", "published_at", "updated_at")

# The service guide's structure (办事指南), top to bottom.
MATTER_FIELDSETS = (
    (
        _("事项基本信息"),
        {
            "fields": (
                "name",
                "summary",
                ("matter_type", "audience"),
                "service_objects",
                ("department", "level"),
                "co_departments",
                "region",
            )
        },
    ),
    (_("事项编码"), {"fields": ("basic_code", "implementation_code", "business_item_code")}),
    (_("主题与分类"), {"fields": ("themes", "tags")}),
    (
        _("设定依据与受理条件"),
        {
            "fields": (
                "legal_basis",
                "acceptance_conditions",
                "quantity_limit",
                "intermediary_services",
                "special_procedures",
            )
        },
    ),
    (
        _("办理时限"),
        {
            "fields": (
                ("legal_limit_days", "promised_limit_days"),
                "limit_explanation",
                ("case_type", "review_type"),
            )
        },
    ),
    (_("收费"), {"fields": ("fee_required", "fee_basis", "fee_standard")}),
    (
        _("办理方式"),
        {
            "fields": (
                "handling_forms",
                "online_depth",
                ("online_apply", "appointment", "online_payment", "express_delivery"),
                "online_address",
                "general_scope",
                ("onsite_visits", "onsite_visits_reason"),
            )
        },
    ),
    (
        _("办理地点、时间与咨询"),
        {"fields": ("handling_place", "handling_hours", ("consultation_phone", "supervision_phone"))},
    ),
    (_("办理结果"), {"fields": ("result_type", "result_name", "result_sample")}),
    (_("常见问题"), {"fields": ("faq",)}),
    (_("目录状态"), {"fields": ("status", "published_at", "updated_at")}),
)


class MatterAdminForm(forms.ModelForm):
    service_objects = forms.MultipleChoiceField(
        label=_("服务对象"),
        choices=codes.ServiceObject.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("代码表 A.4"),
    )
    handling_forms = forms.MultipleChoiceField(
        label=_("办理形式"),
        choices=codes.HandlingForm.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("代码表 A.5"),
    )

    online_address = forms.URLField(
        label=_("网上办理地址"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Matter
        fields = [f for f in flatten_fieldsets(MATTER_FIELDSETS) if f not in MATTER_READONLY_FIELDS]
        help_texts = RULE_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "implementation_code" in self.fields:
            self.fields["implementation_code"].required = False

    def clean(self):
        cleaned = super().clean()
        if "implementation_code" in self.fields and not cleaned.get("implementation_code"):
            department, level, basic_code = (cleaned.get(k) for k in ("department", "level", "basic_code"))
            if department and level and basic_code:
                cleaned["implementation_code"] = codes.build_implementation_code(
                    department.uscc, level, basic_code
                )
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=services.WITHDRAW_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("例如：依据《××决定》取消该事项。不超过90个字。"),
    )


# --- Inlines --------------------------------------------------------------------------


class MatterScopedInlineMixin:
    """Rows of a matter follow the matter's scope: editable only where the matter is."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and matter_is_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and matter_is_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and matter_is_editable(request, obj)


class StepFormSet(BaseInlineFormSet):
    """Rule 8 needs every step of the matter at once, so steps are not paginated."""

    def clean(self):
        super().clean()
        matter = self.instance
        if matter.matter_type is None or matter.promised_limit_days is None:
            return  # the matter form reports what is missing
        steps = [
            form.instance
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not (self.can_delete and self._should_delete_form(form))
            and (form.instance.pk or form.has_changed())
        ]
        try:
            matter.clean_steps(steps)
        except ValidationError as error:
            raise ValidationError(
                [*error.messages, gettext("请调整各环节时限，或修改承诺办结时限。")], code="rule_8"
            ) from None


class MatterStepForm(forms.ModelForm):
    class Meta:
        model = MatterStep
        fields = ("sort_order", "name", "description", "handler", "duration_days")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}
        help_texts = {"duration_days": _("规则8：行政许可事项各环节时限之和不能超过承诺办结时限。")}


class MatterStepInline(MatterScopedInlineMixin, admin.TabularInline):
    model = MatterStep
    form = MatterStepForm
    formset = StepFormSet
    extra = 0
    ordering = ("sort_order", "pk")


class MaterialRequirementInline(MatterScopedInlineMixin, PaginatedInlineMixin, admin.StackedInline):
    model = MaterialRequirement
    extra = 0
    per_page = 10
    ordering = ("sort_order", "pk")
    template = "admin/edit_inline/paginated_stacked.html"
    fieldsets = (
        (None, {"fields": (("sort_order", "name"), ("necessity", "condition", "key_material"))}),
        (_("来源"), {"fields": (("source", "issuing_body", "licence_type_code"),)}),
        (
            _("份数与形式"),
            {"fields": (("originals", "copies", "medium"), "specification", "time_requirement")},
        ),
        (_("填报须知与样表"), {"fields": ("notes", ("sample", "blank_form"))}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"specification", "notes"} and field is not None:
            field.widget.attrs.update({"rows": 2})
        return field


class MatterRelationInline(MatterScopedInlineMixin, PaginatedInlineMixin, admin.TabularInline):
    model = MatterRelation
    fk_name = "matter"
    extra = 0
    per_page = 20
    ordering = ("kind", "sort_order", "pk")
    fields = ("related", "kind", "note", "sort_order")
    autocomplete_fields = ("related",)

    def get_queryset(self, request):
        # str(relation) names both matters: fetch them with the rows.
        return super().get_queryset(request).select_related("matter", "related")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "related":
            kwargs["queryset"] = relation_targets(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Matter ---------------------------------------------------------------------------


class DepartmentFilter(admin.SimpleListFilter):
    """实施主体, limited to the departments the user works with (no scan of the matters)."""

    title = _("实施主体")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        user = request.user
        departments = Department.objects.all() if sees_whole_catalogue(user) else departments_for(user)
        return [
            (str(pk), name)
            for pk, name in departments.order_by("sort_order", "name").values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(department_id=int(value))
        return queryset


@admin.register(Matter)
class MatterAdmin(LargeTableAdminMixin, SimpleHistoryAdmin):
    form = MatterAdminForm
    list_display = (
        "name",
        "implementation_code",
        "department",
        "matter_type",
        "audience",
        "online_depth",
        "status",
        "updated_at",
    )
    list_filter = ("status", DepartmentFilter, "matter_type", "audience", "online_depth")
    search_fields = ("name", "implementation_code__exact", "basic_code__startswith")
    search_help_text = _("按事项名称、完整的实施编码或基本编码开头查找。")
    list_select_related = ("department",)
    list_per_page = 50
    ordering = ("-id",)
    autocomplete_fields = ("department", "region", "co_departments", "themes", "tags")
    readonly_fields = MATTER_READONLY_FIELDS
    inlines = (MatterStepInline, MaterialRequirementInline, MatterRelationInline)
    actions = ("publish_selected", "withdraw_selected")
    history_list_display = ("status",)
    fieldsets = MATTER_FIELDSETS

    # Scope -------------------------------------------------------------------------

    def get_queryset(self, request):
        user = request.user
        qs = Matter.objects.all() if sees_whole_catalogue(user) else matters_editable_by(user)
        return qs.order_by(*self.get_ordering(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Never the page, and not a redirect that says whether the matter exists.
            raise Http404(gettext("没有找到该事项，或您无权查看。"))
        return obj

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and matter_is_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_catalogue_editor:
            return True
        # Department staff delete only drafts: a published matter is withdrawn, not deleted.
        return obj.status == codes.Status.DRAFT and matter_is_editable(request, obj)

    def has_publish_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_catalogue_editor:
            actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = departments_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = editable_department_ids(request)
        if ids is not None and len(ids) == 1 and "department" not in initial:
            initial["department"] = next(iter(ids))
        return initial

    def get_search_results(self, request, queryset, search_term):
        source = autocomplete_source(request)
        if source in {("matters", "matterrelation", "related"), ("matters", "guideoption", "matters")}:
            queryset = relation_targets(request.user).order_by(*self.get_ordering(request))
        return super().get_search_results(request, queryset, search_term)

    # Saving through the services ----------------------------------------------------

    def save_model(self, request, obj, form, change):
        services.save_matter(matter=obj, actor=request.user)

    # Publish and withdraw ------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="{}_{}_publish".format(*info),
            ),
            path(
                "<path:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="{}_{}_withdraw".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def _change_url(self, matter) -> str:
        return reverse("admin:matters_matter_change", args=[matter.pk])

    def _editable_matter(self, request, object_id) -> Matter:
        matter = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, matter):
            raise PermissionDenied
        return matter

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        matter = self._editable_matter(request, object_id)
        try:
            services.publish(matter=matter, actor=request.user)
        except services.CatalogueError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, gettext("事项「%(name)s」已发布。") % {"name": matter.name}, messages.SUCCESS
            )
        return HttpResponseRedirect(self._change_url(matter))

    def withdraw_view(self, request, object_id):
        matter = self._editable_matter(request, object_id)
        form = WithdrawForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.withdraw(matter=matter, actor=request.user, reason=form.cleaned_data["reason"])
            except services.CatalogueError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, gettext("事项「%(name)s」已撤销。") % {"name": matter.name}, messages.SUCCESS
                )
            return HttpResponseRedirect(self._change_url(matter))
        return self._withdraw_page(
            request, form=form, matters=[matter], hidden_fields=[], cancel_url=self._change_url(matter)
        )

    def _withdraw_page(
        self, request, *, form, matters, hidden_fields, cancel_url, more_count=0, form_action=""
    ):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("撤销事项"),
            "opts": self.opts,
            "form": form,
            "matters": matters,
            "more_count": more_count,
            "hidden_fields": hidden_fields,
            "cancel_url": cancel_url,
            "form_action": form_action,
        }
        return TemplateResponse(request, "admin/matters/matter/withdraw.html", context)

    @admin.action(description=_("发布所选事项"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        published = 0
        for matter in queryset.select_related("department"):
            try:
                services.publish(matter=matter, actor=request.user)
            except services.CatalogueError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext("已发布 %(count)d 个事项。", "已发布 %(count)d 个事项。", published)
                % {"count": published},
                messages.SUCCESS,
            )

    @admin.action(description=_("撤销所选事项"), permissions=["publish"])
    def withdraw_selected(self, request, queryset):
        form = WithdrawForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            withdrawn = 0
            for matter in queryset:
                try:
                    services.withdraw(matter=matter, actor=request.user, reason=form.cleaned_data["reason"])
                except services.CatalogueError as error:
                    self.message_user(request, str(error), messages.WARNING)
                else:
                    withdrawn += 1
            if withdrawn:
                self.message_user(
                    request,
                    ngettext("已撤销 %(count)d 个事项。", "已撤销 %(count)d 个事项。", withdrawn)
                    % {"count": withdrawn},
                    messages.SUCCESS,
                )
            return None
        # Ask for the reason, then post the same selection back to this action.
        shown = 50
        matters = list(queryset.select_related(None).only("id", "name", "implementation_code")[: shown + 1])
        hidden = [("action", "withdraw_selected"), ("index", "0")]
        hidden += [("select_across", request.POST.get("select_across", "0"))]
        hidden += [
            (helpers.ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ]
        return self._withdraw_page(
            request,
            form=form,
            matters=matters[:shown],
            more_count=max(0, len(matters) - shown),
            hidden_fields=hidden,
            cancel_url=reverse("admin:matters_matter_changelist"),
            form_action=reverse("admin:matters_matter_changelist"),
        )

    # Change page and history ---------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        matter = self.get_object(request, unquote(object_id))
        editable = self.has_change_permission(request, matter)
        extra_context = {
            **(extra_context or {}),
            "matter_actions": {
                "can_publish": editable and matter.status != codes.Status.PUBLISHED,
                "can_withdraw": editable and matter.status == codes.Status.PUBLISHED,
                "material_history_url": reverse("admin:matters_historicalmaterialrequirement_changelist")
                + f"?matter__id__exact={matter.pk}",
            },
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if not sees_whole_catalogue(request.user):
            _in_scope_or_404(self, request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version is shown, never restored: a revert would bypass the services.
        if request.method == "POST":
            raise PermissionDenied
        if not sees_whole_catalogue(request.user):
            _in_scope_or_404(self, request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


# --- Catalogue change log (historical records) -----------------------------------------


class HistoricalRecordAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Read-only list of historical rows: who changed what, when. Reached from the matter pages."""

    change_list_template = "admin/matters/historical_change_list.html"
    count_noun = _("条记录")
    list_per_page = 50
    list_display_links = None
    list_filter = ("history_type",)
    list_title = ""

    def has_module_permission(self, request):
        return False  # the historical models' names are simple-history's English: linked, not listed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": self.list_title})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise Http404  # one record is read in the matter's history page

    @admin.display(description=_("操作人"), ordering="history_user")
    def actor(self, record):
        return record.history_user or gettext("系统")

    @admin.display(description=_("时间"), ordering="history_date")
    def when(self, record):
        return record.history_date

    @admin.display(description=_("操作"))
    def operation(self, record):
        return record.get_history_type_display()

    @admin.display(description=_("说明"))
    def reason(self, record):
        return record.history_change_reason or ""


def _department_scope(request):
    return Department.objects.filter(memberships__user=request.user).values("pk")


@admin.register(Matter.history.model)
class HistoricalMatterAdmin(HistoricalRecordAdmin):
    list_title = _("目录变更记录")
    list_display = ("when", "actor", "operation", "matter_link", "implementation_code", "status", "reason")
    list_filter = ("history_type", "status")
    search_fields = ("name", "implementation_code__exact")
    list_select_related = ("history_user",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if sees_whole_catalogue(request.user):
            return qs
        return qs.filter(department_id__in=_department_scope(request))

    @admin.display(description=_("事项"))
    def matter_link(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:matters_matter_history", args=[record.id]), record.name
        )


@admin.register(MaterialRequirement.history.model)
class HistoricalMaterialAdmin(HistoricalRecordAdmin):
    list_title = _("申请材料变更记录")
    list_display = ("when", "actor", "operation", "matter_name", "name", "necessity", "reason")
    list_filter = ("history_type", "necessity")
    search_fields = ("name",)
    list_select_related = ("history_user",)

    def get_queryset(self, request):
        # The matter's current name by subquery, not a join: a deleted matter's rows stay listed.
        name = Matter.objects.filter(pk=OuterRef("matter_id")).values("name")[:1]
        qs = super().get_queryset(request).annotate(matter_name=Subquery(name))
        if sees_whole_catalogue(request.user):
            return qs
        return qs.filter(matter__department__in=_department_scope(request))

    @admin.display(description=_("所属事项"))
    def matter_name(self, record):
        return format_html(
            '<a href="?matter__id__exact={}">{}</a>', record.matter_id, record.matter_name or record.matter_id
        )


# --- Reference tables -----------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("name", "code__startswith")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    ordering = ("code",)


class DepartmentMembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0
    autocomplete_fields = ("user",)
    verbose_name_plural = _("部门人员（仅限后台工作人员账号）")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "uscc", "region", "body_nature", "sort_order", "is_active")
    list_filter = ("is_active", "body_nature")
    search_fields = ("name", "short_name", "uscc")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)
    show_full_result_count = False
    inlines = (DepartmentMembershipInline,)

    def get_search_results(self, request, queryset, search_term):
        # A matter's implementing department: only one the user works in.
        if autocomplete_source(request) == ("matters", "matter", "department"):
            queryset = queryset.filter(pk__in=departments_for(request.user).values("pk"))
        return super().get_search_results(request, queryset, search_term)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "audience", "slug", "sort_order")
    list_filter = ("audience",)
    search_fields = ("name", "slug")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    show_full_result_count = False


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "expansion")
    search_fields = ("term", "expansion")
    show_full_result_count = False


class GuideOptionInline(admin.StackedInline):
    model = GuideOption
    fk_name = "question"
    extra = 0
    autocomplete_fields = ("next_question", "matters")
    fields = (("label", "sort_order"), "next_question", "matters", "conclusion")


@admin.register(GuideQuestion)
class GuideQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "is_start", "sort_order")
    list_filter = ("is_start",)
    search_fields = ("text",)
    inlines = (GuideOptionInline,)


from matters import form_admin  # noqa: E402,F401  (form specifications: their own module)
