"""Back office of the e-licence peer: which matters yield which licence (editable), the
licences the hall issued and the e-licences in applicants' stores (read-only, holders' codes
masked), and the sandbox's library."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from integrations.elicences.models import IssuedLicence, LicenceDocument, ResultLicenceType, SandboxLicence
from portal.validators import mask_id_number


def _masked(code: str, code_type: str) -> str:
    return mask_id_number(code) if code_type == "id_card" and code else code


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResultLicenceType)
class ResultLicenceTypeAdmin(SimpleHistoryAdmin):
    list_display = ("matter", "type_name", "type_code", "validity_years", "trust_level", "enabled")
    list_filter = ("enabled", "trust_level")
    search_fields = ("matter__name", "type_name", "type_code")
    autocomplete_fields = ("matter",)


@admin.register(IssuedLicence)
class IssuedLicenceAdmin(ReadOnlyAdmin):
    list_display = (
        "licence_number",
        "type_name",
        "holder_name",
        "issuer_name",
        "issue_date",
        "valid_until",
        "trust_level",
        "status",
    )
    list_filter = ("status", "trust_level", "type_name")
    search_fields = ("=licence_number", "=identifier", "=case__serial")
    date_hierarchy = "issue_date"
    exclude = ("holder_code",)
    readonly_fields = ("masked_holder_code",)

    @admin.display(description=_("持证主体代码"))
    def masked_holder_code(self, obj):
        return _masked(obj.holder_code, obj.holder_code_type)


@admin.register(LicenceDocument)
class LicenceDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "licence_number",
        "type_name",
        "origin",
        "trust_level",
        "status",
        "valid_until",
        "verified_at",
    )
    list_filter = ("origin", "trust_level", "status")
    search_fields = ("=licence_number", "=identifier")


@admin.register(SandboxLicence)
class SandboxLicenceAdmin(admin.ModelAdmin):
    list_display = (
        "licence_number",
        "type_name",
        "holder_name",
        "masked_holder_code",
        "status",
        "trust_level",
        "valid_until",
    )
    list_filter = ("status", "trust_level", "type_name")
    search_fields = ("=licence_number", "=identifier", "holder_name")
    exclude = ("file_content",)

    @admin.display(description=_("持证主体代码"))
    def masked_holder_code(self, obj):
        return _masked(obj.holder_code, obj.holder_code_type)
