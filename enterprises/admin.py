from django.contrib import admin
from django.contrib.auth import get_user_model

from enterprises.models import Enterprise, EnterpriseMembership


def _user_admin_searchable() -> bool:
    """Autocomplete needs a registered user admin with search fields, else a raw id box.

    The user admin lives in portal/admin.py, which Django imports before this module
    (portal comes first in INSTALLED_APPS).
    """
    user_admin = admin.site._registry.get(get_user_model())
    return bool(user_admin is not None and user_admin.search_fields)


USER_AUTOCOMPLETE = _user_admin_searchable()


class EnterpriseMembershipInline(admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    if USER_AUTOCOMPLETE:
        autocomplete_fields = ["user"]
    else:
        raw_id_fields = ["user"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "legal_representative", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "=uscc", "legal_representative"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
    inlines = [EnterpriseMembershipInline]


@admin.register(EnterpriseMembership)
class EnterpriseMembershipAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "user", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["enterprise", "user"]
    search_fields = ["enterprise__name", "=enterprise__uscc", "user__username", "user__real_name"]
    show_full_result_count = False
    if USER_AUTOCOMPLETE:
        autocomplete_fields = ["enterprise", "user"]
    else:
        autocomplete_fields = ["enterprise"]
        raw_id_fields = ["user"]
