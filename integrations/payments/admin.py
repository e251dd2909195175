"""Back office of payments: online fees of matters, orders (with their history), refunds and
reconciliation runs.

Orders and refunds are read-only here (they change through the bank's notifications, the
case's transitions and the jobs) and scoped like cases: department staff see their
departments' orders, supervisors and superusers all. Fees are edited by superusers and by
staff of the matter's department; reconciliation is for operators (superusers, or staff
given the model's view permission).
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications import selectors as case_selectors
from integrations.payments import selectors
from integrations.payments.models import (
    MatterFee,
    PaymentEvent,
    PaymentOrder,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
    yuan,
)


def _handles_cases(user) -> bool:
    return bool(case_selectors.sees_all_cases(user) or case_selectors.handling_department_ids(user))


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedMixin(ReadOnlyMixin):
    """Visible to whoever handles or supervises cases, rows scoped by selectors."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and _handles_cases(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


class PaymentEventInline(ReadOnlyMixin, admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "from_state", "to_state", "source", "actor", "note")
    readonly_fields = fields
    ordering = ("created_at", "pk")


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ScopedMixin, admin.ModelAdmin):
    list_display = (
        "order_number",
        "case_link",
        "item_name",
        "amount",
        "state",
        "created_at",
        "expires_at",
        "paid_at",
    )
    list_filter = ("state", ("created_at", admin.DateFieldListFilter), ("paid_at", admin.DateFieldListFilter))
    search_fields = ("=order_number", "=case__serial", "=bank_transaction_id")
    readonly_fields = (
        "order_number",
        "case",
        "item_name",
        "amount",
        "state",
        "bank_transaction_id",
        "created_at",
        "expires_at",
        "paid_at",
        "refunded_at",
    )
    fields = readonly_fields
    inlines = [PaymentEventInline]
    list_select_related = ("case",)
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return selectors.orders_visible_to(request.user)

    @admin.display(description=_("办件"), ordering="case__serial")
    def case_link(self, order):
        return order.case.serial

    @admin.display(description=_("金额（元）"), ordering="amount_fen")
    def amount(self, order):
        return yuan(order.amount_fen)


@admin.register(Refund)
class RefundAdmin(ScopedMixin, admin.ModelAdmin):
    list_display = ("refund_number", "order", "amount", "state", "reason", "requested_at", "refunded_at")
    list_filter = ("state",)
    search_fields = ("=refund_number", "=order__order_number", "=order__case__serial")
    readonly_fields = (
        "refund_number",
        "order",
        "amount",
        "reason",
        "state",
        "bank_refund_id",
        "requested_at",
        "refunded_at",
        "last_error",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.refunds_visible_to(request.user)

    @admin.display(description=_("金额（元）"), ordering="amount_fen")
    def amount(self, refund):
        return yuan(refund.amount_fen)


@admin.register(MatterFee)
class MatterFeeAdmin(admin.ModelAdmin):
    list_display = ("matter", "item_name", "amount", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("matter__name", "item_name")
    autocomplete_fields = ("matter",)
    fields = ("matter", "item_name", "amount_fen", "basis", "is_active")

    def _department_ids(self, request):
        return list(request.user.memberships.values_list("department_id", flat=True).distinct())

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("matter")
        if request.user.is_superuser:
            return qs
        return qs.filter(matter__department_id__in=self._department_ids(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "matter":
            field.queryset = field.queryset.filter(fee_required=True, online_payment=True)
            if not request.user.is_superuser:
                field.queryset = field.queryset.filter(department_id__in=self._department_ids(request))
        return field

    @admin.display(description=_("金额（元）"), ordering="amount_fen")
    def amount(self, fee):
        return yuan(fee.amount_fen)


class MismatchInline(ReadOnlyMixin, admin.TabularInline):
    model = ReconciliationMismatch
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "transaction_type",
        "order_number",
        "refund_number",
        "bank_transaction_id",
        "bank_amount_fen",
        "local_amount_fen",
        "bank_state",
        "local_state",
        "note",
    )
    readonly_fields = fields


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "statement_date",
        "state",
        "mismatch_count",
        "bank_count",
        "bank_net",
        "local_count",
        "local_net",
        "started_at",
        "error",
    )
    list_filter = ("state", ("statement_date", admin.DateFieldListFilter))
    date_hierarchy = "statement_date"
    readonly_fields = (
        "statement_date",
        "state",
        "started_at",
        "finished_at",
        "bank_count",
        "bank_amount_fen",
        "local_count",
        "local_amount_fen",
        "mismatch_count",
        "statement_sha256",
        "error",
        "statement_file",
    )
    fields = readonly_fields
    inlines = [MismatchInline]

    @admin.display(description=_("银行净额（元）"))
    def bank_net(self, run):
        return yuan(run.bank_amount_fen)

    @admin.display(description=_("本地净额（元）"))
    def local_net(self, run):
        return yuan(run.local_amount_fen)

    @admin.display(description=_("对账文件"))
    def statement_file(self, run):
        return format_html("<pre>{}</pre>", run.statement)


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "run",
        "kind",
        "transaction_type",
        "order_number",
        "refund_number",
        "bank_amount_fen",
        "local_amount_fen",
        "bank_state",
        "local_state",
        "note",
    )
    list_filter = ("kind", "transaction_type", ("run__statement_date", admin.DateFieldListFilter))
    search_fields = ("=order_number", "=refund_number", "=bank_transaction_id")
    list_select_related = ("run",)
