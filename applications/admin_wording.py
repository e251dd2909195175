"""Back office of what the applicant reads: the state wording (状态说明) and the notification
templates (通知模板).

Catalogue editors (and superusers) edit the default wording of every state and the
notification templates; department staff given the permission edit the wording of their
own departments' matters only (``matters.selectors.matters_editable_by``). The built-in
defaults of ``applications.wording`` and ``portal.notifications`` apply where no row is
set, and each change page shows them.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications import wording
from applications.models import StateWording
from matters.selectors import matters_editable_by
from portal import notifications
from portal.models import NotificationTemplate


def _edits_defaults(user) -> bool:
    return user.is_active and (user.is_superuser or user.is_catalogue_editor)


class StateWordingForm(forms.ModelForm):
    class Meta:
        model = StateWording
        fields = ("matter", "state", "title", "next_step")

    def clean(self):
        cleaned = super().clean()
        state, matter = cleaned.get("state"), cleaned.get("matter")
        if state:
            clash = StateWording.objects.filter(state=state, matter=matter).exclude(pk=self.instance.pk)
            if clash.exists():
                # Said plainly here: the database constraint's own message names only the constraint.
                where = _("该事项") if matter else _("所有事项（默认）")
                self.add_error(
                    "state", _("%(where)s的这个状态已有说明，请直接修改已有的那一条。") % {"where": where}
                )
        return cleaned


@admin.register(StateWording)
class StateWordingAdmin(admin.ModelAdmin):
    form = StateWordingForm
    list_display = ("state", "scope", "title", "next_step")
    list_display_links = ("state", "title")
    list_filter = ("state",)
    search_fields = ("title", "next_step", "matter__name", "matter__implementation_code__exact")
    autocomplete_fields = ("matter",)
    fields = ("matter", "state", "title", "next_step", "built_in")
    readonly_fields = ("built_in",)
    ordering = ("matter__name", "state")

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("matter")
        if _edits_defaults(request.user):
            return qs
        return qs.filter(matter__in=matters_editable_by(request.user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "matter":
            kwargs["queryset"] = matters_editable_by(request.user)
            # Only catalogue editors may leave it blank (the default of every matter).
            kwargs["required"] = not _edits_defaults(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        help_text = _(
            "可使用占位符：{serial} 流水号、{matter} 事项、{department} 部门、"
            "{pre_review_due_date} 预审期限、{due_date} 承诺办结日期、{legal_due_date} 法定办结日期、"
            "{pre_review_days} 预审工作日数、{phone} 咨询电话。"
        )
        if "next_step" in form.base_fields:
            form.base_fields["next_step"].help_text = help_text
        return form

    @admin.display(description=_("适用范围"), ordering="matter__name")
    def scope(self, row):
        return row.matter.name if row.matter_id else _("所有事项（默认）")

    @admin.display(description=_("系统内置说明"))
    def built_in(self, row):
        if not row or not row.state:
            return _("保存后显示该状态的系统内置说明。")
        text = wording.default_text(row.state)
        return format_html("<strong>{}</strong><br>{}", text.title, text.next_step)


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "description", "title", "send_email", "sends_sms")
    search_fields = ("key", "description", "title")
    ordering = ("key",)
    fields = ("key", "description", "title", "body", "sms", "send_email", "placeholders")
    readonly_fields = ("placeholders",)

    def get_readonly_fields(self, request, obj=None):
        # The key is what the workflow names: fixed once the template exists.
        return ("key", *self.readonly_fields) if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # A deleted template comes back with the default text on the next notice.
        return super().has_delete_permission(request, obj) and request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        notifications.ensure_default_templates()  # every notice the workflow sends can be edited
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("短信"), boolean=True)
    def sends_sms(self, template):
        return bool(template.sms)

    @admin.display(description=_("可用占位符"))
    def placeholders(self, template):
        return _(
            "{matter} 事项、{serial} 流水号、{query_code} 查询码、{state} 状态、{action} 环节、"
            "{date} 日期、{accepted_date} 受理日期、{due_date} 承诺办结日期、"
            "{legal_due_date} 法定办结日期、{opinion} 办理意见、{reason} 原因、{items} 补正内容、"
            "{days} 天数、{decision} 审批决定、{pre_review_days} 预审工作日数、"
            "{pre_review_due_date} 预审期限"
        )
