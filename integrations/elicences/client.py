"""Typed client of the e-licence platform (电子证照库), played by ``integrations.sandbox.elicences``.

Contract (JSON, UTF-8; errors as ``{"error": {"code", "message"}}``)::

    POST licences/verify/   {"number", "holder_name", "holder_code", "purpose"}
         200 {"result": "valid|expired|revoked|not_found", "licence": {summary} | null}
    POST licences/search/   {"holder_name", "holder_code", "type_code", "purpose"}
         200 {"licences": [{summary}, ...]}            newest first
    POST licences/fetch/    {"identifier", "holder_name", "holder_code", "purpose"}
         200 {"licence": {summary + "data"}}   404 not_found
    GET  licences/<identifier>/file/                   200 application/pdf   404 not_found
    POST licences/          {metadata + "file_base64"}, header Idempotency-Key
         201 {"identifier", "created": true}   200 the same answer again for a repeated key
         409 identifier_conflict   400 bad_request / invalid_identifier

Look-ups state their purpose (用证事由); holders' codes travel in bodies, never in URLs.
Built on ``integrations.http.PeerClient`` (peer ``elicences``): look-ups are read-only, so
they are sent as idempotent with one quick retry; the push carries the outbox message's
idempotency key and no retry of its own (the outbox retries). Failures are the backbone's
``PeerUnavailable`` (try later) and ``PeerRejected`` (refused).
"""

import base64
import datetime
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings

from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable
from integrations.http import PeerClient, SigningKey

PEER = "elicences"


class Result:
    """Outcomes of a verification (证照验真)."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"
    ALL = (VALID, EXPIRED, REVOKED, NOT_FOUND)


def _date(value) -> datetime.date | None:
    if not value:
        return None
    return datetime.date.fromisoformat(str(value))


@dataclass(frozen=True)
class LicenceSummary:
    identifier: str
    licence_number: str
    type_code: str
    type_name: str
    holder_name: str
    issuer_name: str
    issue_date: datetime.date | None
    valid_until: datetime.date | None
    status: str
    trust_level: str
    data: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: dict) -> "LicenceSummary":
        try:
            return cls(
                identifier=str(body["identifier"]),
                licence_number=str(body["licence_number"]),
                type_code=str(body["type_code"]),
                type_name=str(body.get("type_name", "")),
                holder_name=str(body.get("holder_name", "")),
                issuer_name=str(body.get("issuer_name", "")),
                issue_date=_date(body.get("issue_date")),
                valid_until=_date(body.get("valid_until")),
                status=str(body.get("status", "")),
                trust_level=str(body.get("trust_level", "")),
                data=dict(body.get("data") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PeerAnswerUnreadable(f"{PEER}: a licence without the expected fields") from exc

    def effective_status(self, today: datetime.date) -> str:
        """The status as of ``today`` (a valid licence past its end date is expired)."""
        if self.status == Result.VALID and self.valid_until and self.valid_until < today:
            return Result.EXPIRED
        return self.status


@dataclass(frozen=True)
class Verification:
    result: str
    licence: LicenceSummary | None = None

    @property
    def valid(self) -> bool:
        return self.result == Result.VALID


class LicenceClient:
    def __init__(
        self,
        *,
        base_url: str,
        timeout: float = 5.0,
        key_id: str = "",
        secret: str = "",
        purpose: str = "",
    ):
        if not base_url:
            raise PeerUnavailable(f"{PEER}: ELICENCES_URL is not configured")
        signing = SigningKey(key_id, secret) if key_id and secret else None
        self.purpose = purpose
        self.http = PeerClient(
            peer=PEER,
            base_url=base_url,
            connect_timeout=min(3.0, timeout),
            read_timeout=timeout,
            signing=signing,
        )
        self.lookups = PeerClient(
            peer=PEER,
            base_url=base_url,
            connect_timeout=min(3.0, timeout),
            read_timeout=timeout,
            signing=signing,
            retries=1,
        )

    @classmethod
    def from_settings(cls) -> "LicenceClient":
        return cls(
            base_url=getattr(settings, "ELICENCES_URL", ""),
            timeout=float(getattr(settings, "ELICENCES_TIMEOUT", 5.0)),
            key_id=getattr(settings, "ELICENCES_KEY_ID", ""),
            secret=getattr(settings, "ELICENCES_SECRET", ""),
            purpose=getattr(settings, "ELICENCES_PURPOSE", ""),
        )

    def _lookup(self, path: str, body: dict) -> dict:
        answer = self.lookups.post(path, json={**body, "purpose": self.purpose}, idempotent=True).json()
        if not isinstance(answer, dict):
            raise PeerAnswerUnreadable(f"{PEER}: the answer is not a JSON object")
        return answer

    # --- look-ups --------------------------------------------------------------------

    def verify(self, *, number: str, holder_name: str, holder_code: str) -> Verification:
        """证照验真: the licence ``number`` (证照编号 or identifier) of this holder."""
        answer = self._lookup(
            "licences/verify/", {"number": number, "holder_name": holder_name, "holder_code": holder_code}
        )
        result = answer.get("result")
        if result not in Result.ALL:
            raise PeerAnswerUnreadable(f"{PEER}: unknown verification result")
        licence = answer.get("licence")
        return Verification(result, LicenceSummary.from_json(licence) if isinstance(licence, dict) else None)

    def search(self, *, holder_name: str, holder_code: str, type_code: str) -> list[LicenceSummary]:
        """The holder's licences of one type, newest first (whatever their status)."""
        answer = self._lookup(
            "licences/search/",
            {"holder_name": holder_name, "holder_code": holder_code, "type_code": type_code},
        )
        rows = answer.get("licences")
        if not isinstance(rows, list):
            raise PeerAnswerUnreadable(f"{PEER}: search answer without a list")
        return [LicenceSummary.from_json(row) for row in rows if isinstance(row, dict)]

    def fetch(self, *, identifier: str, holder_name: str, holder_code: str) -> LicenceSummary:
        """The licence's data (照面信息); ``PeerRejected`` with code ``not_found`` when absent."""
        answer = self._lookup(
            "licences/fetch/",
            {"identifier": identifier, "holder_name": holder_name, "holder_code": holder_code},
        )
        licence = answer.get("licence")
        if not isinstance(licence, dict):
            raise PeerAnswerUnreadable(f"{PEER}: fetch answer without a licence")
        return LicenceSummary.from_json(licence)

    def file(self, identifier: str) -> bytes:
        """The licence's file (PDF)."""
        answer = self.lookups.get(
            f"licences/{quote(identifier, safe='')}/file/", headers={"Accept": "application/pdf"}
        )
        if not answer.body.startswith(b"%PDF"):
            raise PeerAnswerUnreadable(f"{PEER}: the licence file is not a PDF", status=answer.status)
        return answer.body

    # --- issuing ---------------------------------------------------------------------

    def push(self, metadata: dict, *, content: bytes, idempotency_key: str) -> dict:
        """Store an issued licence on the platform (one copy per idempotency key)."""
        body = {**metadata, "file_base64": base64.b64encode(content).decode("ascii")}
        answer = self.http.post("licences/", json=body, idempotency_key=idempotency_key).json()
        if not isinstance(answer, dict) or not answer.get("identifier"):
            raise PeerAnswerUnreadable(f"{PEER}: push answer without an identifier")
        return answer


def client() -> LicenceClient:
    return LicenceClient.from_settings()


__all__ = [
    "PEER",
    "LicenceClient",
    "LicenceSummary",
    "PeerRejected",
    "PeerUnavailable",
    "Result",
    "Verification",
    "client",
]
