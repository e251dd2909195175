"""The one HTTP client every peer client is built on (standard library ``http.client``).

    client = PeerClient(peer="provincial", base_url=settings.PROVINCIAL_EXCHANGE_URL,
                        signing=SigningKey(key_id, secret), retries=0)
    answer = client.post("records/", json={...}, idempotency_key=envelope.key).json()

What it does for every peer, so that no peer does it differently:

* **Timeouts**: a connect timeout and a read timeout (``PEER_CONNECT_TIMEOUT``, 3 s, and
  ``PEER_READ_TIMEOUT``, 10 s, unless given). A peer can be slow; a page or a worker never
  hangs on it for longer.
* **Retries only where a repeat is harmless**: GET, HEAD, OPTIONS, PUT, DELETE, and any
  request sent with an idempotency key (the peer de-duplicates on ``Idempotency-Key``);
  retried on connection errors, timeouts and 502/503/504, at most ``retries`` times, with
  a short jittered pause (``Retry-After`` honoured up to 5 s). Outbox senders keep
  ``retries=0``: the outbox has its own, slower, retries.
* **Errors as two exceptions** (integrations.errors): ``PeerUnavailable`` (try later:
  connection, timeout, 5xx, 408, 429, an unreadable answer) and ``PeerRejected`` (4xx).
  The peer's error code is read from a body in the API error format
  (``{"error": {"code", "message"}}``) when there is one.
* **Signing**: with ``signing=SigningKey(...)`` every request carries the HMAC headers of
  integrations.signing over method, path with query, timestamp, nonce and body.
* **A log row per attempt** (integrations.requestlog): peer, method, redacted URL, status,
  duration, body sizes, error; never a body.

Clients take and return plain data: ``PeerResponse`` has ``status``, ``headers`` (lower-case
names), ``body`` (bytes) and ``json()``.
"""

import http.client
import json as jsonlib
import random
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from integrations import requestlog, signing
from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
UNAVAILABLE_STATUSES = frozenset({408, 425, 429})
MAX_RETRY_PAUSE = 5.0
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
USER_AGENT = "zhengwu-portal/1 (+integrations)"


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class PeerResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: int = 0

    def json(self):
        """The body as JSON; an unreadable body is the peer's transient fault."""
        try:
            return jsonlib.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise PeerAnswerUnreadable(
                "the peer answered something that is not JSON", status=self.status
            ) from exc


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class PeerClient:
    """HTTP to one peer. Thread-safe: it holds configuration only (one connection per request)."""

    def __init__(
        self,
        *,
        peer: str,
        base_url: str,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retries: int = 0,
        signing: SigningKey | None = None,
        headers: dict[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ):
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise PeerUnavailable(f"{peer}: not an http(s) URL: {base_url!r}")
        self.peer = peer
        self.base_url = base_url
        self.connect_timeout = (
            connect_timeout if connect_timeout is not None else _setting("PEER_CONNECT_TIMEOUT", 3.0)
        )
        self.read_timeout = read_timeout if read_timeout is not None else _setting("PEER_READ_TIMEOUT", 10.0)
        self.retries = max(0, int(retries))
        self.signing = signing
        self.headers = dict(headers or {})
        self.max_response_bytes = max_response_bytes

    # --- verbs ---------------------------------------------------------------------

    def get(self, path: str = "", **kwargs) -> PeerResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str = "", **kwargs) -> PeerResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str = "", **kwargs) -> PeerResponse:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str = "", **kwargs) -> PeerResponse:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str = "",
        *,
        json=None,
        data: bytes | None = None,
        params: dict | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str = "",
        idempotent: bool | None = None,
    ) -> PeerResponse:
        """Send one request (and its allowed retries); a 2xx/3xx answer or an exception."""
        method = method.upper()
        url = urljoin(self.base_url, path) if path else self.base_url
        if params:
            url = f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params, doseq=True)}"
        body = data
        all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers}
        if json is not None:
            body = jsonlib.dumps(json, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        all_headers.update(headers or {})
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, url, body or b"", all_headers)
            except PeerUnavailable as exc:
                retryable = exc.status is None or exc.status in RETRY_STATUSES
                if attempt >= attempts or not retryable:
                    raise
                pause = random.uniform(0, 0.2 * 2 ** (attempt - 1))  # noqa: S311 - jitter, not secrecy
                if exc.retry_after is not None:
                    pause = max(pause, min(float(exc.retry_after), MAX_RETRY_PAUSE))
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- one attempt ---------------------------------------------------------------

    def _once(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> PeerResponse:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        headers = dict(headers)
        if self.signing:
            headers.update(
                signing.signed_headers(self.signing.key_id, self.signing.secret, method, target, body)
            )
        started = time.monotonic()
        status = None
        received = b""
        try:
            try:
                connection = self._connect(parts)
            except TimeoutError as exc:
                raise PeerUnavailable(
                    f"{self.peer}: connect timeout after {self.connect_timeout:g}s"
                ) from exc
            try:
                connection.sock.settimeout(self.read_timeout)
                connection.request(method, target, body=body or None, headers=headers)
                response = connection.getresponse()
                status = response.status
                received = response.read(self.max_response_bytes + 1)
                answer_headers = {name.lower(): value for name, value in response.getheaders()}
            except TimeoutError as exc:
                raise PeerUnavailable(f"{self.peer}: no answer within {self.read_timeout:g}s") from exc
            finally:
                connection.close()
        except PeerUnavailable as exc:
            self._log(method, url, status, False, started, body, received, str(exc))
            raise
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS, TLS, bad status line
            message = f"{self.peer}: unreachable ({type(exc).__name__}: {exc})"
            self._log(method, url, status, False, started, body, received, message)
            raise PeerUnavailable(message) from exc
        if len(received) > self.max_response_bytes:
            message = f"{self.peer}: answer larger than {self.max_response_bytes} bytes"
            self._log(method, url, status, False, started, body, received, message)
            raise PeerUnavailable(message, status=status)
        error = None if status < 400 else _error_for(self.peer, status, received, answer_headers)
        self._log(method, url, status, error is None, started, body, received, _log_text(error))
        if error is not None:
            raise error
        return PeerResponse(
            status=status,
            headers=answer_headers,
            body=received,
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )

    def _connect(self, parts) -> http.client.HTTPConnection:
        port = parts.port
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname, port, timeout=self.connect_timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, port, timeout=self.connect_timeout)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _log(self, method, url, status, ok, started, body, received, error) -> None:
        requestlog.record(
            peer=self.peer,
            method=method,
            url=url,
            status=status,
            ok=ok,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_bytes=len(body or b""),
            response_bytes=len(received or b""),
            error=error,
        )


def _error_for(peer: str, status: int, body: bytes, headers: dict[str, str]):
    code, message = _peer_error(body)
    text = f"{peer}: HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status >= 500 or status in UNAVAILABLE_STATUSES:
        return PeerUnavailable(text, status=status, code=code, retry_after=_retry_after(headers))
    return PeerRejected(text, status=status, code=code)


def _peer_error(body: bytes) -> tuple[str, str]:
    """``code`` and ``message`` from a body in the API error format, if it is one."""
    try:
        error = jsonlib.loads(body.decode("utf-8")).get("error")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code", ""))[:64], str(error.get("message", ""))[:300]


def _retry_after(headers: dict[str, str]) -> float | None:
    try:
        return max(0.0, float(headers.get("retry-after", "")))
    except ValueError:
        return None


def _log_text(error) -> str:
    """For the request log: status and the peer's code, never its message (it may quote personal data)."""
    if error is None:
        return ""
    return f"HTTP {error.status}" + (f" {error.code}" if error.code else "")
