"""Write a ``PeerRequestLog`` row per request, without personal data.

``record(...)`` is called by ``integrations.http.PeerClient`` for every outgoing attempt and
by ``integrations.inbound`` for inbound calls. The row is written at once; inside a
transaction (a client called from a domain service) it is written in a savepoint of that
transaction, so it is kept if the change is, and a failure to log never breaks the change.
Every row also goes to the application log (logger ``integrations.requests``), which keeps
the requests of rolled-back changes too.

While the outbox runs a sender (``collect()``), the rows are kept in memory instead and
written with the message's outcome, in its transaction: a delivery costs one commit, not one
per request.
"""

import contextvars
import logging
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.db import transaction

from integrations.models import PeerRequestLog

logger = logging.getLogger("integrations.requests")

# Set by the outbox while a sender runs, so the rows of a delivery point to their message.
current_message: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "integrations_current_message", default=None
)

# Set by the outbox while a sender runs: rows wait here and are written with the outcome.
_collected: contextvars.ContextVar[list[PeerRequestLog] | None] = contextvars.ContextVar(
    "integrations_collected_rows", default=None
)


class collect:
    """``with collect() as rows:`` the rows recorded inside, unsaved (``save(rows)`` them)."""

    def __enter__(self) -> list[PeerRequestLog]:
        self.rows: list[PeerRequestLog] = []
        self._token = _collected.set(self.rows)
        return self.rows

    def __exit__(self, *exc) -> None:
        _collected.reset(self._token)


def save(rows: list[PeerRequestLog]) -> None:
    """Write collected rows, in the caller's transaction."""
    if rows:
        PeerRequestLog.objects.bulk_create(rows)


# 18-character ID numbers, 15-digit old ones, 11-digit mobile numbers, bank card numbers.
_PERSONAL = re.compile(r"\d{17}[\dXx]|\d{15,19}|(?<!\d)1[3-9]\d{9}(?!\d)")


def redact_url(url: str) -> str:
    """Scheme, host and path, with query values and personal-looking numbers masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = "&".join(f"{key}=*" for key, _value in parse_qsl(parts.query, keep_blank_values=True))
    path = _PERSONAL.sub("***", parts.path)
    return urlunsplit((parts.scheme, host, path, query, ""))[:500]


def record(
    *,
    peer: str,
    method: str,
    url: str,
    status: int | None,
    ok: bool,
    duration_ms: int,
    request_bytes: int = 0,
    response_bytes: int = 0,
    error: str = "",
    direction: str = PeerRequestLog.Direction.OUT,
) -> None:
    row = PeerRequestLog(
        peer=peer[:32],
        direction=direction,
        method=method.upper()[:8],
        url=redact_url(url),
        status=status,
        ok=ok,
        duration_ms=max(0, int(duration_ms)),
        request_bytes=request_bytes,
        response_bytes=response_bytes,
        error=error[:300],
        outbox_message_id=current_message.get(),
    )
    logger.info(
        "%s %s %s %s %s %dms %s",
        row.peer,
        row.direction,
        row.method,
        row.url,
        row.status or "-",
        row.duration_ms,
        row.error,
    )
    collected = _collected.get()
    if collected is not None:
        collected.append(row)
        return
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                row.save()
        else:
            row.save()
    except Exception:  # the log must never break the call it describes
        logger.exception("could not write the request log row")
