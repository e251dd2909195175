"""Typed client of the identity platforms: the population database (人口库) and the legal-person
database (法人库). Plain data in, plain data out; no domain model is imported here.

The HTTP contract (the sandbox, ``integrations/sandbox/identity.py``, speaks the same)::

    POST people/verify/        {"name": "陈小明", "id_number": "4420001992…"}
        200 {"result": "matched" | "mismatched" | "not_found" | "deceased",
             "source": "…", "reference": "…"}
        400 {"error": {"code": "bad_request", "message": "…"}}
    GET  enterprises/<uscc>/
        200 {"uscc": "…", "name": "…", "legal_representative": "…",
             "status": "存续" | "吊销" | "注销", "source": "…", "reference": "…"}
        404 {"error": {"code": "not_found", "message": "…"}}
        400 {"error": {"code": "bad_request", "message": "…"}}

The ID number travels in a POST body, never in a URL (URLs end up in logs). Both calls only
read, so each may be retried once on a connection error, a timeout or a 502/503/504 (the
verification is a POST sent with ``idempotent=True``): a page can afford one quick retry.
Failures surface as ``PeerUnavailable`` (try later) or ``PeerRejected`` (refused).
"""

from dataclasses import dataclass

from django.conf import settings

from integrations.errors import PeerAnswerUnreadable, PeerRejected
from integrations.http import PeerClient, SigningKey

PEER = "identity"
PERSON_RESULTS = ("matched", "mismatched", "not_found", "deceased")
# The legal-person register's words for an enterprise's standing, and ours (enterprises.Enterprise.Status).
ENTERPRISE_STATUSES = {
    "存续": "active",
    "在营": "active",
    "开业": "active",
    "吊销": "revoked",
    "注销": "cancelled",
}


@dataclass(frozen=True)
class PersonAnswer:
    result: str  # one of PERSON_RESULTS
    source: str = ""
    reference: str = ""


@dataclass(frozen=True)
class EnterpriseRecord:
    uscc: str
    name: str
    legal_representative: str
    status: str  # active | revoked | cancelled
    status_text: str  # as the register wrote it (存续, 吊销, 注销)
    source: str = ""
    reference: str = ""


class IdentityClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retries: int = 1,
        signing: SigningKey | None = None,
    ):
        if signing is None and getattr(settings, "IDENTITY_KEY_ID", ""):
            signing = SigningKey(settings.IDENTITY_KEY_ID, settings.IDENTITY_SECRET)
        self.http = PeerClient(
            peer=PEER,
            base_url=base_url or settings.IDENTITY_URL,
            connect_timeout=connect_timeout
            if connect_timeout is not None
            else getattr(settings, "IDENTITY_CONNECT_TIMEOUT", None),
            read_timeout=read_timeout
            if read_timeout is not None
            else getattr(settings, "IDENTITY_READ_TIMEOUT", None),
            retries=min(1, max(0, retries)),
            signing=signing,
        )

    def verify_person(self, *, name: str, id_number: str) -> PersonAnswer:
        """Ask the population database whether this name goes with this ID number."""
        answer = self.http.post(
            "people/verify/", json={"name": name, "id_number": id_number}, idempotent=True
        ).json()
        result = answer.get("result") if isinstance(answer, dict) else None
        if result not in PERSON_RESULTS:
            raise PeerAnswerUnreadable(f"{PEER}: unknown verification result {result!r}")
        return PersonAnswer(
            result=result, source=_text(answer, "source", 50), reference=_text(answer, "reference", 64)
        )

    def enterprise(self, uscc: str) -> EnterpriseRecord | None:
        """The legal-person register's record of a USCC; None when it has none."""
        try:
            answer = self.http.get(f"enterprises/{uscc}/").json()
        except PeerRejected as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(answer, dict) or answer.get("status") not in ENTERPRISE_STATUSES:
            raise PeerAnswerUnreadable(f"{PEER}: unreadable enterprise record")
        return EnterpriseRecord(
            uscc=_text(answer, "uscc", 18) or uscc,
            name=_text(answer, "name", 200),
            legal_representative=_text(answer, "legal_representative", 50),
            status=ENTERPRISE_STATUSES[answer["status"]],
            status_text=answer["status"],
            source=_text(answer, "source", 50),
            reference=_text(answer, "reference", 64),
        )


def _text(answer: dict, key: str, limit: int) -> str:
    value = answer.get(key)
    return str(value)[:limit] if value is not None else ""


def default_client() -> IdentityClient:
    return IdentityClient()
