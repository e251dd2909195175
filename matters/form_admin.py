"""Back office of the matters' application forms (申请表单设计).

A form specification is edited on one page: its fields inline (ordered), its cross-field
rules inline, validated together when saved (``matters.forms_spec``: row checks in the
models' ``clean()``, spec-wide checks in ``spec_problems``), and versioned on every change.
A preview page renders the generated form, tries answers against it and shows the API's
JSON Schema.

Least privilege as for the matters: catalogue editors edit every form, department staff
only their own department's (``matters_editable_by``), supervisors read every form;
another department's form answers 404. Rows follow the permission on the form itself.

Registered by importing this module from ``matters/admin.py``.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from matters.forms_spec import (
    FormField,
    FormRule,
    FormSpec,
    FormSpecVersion,
    normalize_options,
    record_version,
    spec_problems,
)
from matters.selectors import matters_editable_by

# --- Scope ----------------------------------------------------------------------------------


def _sees_every_form(user) -> bool:
    return user.is_catalogue_editor or user.is_supervisor


def _editable_matter_ids(request) -> frozenset[int] | None:
    """The matters whose form the user may edit; None means all (cached on the request)."""
    if not hasattr(request, "_form_spec_editable"):
        user = request.user
        if user.is_catalogue_editor:
            request._form_spec_editable = None
        else:
            request._form_spec_editable = frozenset(matters_editable_by(user).values_list("pk", flat=True))
    return request._form_spec_editable


def _spec_is_editable(request, spec: FormSpec | None) -> bool:
    if spec is None or spec.pk is None:
        return True
    ids = _editable_matter_ids(request)
    return ids is None or spec.matter_id in ids


# --- Row forms: options and key lists as plain text --------------------------------------------


class OptionsField(forms.CharField):
    """Choice options, one per line: ``取值|名称`` or just ``名称`` (the value is then the name)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                o["label"] if str(o["value"]) == str(o["label"]) else f"{o['value']}|{o['label']}"
                for o in value
                if isinstance(o, dict) and "value" in o and "label" in o
            )
        return value

    def to_python(self, value):
        text = super().to_python(value)
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        try:
            return normalize_options(lines)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class KeyListField(forms.CharField):
    """A list of field keys or values, separated by commas, 、 or new lines."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [
            part.strip()
            for part in text.replace("、", ",").replace("，", ",").replace("\n", ",").split(",")
            if part.strip()
        ]


COLUMNS_HELP = _(
    '表格字段的列，JSON 列表，每列的写法与字段相同，例如 [{"key": "name", "label": "姓名", "type": "text", '
    '"max_length": 50}, {"key": "amount", "label": "出资额（万元）", "type": "decimal", "min": 0}]'
)


class FormFieldAdminForm(forms.ModelForm):
    options = OptionsField(
        label=_("选项"),
        required=False,
        help_text=_("单选、多选字段：每行一个选项，写作“取值|名称”或只写名称"),
    )
    columns = forms.JSONField(
        label=_("表格列"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=COLUMNS_HELP,
    )

    class Meta:
        model = FormField
        fields = (
            "sort_order",
            "key",
            "label",
            "field_type",
            "required",
            "prefill",
            "help_text",
            "placeholder",
            "min_length",
            "max_length",
            "pattern",
            "pattern_message",
            "min_value",
            "max_value",
            "decimal_places",
            "min_date",
            "max_date",
            "options",
            "min_items",
            "max_items",
            "columns",
            "default",
        )
        widgets = {"help_text": forms.TextInput(attrs={"size": 60})}

    def clean_columns(self):
        return self.cleaned_data.get("columns") or []


class FormRuleAdminForm(forms.ModelForm):
    field_keys = KeyListField(
        label=_("字段列表"), required=False, help_text=_("至少填写一项：字段标识，用逗号分隔")
    )
    values = KeyListField(
        label=_("条件取值"),
        required=False,
        help_text=_("条件必填：对照字段取这些值时必填，用逗号分隔；勾选确认字段写 true 或 false"),
    )

    class Meta:
        model = FormRule
        fields = (
            "sort_order",
            "kind",
            "field",
            "other_field",
            "field_keys",
            "values",
            "column",
            "limit",
            "allow_equal",
            "message",
        )


# --- Formsets validated together ------------------------------------------------------------------


def _live_forms(formset) -> list:
    """The row forms that will be saved (not deleted, not an untouched extra row)."""
    live = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data"):
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        live.append(form)
    return live


class SpecPartFormSet(BaseInlineFormSet):
    """Registers itself on the request so the rules can be checked against the fields being saved."""

    part = ""
    request = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.request is not None:
            self.request.__dict__.setdefault("_form_spec_formsets", {})[self.part] = self

    def save_new(self, form, commit=True):
        # A row added without an order goes last, not first.
        if not form.instance.sort_order:
            orders = [f.cleaned_data.get("sort_order") or 0 for f in _live_forms(self)]
            form.instance.sort_order = max(orders, default=0) + 10
        return super().save_new(form, commit)


class FieldFormSet(SpecPartFormSet):
    part = "fields"

    def clean(self):
        # Before Django's own duplicate check, which would only say "please correct the duplicates".
        live = _live_forms(self)
        by_instance = {id(form.instance): form for form in live}
        for problem in spec_problems([form.instance for form in live], []):
            form = by_instance.get(id(problem.target))
            if form is not None:
                form.add_error(problem.attr, problem.message)
        super().clean()


class RuleFormSet(SpecPartFormSet):
    part = "rules"

    def clean(self):
        super().clean()
        fields_formset = (
            self.request.__dict__.get("_form_spec_formsets", {}).get("fields") if self.request else None
        )
        if fields_formset is None:
            return
        fields_formset.is_valid()  # cleans it if it was not yet
        fields = [form.instance for form in _live_forms(fields_formset)]
        rules_forms = _live_forms(self)
        by_instance = {id(form.instance): form for form in rules_forms}
        for problem in spec_problems(fields, [form.instance for form in rules_forms]):
            form = by_instance.get(id(problem.target))
            if form is not None:
                try:
                    form.add_error(problem.attr, problem.message)
                except ValueError:  # an attribute the form does not show
                    form.add_error(None, problem.message)


# --- Inlines ---------------------------------------------------------------------------------------


class SpecRowInline:
    """Rows follow the permission on their form: editable where the form is."""

    extra = 0
    ordering = ("sort_order", "pk")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A class per request, so the formsets of one save can find each other.
        return type(formset.__name__, (formset,), {"request": request})

    def _spec_admin(self):
        return self.admin_site._registry[FormSpec]

    def _may_edit(self, request, spec) -> bool:
        spec_admin = self._spec_admin()
        if spec is None:  # the add page: rows come with the new form
            return spec_admin.has_add_permission(request)
        return spec_admin.has_change_permission(request, spec)

    def has_view_permission(self, request, obj=None):
        return self._spec_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


class FormFieldInline(SpecRowInline, admin.StackedInline):
    model = FormField
    form = FormFieldAdminForm
    formset = FieldFormSet
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("sort_order", "key", "label", "field_type"),
                    ("required", "prefill"),
                    "help_text",
                    "placeholder",
                )
            },
        ),
        (
            _("校验与选项"),
            {
                "classes": ("collapse",),
                "fields": (
                    ("min_length", "max_length"),
                    ("pattern", "pattern_message"),
                    ("min_value", "max_value", "decimal_places"),
                    ("min_date", "max_date"),
                    "options",
                    ("min_items", "max_items"),
                    "columns",
                    "default",
                ),
            },
        ),
    )


class FormRuleInline(SpecRowInline, admin.TabularInline):
    model = FormRule
    form = FormRuleAdminForm
    formset = RuleFormSet
    fields = (
        "sort_order",
        "kind",
        "field",
        "other_field",
        "field_keys",
        "values",
        "column",
        "limit",
        "allow_equal",
        "message",
    )


# --- The form specification -------------------------------------------------------------------------


class FormSpecAdminForm(forms.ModelForm):
    class Meta:
        model = FormSpec
        fields = ("matter", "intro")
        widgets = {"intro": forms.Textarea(attrs={"rows": 3, "cols": 80})}


@admin.register(FormSpec)
class FormSpecAdmin(admin.ModelAdmin):
    form = FormSpecAdminForm
    inlines = (FormFieldInline, FormRuleInline)
    list_display = ("matter", "department", "version", "field_count", "updated_at", "preview_link")
    list_select_related = ("matter", "matter__department")
    search_fields = ("matter__name", "matter__implementation_code__exact")
    search_help_text = _("按事项名称或完整的实施编码查找。")
    autocomplete_fields = ("matter",)
    readonly_fields = ("version", "updated_at", "links")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-updated_at",)

    # Scope ------------------------------------------------------------------------------------

    def get_queryset(self, request):
        # A correlated count: evaluated for the rows of one page only.
        counts = (
            FormField.objects.filter(spec=OuterRef("pk")).values("spec").annotate(n=Count("pk")).values("n")
        )
        qs = super().get_queryset(request).annotate(field_count=Coalesce(Subquery(counts), 0))
        if _sees_every_form(request.user):
            return qs
        return qs.filter(matter__in=matters_editable_by(request.user).values("pk"))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("没有找到该表单，或您无权查看。"))
        return obj

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _spec_is_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting a form drops its version snapshots, which old answers are read against:
        # only catalogue editors may; department staff remove fields instead (a new version).
        return super().has_delete_permission(request, obj) and request.user.is_catalogue_editor

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.insert(0, "matter")  # a form belongs to its matter for good
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "matter":
            kwargs["queryset"] = matters_editable_by(request.user).filter(form_spec__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return ((None, {"fields": ("matter", "intro", ("version", "updated_at"), "links")}),)

    # Columns and links -------------------------------------------------------------------------

    @admin.display(description=_("实施主体"), ordering="matter__department__name")
    def department(self, spec):
        return spec.matter.department

    @admin.display(description=_("字段数"))
    def field_count(self, spec):
        return spec.field_count

    @admin.display(description=_("预览"))
    def preview_link(self, spec):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:matters_formspec_preview", args=[spec.pk]), gettext("预览")
        )

    @admin.display(description=_("相关链接"))
    def links(self, spec):
        if spec.pk is None:
            return "—"
        versions = reverse("admin:matters_formspecversion_changelist") + f"?spec__id__exact={spec.pk}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:matters_formspec_preview", args=[spec.pk]),
            gettext("预览表单"),
            versions,
            gettext("版本记录"),
        )

    # Saving: the rows, then the version -------------------------------------------------------

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        spec = form.instance
        if record_version(spec, actor=request.user):
            self.message_user(
                request,
                gettext("表单已保存，当前为第 %(version)d 版。") % {"version": spec.version},
                messages.SUCCESS,
            )

    # Preview and the link from a matter --------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "for-matter/<int:matter_id>/",
                self.admin_site.admin_view(self.for_matter_view),
                name="{}_{}_for_matter".format(*info),
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        # The engine lives in the applications app: imported here only, so the catalogue does
        # not depend on it at import time.
        from applications import forms_engine

        spec_row = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, spec_row):
            raise PermissionDenied
        spec = forms_engine.get_spec(spec_row.matter)
        form_class = forms_engine.form_class(spec)
        tried = request.method == "POST"
        form = form_class(request.POST if tried else None)
        result = None
        if tried and form.is_valid():
            result = json.dumps(form.json_data, ensure_ascii=False, indent=2)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("预览申请表单：%(matter)s") % {"matter": spec_row.matter.name},
            "opts": self.opts,
            "original": spec_row,
            "spec": spec,
            "form": form,
            "tried": tried and not form.adding_row,
            "result": result,
            "schema": json.dumps(forms_engine.spec_schema(spec), ensure_ascii=False, indent=2),
            "change_url": reverse("admin:matters_formspec_change", args=[spec_row.pk]),
            "can_change": self.has_change_permission(request, spec_row),
        }
        return TemplateResponse(request, "matters/form_preview.html", context)

    def for_matter_view(self, request, matter_id):
        """The form of a matter: opened if it exists, created (empty) if the user may edit the matter."""
        spec = self.get_queryset(request).filter(matter_id=matter_id).first()
        if spec is None:
            matter = matters_editable_by(request.user).filter(pk=matter_id).first()
            if matter is None or not self.has_add_permission(request):
                raise Http404(gettext("没有找到该事项，或您无权编辑其申请表单。"))
            spec, _created = FormSpec.objects.get_or_create(matter=matter)
        return HttpResponseRedirect(reverse("admin:matters_formspec_change", args=[spec.pk]))


@admin.register(FormSpecVersion)
class FormSpecVersionAdmin(admin.ModelAdmin):
    """Read-only: what each version of a form contained (answers record the version they used)."""

    list_display = ("spec", "version", "created_at", "created_by")
    list_select_related = ("spec__matter", "created_by")
    readonly_fields = ("spec", "version", "snapshot_text", "created_at", "created_by")
    fields = readonly_fields
    show_full_result_count = False

    def has_module_permission(self, request):
        return False  # reached from a form's page, not listed on its own

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.admin_site._registry[FormSpec].has_view_permission(request)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _sees_every_form(request.user):
            return qs
        return qs.filter(spec__matter__in=matters_editable_by(request.user).values("pk"))

    @admin.display(description=_("表单内容"))
    def snapshot_text(self, version):
        return format_html("<pre>{}</pre>", json.dumps(version.snapshot, ensure_ascii=False, indent=2))
