"""Client of the carrier (统一物流): create a waybill, read its tracking events.

Plain data in and out (no domain models). The contract, played by
``integrations.sandbox.logistics``:

* ``POST waybills/`` with ``Idempotency-Key`` and ``{"order_no", "service", "sender",
  "recipient", "items", "callback_url"}`` (sender/recipient: ``name``, ``phone``,
  ``address``) → ``201 {"waybill_no", "order_no", "status", "created_at"}``; the same key
  again → ``200`` with the same waybill (the carrier keeps one copy per key).
* ``GET waybills/<waybill_no>/`` → ``{"waybill_no", "status", "events": [{"event_id",
  "status", "description", "location", "occurred_at"}]}``; an unknown number → ``404``.
* Errors in the API error format ``{"error": {"code", "message"}}``.

Outbox senders use ``retries=0`` (the outbox retries); polling reads (GET) may retry once.
"""

from urllib.parse import quote

from django.conf import settings

from integrations.errors import PeerAnswerUnreadable
from integrations.http import PeerClient, SigningKey

PEER = "logistics"


def base_url() -> str:
    if settings.LOGISTICS_URL:
        return settings.LOGISTICS_URL
    return f"{settings.SANDBOX_BASE_URL.rstrip('/')}/logistics/" if settings.SANDBOX_ENABLED else ""


def _signing() -> SigningKey | None:
    if settings.LOGISTICS_KEY_ID and settings.LOGISTICS_SECRET:
        return SigningKey(settings.LOGISTICS_KEY_ID, settings.LOGISTICS_SECRET)
    return None


def client(*, retries: int = 0) -> PeerClient:
    return PeerClient(peer=PEER, base_url=base_url(), retries=retries, signing=_signing())


def create_waybill(request: dict, *, idempotency_key: str) -> dict:
    """Order a pick-up; the carrier's answer (``waybill_no`` at least)."""
    answer = client().post("waybills/", json=request, idempotency_key=idempotency_key).json()
    if not isinstance(answer, dict) or not str(answer.get("waybill_no") or "").strip():
        raise PeerAnswerUnreadable("the carrier answered without a waybill number")
    return answer


def waybill(waybill_no: str) -> dict:
    """The waybill's status and every tracking event the carrier has."""
    answer = client(retries=1).get(f"waybills/{quote(waybill_no, safe='')}/").json()
    if not isinstance(answer, dict) or not isinstance(answer.get("events"), list):
        raise PeerAnswerUnreadable("the carrier answered without a list of events")
    return answer
