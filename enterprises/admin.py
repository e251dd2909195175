from django.contrib import admin

from enterprises.models import Enterprise, EnterpriseMembership
from portal.admin_support import LargeTableAdminMixin, PaginatedInlineMixin


class EnterpriseMembershipInline(PaginatedInlineMixin, admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    fields = ["user", "role", "created_at"]
    ordering = ["role", "pk"]
    readonly_fields = ["created_at"]
    # Searches portal's user admin (username, real name, e-mail, mobile).
    autocomplete_fields = ["user"]


@admin.register(Enterprise)
class EnterpriseAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["name", "uscc", "legal_representative", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "=uscc", "legal_representative"]
    readonly_fields = ["created_at"]
    inlines = [EnterpriseMembershipInline]


@admin.register(EnterpriseMembership)
class EnterpriseMembershipAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["enterprise", "user", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["enterprise", "user"]
    search_fields = ["enterprise__name", "=enterprise__uscc", "user__username", "user__real_name"]
    autocomplete_fields = ["enterprise", "user"]
