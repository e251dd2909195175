"""Outbox destination ``logistics``: ask the carrier for a waybill, keep the number it answers.

The payload names the shipment only (no personal data in the outbox); the request is built
from the shipment row at send time. The carrier keeps one waybill per ``Idempotency-Key``,
so a retry after a lost answer gets the same number back, and ``record_waybill`` keeps it.
"""

from integrations.destinations import Envelope, register_destination
from integrations.logistics import client, services


def send(envelope: Envelope) -> None:
    shipment_id = int(envelope.payload["shipment"])
    request = services.waybill_request(shipment_id)
    if request is None:  # cancelled before the carrier heard of it: nothing to send
        return
    answer = client.create_waybill(request, idempotency_key=envelope.key)
    services.record_waybill(shipment_id=shipment_id, waybill_no=str(answer["waybill_no"]))


def enabled() -> bool:
    return bool(client.base_url())


register_destination("logistics", send, label="统一物流", enabled=enabled)
