"""Back office of accounts and site content: users (superusers only) and notices."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.admin_support import LargeTableAdminMixin, autocomplete_source
from portal.models import Notice, User


@admin.register(User)
class UserAdmin(LargeTableAdminMixin, DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("real_name", "mobile", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "real_name",
                    "mobile",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("username", "real_name", "email", "masked_mobile", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "real_name", "email", "mobile")
    ordering = ("username",)

    @admin.display(description=_("手机号码"))
    def masked_mobile(self, user):
        return user.masked_mobile

    def get_search_results(self, request, queryset, search_term):
        # A department's members are back-office accounts, never citizens.
        if autocomplete_source(request) == ("matters", "departmentmembership", "user"):
            queryset = queryset.filter(is_staff=True)
        return super().get_search_results(request, queryset, search_term)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "pinned", "published_at")
    list_filter = ("pinned",)
    search_fields = ("title",)
    ordering = ("-pinned", "-published_at")
    show_full_result_count = False
