"""Tables of the integrations app, one module per concern.

* ``outbox``: ``OutboxMessage`` (every message to another system) and ``PeerStatus``
  (the proxy behind the admin's peer health page).
* ``requests``: ``PeerRequestLog``, one row per HTTP request to or from a peer.
* ``inbound``: ``PeerCredential`` (per-peer HMAC keys), ``InboundNonce`` and
  ``InboundReceipt`` (replay protection and de-duplication of callbacks).
* ``sandbox``: the sandboxes' own tables (``Sandbox…``): they play other systems and
  never share a table with the portal.

A peer package that needs tables adds a module here and imports it below.
"""

from integrations.models.inbound import InboundNonce, InboundReceipt, PeerCredential
from integrations.models.outbox import OutboxMessage, PeerStatus
from integrations.models.requests import PeerRequestLog
from integrations.models.sandbox import SandboxBehaviour, SandboxSerialCounter

__all__ = [
    "InboundNonce",
    "InboundReceipt",
    "OutboxMessage",
    "PeerCredential",
    "PeerRequestLog",
    "PeerStatus",
    "SandboxBehaviour",
    "SandboxSerialCounter",
]
