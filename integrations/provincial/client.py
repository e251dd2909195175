"""Typed client of the provincial exchange (省厅前置系统), on ``integrations.http.PeerClient``.

Contract (played by ``integrations.sandbox.provincial``; docs/provincial-exchange.md)::

    POST records/                Idempotency-Key: <outbox key>
         {"SBLSH", "XH", "BLHJDM", "records": [{"table": "EX_GDBS_SL", "fields": {..., "VERSION": 1}}]}
         200 {"SBLSH", "stored": [{"table", "VERSION"}]}   (a repeat of the key: the same answer)
         400 missing_idempotency_key | bad_request | unknown_table | missing_field | invalid_code
             | bad_version | invalid_value;  409 stale_version | idempotency_key_reused
    POST serials/                Idempotency-Key: <outbox key>
         {"SBLSH", "SXBM", "SBSJ", "TJFS"}                 200 {"SBLSH"}
    GET  catalogue/changes/?since=<id>&limit=<n>
         200 {"changes": [{"id", "operation": "upsert"|"withdraw", "SXBM", "data": {...}}],
              "next": <id>, "more": bool}
    GET  cases/?since=<id>&limit=<n>
         200 {"cases": [{"id", "data": {SBLSH, SXBM, SQRLX, SQRMC, ...}}], "next": <id>, "more": bool}

Errors as ``PeerUnavailable`` (retry later) and ``PeerRejected`` (dead-letter), from PeerClient.
The outbox sender uses ``retries=0``; the pulls (GET, harmless to repeat) one quick retry.
"""

from dataclasses import dataclass, field

from django.conf import settings

from integrations.errors import PeerAnswerUnreadable
from integrations.http import PeerClient, SigningKey

PEER = "provincial"


def exchange_url() -> str:
    return getattr(settings, "PROVINCIAL_EXCHANGE_URL", "") or ""


@dataclass(frozen=True)
class Stored:
    serial: str
    stored: list = field(default_factory=list)
    replay: bool = False


@dataclass(frozen=True)
class FeedPage:
    items: list
    next: int
    more: bool


class ExchangeClient:
    def __init__(self, *, base_url: str | None = None, read_timeout: float | None = None, retries: int = 0):
        key_id = getattr(settings, "PROVINCIAL_EXCHANGE_KEY_ID", "")
        secret = getattr(settings, "PROVINCIAL_EXCHANGE_SECRET", "")
        self.http = PeerClient(
            peer=PEER,
            base_url=base_url or exchange_url(),
            connect_timeout=getattr(settings, "PROVINCIAL_EXCHANGE_CONNECT_TIMEOUT", None),
            read_timeout=read_timeout
            if read_timeout is not None
            else getattr(settings, "PROVINCIAL_EXCHANGE_READ_TIMEOUT", None),
            retries=retries,
            signing=SigningKey(key_id, secret) if key_id and secret else None,
        )

    def _object(self, response) -> dict:
        answer = response.json()
        if not isinstance(answer, dict):
            raise PeerAnswerUnreadable(
                "the exchange answered JSON that is not an object", status=response.status
            )
        return answer

    # --- push ---

    def post_records(self, body: dict, *, idempotency_key: str) -> Stored:
        response = self.http.post("records/", json=body, idempotency_key=idempotency_key)
        answer = self._object(response)
        return Stored(
            serial=str(answer.get("SBLSH", "")),
            stored=list(answer.get("stored") or []),
            replay=response.headers.get("idempotent-replay") == "true",
        )

    def post_serial(self, body: dict, *, idempotency_key: str) -> Stored:
        response = self.http.post("serials/", json=body, idempotency_key=idempotency_key)
        answer = self._object(response)
        return Stored(
            serial=str(answer.get("SBLSH", "")), replay=response.headers.get("idempotent-replay") == "true"
        )

    # --- pull ---

    def _page(self, path: str, items: str, since: int, limit: int) -> FeedPage:
        answer = self._object(self.http.get(path, params={"since": since, "limit": limit}))
        rows = answer.get(items)
        if not isinstance(rows, list):
            raise PeerAnswerUnreadable(f"the exchange's {path} answer has no {items} list")
        try:
            return FeedPage(items=rows, next=int(answer.get("next", since)), more=bool(answer.get("more")))
        except (TypeError, ValueError) as exc:
            raise PeerAnswerUnreadable(f"the exchange's {path} answer has a bad cursor") from exc

    def catalogue_changes(self, *, since: int, limit: int = 100) -> FeedPage:
        return self._page("catalogue/changes/", "changes", since, limit)

    def cases(self, *, since: int, limit: int = 100) -> FeedPage:
        return self._page("cases/", "cases", since, limit)
