"""The two ways a peer can fail, shared by clients, senders and the outbox.

* ``PeerUnavailable``: try again later (refused connection, timeout, 5xx, 408, 429, an
  answer that cannot be read). The outbox retries with backoff; ``retry_after`` (seconds,
  from a ``Retry-After`` header) is honoured as the shortest wait.
* ``PeerRejected``: the peer understood the request and refused it (4xx): sending it again
  will not help, so the outbox dead-letters the message at once.
"""


class PeerError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str = "", retry_after=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class PeerUnavailable(PeerError):
    """Transient: the same request may succeed later."""


class PeerRejected(PeerError):
    """Permanent: the peer refused this request; do not send it again unchanged."""


class PeerAnswerUnreadable(PeerUnavailable):
    """The peer answered, but not in the agreed format (HTML from a proxy, broken JSON)."""
