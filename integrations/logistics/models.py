"""Tables of the logistics peer (统一物流) and of its sandbox (named Sandbox…).

* ``Shipment`` (运单): one parcel of a case, either the results posted to the applicant or the
  applicant's paper materials posted to the department, with the carrier's waybill number
  once the carrier has it, and the state the tracking events lead to.
* ``TrackingEvent`` (物流轨迹): one event of the carrier, append-only, unique per carrier
  event id (a callback replayed or an event seen again by polling adds nothing).
* ``SandboxWaybill`` / ``SandboxWaybillEvent``: what the carrier's sandbox keeps (one waybill
  per idempotency key, the events it has produced and whether it has called us back).

Phones are stored as given (like the submission's contact mobile) and shown masked
everywhere (``portal.validators.mask_mobile``); they never go into outbox payloads or logs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.append_only import AppendOnlyError, AppendOnlyModel
from portal.validators import mask_mobile, normalize_mobile


class Direction(models.TextChoices):
    RESULTS = "results", _("办理结果寄送申请人")
    MATERIALS = "materials", _("纸质材料寄送部门")


class ShipmentState(models.TextChoices):
    REQUESTED = "requested", _("待寄出")  # chosen; waiting for the result or the carrier's number
    CREATED = "created", _("已下单")  # the carrier issued a waybill number
    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    DELIVERED = "delivered", _("已签收")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已取消")


# States in which the carrier still has something to tell us (polled).
TRACKED_STATES = (
    ShipmentState.CREATED,
    ShipmentState.PICKED_UP,
    ShipmentState.IN_TRANSIT,
    ShipmentState.OUT_FOR_DELIVERY,
)
FINAL_STATES = frozenset({ShipmentState.DELIVERED, ShipmentState.RETURNED, ShipmentState.CANCELLED})


class Shipment(models.Model):
    """运单: one parcel of a case, one per case and direction unless cancelled."""

    case = models.ForeignKey(
        "applications.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="shipments"
    )
    direction = models.CharField(_("寄送方向"), max_length=12, choices=Direction.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=ShipmentState.choices, default=ShipmentState.REQUESTED
    )
    sender_name = models.CharField(_("寄件人"), max_length=100)
    sender_phone = models.CharField(_("寄件人电话"), max_length=20)
    sender_address = models.CharField(_("寄件地址"), max_length=200)
    recipient_name = models.CharField(_("收件人"), max_length=100)
    recipient_phone = models.CharField(_("收件人电话"), max_length=20)
    recipient_address = models.CharField(_("收件地址"), max_length=200)
    waybill_no = models.CharField(_("运单号"), max_length=32, unique=True, null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请寄送账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dispatched_at = models.DateTimeField(_("提交承运时间"), null=True, blank=True)
    waybill_at = models.DateTimeField(_("取得运单号时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("最近查询时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("快递运单")
        verbose_name_plural = _("快递运单")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "direction"],
                condition=~Q(state="cancelled"),
                name="logistics_one_live_shipment_per_direction",
            )
        ]
        indexes = [models.Index(fields=["state", "last_polled_at"], name="logistics_tracked")]

    def __str__(self) -> str:
        return self.waybill_no or str(_("运单 %(id)s（待取号）") % {"id": self.pk})

    @property
    def idempotency_key(self) -> str:
        return f"logistics-shipment-{self.pk}"

    @property
    def masked_recipient_phone(self) -> str:
        return mask_mobile(self.recipient_phone) if self.recipient_phone else ""

    @property
    def masked_sender_phone(self) -> str:
        return _mask_any(self.sender_phone)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


def _mask_any(phone: str) -> str:
    """A mobile as 138****8000; a department's landline (public anyway) as given."""
    if not phone:
        return ""
    number = normalize_mobile(phone)
    return mask_mobile(number) if number.isdigit() and len(number) == 11 else phone


class TrackingEventIsAppendOnly(AppendOnlyError):
    """A tracking event was about to be changed or deleted."""


class TrackingEvent(AppendOnlyModel):
    """物流轨迹: one event of the carrier, appended once per carrier event id, never changed."""

    class Source(models.TextChoices):
        CALLBACK = "callback", _("承运商推送")
        POLL = "poll", _("主动查询")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(_("承运商事件编号"), max_length=64, unique=True)
    status = models.CharField(_("轨迹状态"), max_length=20, choices=ShipmentState.choices)
    carrier_status = models.CharField(_("承运商状态码"), max_length=32)
    description = models.CharField(_("描述"), max_length=300, blank=True)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)

    append_only_error = TrackingEventIsAppendOnly

    class Meta:
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")
        ordering = ["shipment", "occurred_at", "id"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.shipment} {self.get_status_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


# --- The carrier's sandbox ------------------------------------------------------------


class SandboxWaybill(models.Model):
    """A waybill as the carrier's sandbox keeps it: one per idempotency key."""

    idempotency_key = models.CharField(max_length=128, unique=True)
    waybill_no = models.CharField(max_length=32, unique=True)
    order_no = models.CharField(max_length=64)
    request = models.JSONField(default=dict)
    callback_url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, default="created")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("物流沙箱运单")
        verbose_name_plural = _("物流沙箱运单")

    def __str__(self) -> str:
        return self.waybill_no


class SandboxWaybillEvent(models.Model):
    """An event the sandbox produced for a waybill, and whether its callback reached us."""

    waybill = models.ForeignKey(SandboxWaybill, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64, unique=True)
    sequence = models.PositiveIntegerField()
    status = models.CharField(max_length=20)
    description = models.CharField(max_length=300)
    location = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("物流沙箱轨迹")
        verbose_name_plural = _("物流沙箱轨迹")
        ordering = ["waybill", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["waybill", "sequence"], name="logistics_sandbox_event_sequence")
        ]

    def __str__(self) -> str:
        return self.event_id
