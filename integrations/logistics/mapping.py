"""Our shipments in the carrier's terms, and the carrier's events in ours."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.logistics.models import Direction, Shipment, ShipmentState

# The carrier's status codes → our shipment states. Unknown codes are kept as events and
# change nothing.
CARRIER_STATUSES = {
    "picked_up": ShipmentState.PICKED_UP,
    "in_transit": ShipmentState.IN_TRANSIT,
    "out_for_delivery": ShipmentState.OUT_FOR_DELIVERY,
    "delivered": ShipmentState.DELIVERED,
    "returned": ShipmentState.RETURNED,
}

ITEMS = {
    Direction.RESULTS: "政务服务办理结果（证照/批文）",
    Direction.MATERIALS: "政务服务申请材料（纸质原件）",
}


def waybill_request(shipment: Shipment, *, callback_url: str) -> dict:
    """The body of ``POST waybills/`` for a shipment."""
    return {
        "order_no": f"ZW{shipment.pk:012d}",
        "service": "standard",
        "items": ITEMS[shipment.direction],
        "reference": shipment.case.serial or "",
        "sender": {
            "name": shipment.sender_name,
            "phone": shipment.sender_phone,
            "address": shipment.sender_address,
        },
        "recipient": {
            "name": shipment.recipient_name,
            "phone": shipment.recipient_phone,
            "address": shipment.recipient_address,
        },
        "callback_url": callback_url,
    }


@dataclass(frozen=True)
class Event:
    event_id: str
    waybill_no: str
    carrier_status: str
    description: str
    location: str
    occurred_at: datetime.datetime

    @property
    def state(self) -> str | None:
        return CARRIER_STATUSES.get(self.carrier_status)


class BadEvent(ValueError):
    """An event the carrier sent that we cannot read (answered 400)."""


def event(data: dict, *, waybill_no: str = "") -> Event:
    """Read one event of a callback body or of a ``GET waybills/<no>/`` answer."""
    if not isinstance(data, dict):
        raise BadEvent("event must be an object")
    event_id = str(data.get("event_id") or "").strip()
    number = str(data.get("waybill_no") or waybill_no or "").strip()
    status = str(data.get("status") or "").strip()
    occurred = parse_datetime(str(data.get("occurred_at") or ""))
    missing = [
        name
        for name, value in (
            ("event_id", event_id),
            ("waybill_no", number),
            ("status", status),
            ("occurred_at", occurred),
        )
        if not value
    ]
    if missing:
        raise BadEvent(", ".join(missing))
    if len(event_id) > 64 or len(number) > 32 or len(status) > 32:
        raise BadEvent("field too long")
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    return Event(
        event_id=event_id,
        waybill_no=number,
        carrier_status=status,
        description=str(data.get("description") or "")[:300],
        location=str(data.get("location") or "")[:100],
        occurred_at=occurred,
    )
