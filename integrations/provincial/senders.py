"""The outbox destination "provincial": process records and reconciled serial numbers to the
provincial exchange (docs/provincial-exchange.md). Imported by IntegrationsConfig.ready."""

from django.utils.translation import gettext_lazy as _

from integrations.destinations import Envelope, register_destination
from integrations.errors import PeerRejected
from integrations.provincial import mapping
from integrations.provincial.client import ExchangeClient, exchange_url

DESTINATION = "provincial"  # applications.services.PROVINCIAL_DESTINATION
LABEL = _("省网上办事大厅")


def send(envelope: Envelope) -> None:
    """One outbox message → one POST, with the envelope's key as the idempotency key."""
    client = ExchangeClient()
    if envelope.topic == "case.serial_reconciliation":
        client.post_serial(mapping.serial_body(envelope.payload), idempotency_key=envelope.key)
        return
    if envelope.topic != "case.process_record":
        raise PeerRejected(f"the provincial exchange takes no {envelope.topic!r} messages")
    if not envelope.payload.get("serial"):
        raise PeerRejected("a process record without a serial number cannot be reported")
    client.post_records(mapping.exchange_body(envelope.payload, envelope.key), idempotency_key=envelope.key)


register_destination(DESTINATION, send, label=LABEL, enabled=lambda: bool(exchange_url()))
