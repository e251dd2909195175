"""The outbox destination ``payments``: refunds and order closings, sent to the bank.

Both carry the message's key as ``Idempotency-Key`` (the bank keeps one refund per key),
so a message delivered twice refunds once.
"""

import datetime

from django.utils.translation import gettext_lazy as _

from integrations.destinations import Envelope, register_destination
from integrations.errors import PeerRejected
from integrations.payments import client as bank
from integrations.payments import services


def send(envelope: Envelope) -> None:
    payload = envelope.payload
    if envelope.topic == "payments.refund":
        answer = bank.client().refund(
            order_number=payload["order_number"],
            refund_number=payload["refund_number"],
            amount_fen=payload["amount_fen"],
            reason=payload.get("reason", ""),
            idempotency_key=envelope.key,
        )
        if answer.get("status") != bank.SUCCESS:
            raise PeerRejected(f"refund {payload['refund_number']}: bank status {answer.get('status')!r}")
        refunded_at = answer.get("refunded_at")
        services.refund_done(
            refund_number=payload["refund_number"],
            bank_refund_id=str(answer.get("refund_id") or ""),
            refunded_at=datetime.datetime.fromisoformat(refunded_at) if refunded_at else None,
        )
    elif envelope.topic == "payments.close_order":
        try:
            bank.client().close_order(payload["order_number"], idempotency_key=envelope.key)
        except PeerRejected as exc:
            # Unknown to the bank or already paid there: nothing to close (a payment, if any,
            # arrives by its notification and is refunded).
            if exc.code not in ("order_not_found", "order_paid"):
                raise
    else:
        raise PeerRejected(f"payments: unknown topic {envelope.topic!r}")


register_destination("payments", send, label=_("统一网上缴费"))
