"""One health line per peer: last success, last failure, queue depth, oldest waiting message.

Cheap by construction: one grouped query over the unsent messages (the ``outbox_due``
index), and per peer two index lookups on the request log (``peerlog_health``: the newest
row with ``ok`` true, the newest with ``ok`` false). Shown in the admin (对接系统状态).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils import timezone

from integrations import destinations
from integrations.models import OutboxMessage, PeerRequestLog

State = OutboxMessage.State


@dataclass
class PeerHealth:
    peer: str
    label: str
    registered: bool = False
    enabled: bool = False
    pending: int = 0
    sending: int = 0
    dead: int = 0
    oldest_waiting_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def queue_depth(self) -> int:
        return self.pending + self.sending

    @property
    def oldest_waiting_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_waiting_at if self.oldest_waiting_at else None

    @property
    def failing(self) -> bool:
        """The last request failed, or nothing succeeded since the last failure."""
        if self.last_failure_at is None:
            return False
        return self.last_success_at is None or self.last_failure_at > self.last_success_at


def peer_health() -> list[PeerHealth]:
    names = destinations.peers()
    queues: dict[str, dict] = {}
    rows = (
        OutboxMessage.objects.filter(state__in=[State.PENDING, State.SENDING, State.DEAD])
        .values("destination", "state")
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .order_by()
    )
    for row in rows:
        queues.setdefault(row["destination"], {})[row["state"]] = (row["count"], row["oldest"])
        names.setdefault(row["destination"], row["destination"])

    lines = []
    for name in sorted(names):
        queue = queues.get(name, {})
        line = PeerHealth(
            peer=name,
            label=names[name],
            registered=destinations.get(name) is not None,
            enabled=destinations.is_enabled(name),
            pending=queue.get(State.PENDING, (0, None))[0],
            sending=queue.get(State.SENDING, (0, None))[0],
            dead=queue.get(State.DEAD, (0, None))[0],
        )
        waiting = [queue[state][1] for state in (State.PENDING, State.SENDING) if state in queue]
        line.oldest_waiting_at = min(waiting) if waiting else None
        success = _newest(name, ok=True)
        failure = _newest(name, ok=False)
        line.last_success_at = success["created_at"] if success else None
        if failure:
            line.last_failure_at = failure["created_at"]
            line.last_failure = failure["error"] or (f"HTTP {failure['status']}" if failure["status"] else "")
        lines.append(line)
    return lines


def _newest(peer: str, *, ok: bool) -> dict | None:
    return (
        PeerRequestLog.objects.filter(peer=peer, ok=ok, direction=PeerRequestLog.Direction.OUT)
        .order_by("-created_at")
        .values("created_at", "error", "status")
        .first()
    )
