"""Who receives outbox messages: the registry of destinations and the list of peers.

A peer package registers its sender once, in ``integrations/<peer>/senders.py`` (imported
by ``IntegrationsConfig.ready``)::

    from integrations.destinations import Envelope, register_destination

    def send(envelope: Envelope) -> None:
        client().post("/records/", json=map_record(envelope.payload),
                      idempotency_key=envelope.key)   # raises PeerUnavailable / PeerRejected

    register_destination("provincial", send, enabled=lambda: bool(settings.PROVINCIAL_EXCHANGE_URL))

The sender gets plain data (``Envelope``), never a model instance; it returns normally when
the peer has the message, raises ``PeerUnavailable`` to try again later and ``PeerRejected``
to dead-letter the message at once. Any other exception counts as ``PeerUnavailable`` (and
is logged with its traceback). A message whose destination is not registered, or whose
``enabled()`` says no (not configured here), is never claimed: it waits, and the health page
shows the queue.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Envelope:
    """One delivery attempt of an outbox message, as plain data."""

    id: int
    topic: str
    destination: str
    key: str  # the idempotency key: send it to the peer (header ``Idempotency-Key``)
    payload: dict
    ordering_key: str = ""
    attempt: int = 1
    created_at: datetime.datetime | None = None


Sender = Callable[[Envelope], object]


@dataclass(frozen=True)
class Destination:
    name: str
    sender: Sender
    label: str = ""
    enabled: Callable[[], bool] = field(default=lambda: True)


# The peers of issue 4 by name, so the health page lists them before their first message.
KNOWN_PEERS: dict[str, str] = {
    "provincial": _("省网上办事大厅"),
    "identity": _("人口库/法人库"),
    "elicences": _("电子证照库"),
    "payments": _("统一网上缴费"),
    "logistics": _("统一物流"),
    "departments": _("部门已有网办"),
}

_destinations: dict[str, Destination] = {}
_peers: dict[str, str] = {}


def register_destination(
    name: str, sender: Sender, *, label: str = "", enabled: Callable[[], bool] | None = None
) -> Destination:
    """Deliver the outbox messages of ``destination=name`` with ``sender``. Registering a name
    again replaces the sender (tests swap in their own)."""
    destination = Destination(name=name, sender=sender, label=label, enabled=enabled or (lambda: True))
    _destinations[name] = destination
    register_peer(name, label)
    return destination


def unregister_destination(name: str) -> None:
    _destinations.pop(name, None)


def get(name: str) -> Destination | None:
    return _destinations.get(name)


def enabled_names() -> list[str]:
    """Destinations whose messages may be claimed now."""
    return sorted(name for name, destination in _destinations.items() if _is_enabled(destination))


def is_enabled(name: str) -> bool:
    destination = _destinations.get(name)
    return destination is not None and _is_enabled(destination)


def _is_enabled(destination: Destination) -> bool:
    try:
        return bool(destination.enabled())
    except Exception:  # a broken check must not stop the other destinations
        return False


def register_peer(name: str, label: str = "") -> None:
    """Name a peer for the health page (clients that send no outbox messages call this)."""
    if label or name not in _peers:
        _peers[name] = label or str(KNOWN_PEERS.get(name, name))


def peers() -> dict[str, str]:
    """Every peer known in this process: the issue's peers and whatever registered."""
    known = {name: str(label) for name, label in KNOWN_PEERS.items()}
    known.update({name: str(label) for name, label in _peers.items()})
    return known
