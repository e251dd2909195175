"""Back office of department systems: connect a department's system (service account + key in
one step, the secret shown once), rotate or add keys, suspend; the cases they registered.

For operators (superusers, or staff given these permissions explicitly; no role group has
them). A non-superuser sees only the systems of the departments they belong to.
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from integrations.departments import services
from integrations.departments.models import DepartmentCase, DepartmentSystem
from matters.models import Department


def _department_ids(user):
    return list(user.memberships.values_list("department_id", flat=True).distinct())


class DepartmentScopedMixin:
    department_path = "department"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.department_path}__in": _department_ids(request.user)})


@admin.register(DepartmentSystem)
class DepartmentSystemAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    list_display = ("name", "department", "account", "is_active", "key_list", "created_at")
    list_filter = ("is_active", "department")
    search_fields = ("name", "department__name", "account__username")
    list_select_related = ("department", "account")
    actions = ("rotate_keys", "add_key", "suspend", "resume")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("department", "name", "note")
        return ("department", "name", "account", "is_active", "note", "key_list", "created_at", "created_by")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Activity and keys change through the actions, so account and keys follow along.
        return ("department", "account", "is_active", "key_list", "created_at", "created_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not request.user.is_superuser:
            kwargs["queryset"] = Department.objects.filter(pk__in=_department_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("密钥"))
    def key_list(self, system):
        keys = services.keys_of(system)
        if not keys:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "<code>{}</code> {}",
            ((key.key_id, _("启用") if key.is_active else _("停用")) for key in keys),
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        system, credential, secret = services.create_system(
            department=obj.department, name=obj.name, note=obj.note, created_by=request.user
        )
        obj.pk, obj.account, obj.created_at = system.pk, system.account, system.created_at
        obj._state.adding = False
        request._new_department_keys = [(credential, secret)]

    def response_add(self, request, obj, post_url_continue=None):
        pairs = getattr(request, "_new_department_keys", None)
        if pairs is None:  # pragma: no cover - every add goes through save_model
            return super().response_add(request, obj, post_url_continue)
        return self._show_secrets(request, pairs)

    def _show_secrets(self, request, pairs):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("部门业务系统密钥（仅显示这一次）"),
            "pairs": pairs,
            "changelist_url": reverse("admin:department_systems_departmentsystem_changelist"),
        }
        response = TemplateResponse(request, "admin/integrations/peer_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("重新生成所选系统的密钥值（旧值立即失效）"), permissions=["change"])
    def rotate_keys(self, request, queryset):
        pairs = [pair for system in queryset for pair in services.rotate_keys(system)]
        if not pairs:
            self.message_user(request, _("所选系统没有启用中的密钥。"), messages.WARNING)
            return None
        return self._show_secrets(request, pairs)

    @admin.action(description=_("为所选系统增加一个密钥"), permissions=["change"])
    def add_key(self, request, queryset):
        return self._show_secrets(
            request, [services.add_key(system) for system in queryset.filter(is_active=True)]
        )

    @admin.action(description=_("停用所选系统（服务账号和密钥一并停用）"), permissions=["change"])
    def suspend(self, request, queryset):
        for system in queryset:
            services.set_active(system, False)
        self.message_user(request, _("已停用。"))

    @admin.action(description=_("恢复所选系统"), permissions=["change"])
    def resume(self, request, queryset):
        for system in queryset:
            services.set_active(system, True)
        self.message_user(request, _("已恢复。"))


@admin.register(DepartmentCase)
class DepartmentCaseAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    department_path = "system__department"
    list_display = ("external_id", "case_link", "system", "applicant_matched", "created_at")
    list_filter = ("applicant_matched", "system")
    search_fields = ("=external_id", "=case__serial")
    list_select_related = ("system", "system__department", "case")
    fields = ("system", "external_id", "case_link", "applicant_matched", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("办件"))
    def case_link(self, link):
        url = reverse("admin:applications_case_change", args=[link.case_id])
        return format_html('<a href="{}">{}</a>', url, link.case.serial)
