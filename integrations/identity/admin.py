"""Back office of the identity peer: a read-only list of real-name checks, for superusers and
supervisors only (names and ID numbers masked); the sandbox's registers for superusers."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.identity import selectors
from integrations.identity.models import RealNameCheck, SandboxEnterprise, SandboxPerson
from portal.admin_support import LargeTableAdminMixin


def _may_see_checks(user) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.is_supervisor))


@admin.register(RealNameCheck)
class RealNameCheckAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("checked_at", "user", "masked_name", "id_number_masked", "result", "source")
    list_filter = ("result", "source")
    search_fields = ("=user__username",)
    ordering = ("-checked_at",)
    date_hierarchy = "checked_at"
    fields = ("user", "masked_name", "id_number_masked", "result", "source", "reference", "checked_at")
    readonly_fields = fields
    list_select_related = ("user",)

    @admin.display(description=_("姓名"))
    def masked_name(self, check):
        return check.masked_name

    def get_queryset(self, request):
        return selectors.visible_checks(request.user)

    def has_module_permission(self, request):
        return _may_see_checks(request.user)

    def has_view_permission(self, request, obj=None):
        return _may_see_checks(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _SandboxRegisterAdmin(admin.ModelAdmin):
    """Superusers only; rows come from seed_demo and the sandbox helpers (numbers never in clear)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(SandboxPerson)
class SandboxPersonAdmin(_SandboxRegisterAdmin):
    list_display = ("masked_name", "id_number_masked", "alive")
    list_filter = ("alive",)

    @admin.display(description=_("姓名"))
    def masked_name(self, person):
        from integrations.identity.hashing import mask_name

        return mask_name(person.name)


@admin.register(SandboxEnterprise)
class SandboxEnterpriseAdmin(_SandboxRegisterAdmin):
    list_display = ("uscc", "name", "legal_representative", "status")
    list_filter = ("status",)
    search_fields = ("=uscc", "name")
