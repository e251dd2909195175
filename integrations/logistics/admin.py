"""Back office of the logistics peer: parcels and their tracking events, read-only, scoped to
the staff member's departments (supervisors and superusers: all). Nothing is edited by hand:
parcels come from applicants, events from the carrier."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.logistics import selectors
from integrations.logistics.models import Shipment, TrackingEvent


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "status", "carrier_status", "location", "description", "source", "event_id")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "case", "direction", "state", "recipient_name", "masked_phone", "updated_at")
    list_filter = ("state", "direction")
    search_fields = ("waybill_no", "case__serial")
    list_select_related = ("case",)
    inlines = [TrackingEventInline]
    fields = (
        "case",
        "direction",
        "state",
        "waybill_no",
        "recipient_name",
        "masked_phone",
        "recipient_address",
        "sender_name",
        "sender_address",
        "requested_by",
        "created_at",
        "dispatched_at",
        "waybill_at",
        "delivered_at",
        "last_polled_at",
        "cancelled_at",
        "cancel_reason",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.visible_to(request.user).values("pk"))

    @admin.display(description=_("收件人电话"))
    def masked_phone(self, shipment):
        return shipment.masked_recipient_phone

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
