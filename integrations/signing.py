"""HMAC-SHA256 request signatures, the same on both sides (outgoing clients, inbound checks).

A signed request carries four headers::

    X-Key-Id:     the key's public id (PeerCredential.key_id)
    X-Timestamp:  Unix time in whole seconds
    X-Nonce:      a random string (8–64 characters of [A-Za-z0-9_-]), never reused with a key
    X-Signature:  lowercase hex HMAC-SHA256(secret, canonical)

    canonical = METHOD "\\n" PATH "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(body))

PATH is the path with its query string exactly as sent (``/cb/pay/?a=1``), so neither the
query nor the body can be changed without breaking the signature. An empty body hashes to
``e3b0c442…``. The receiver refuses timestamps more than ``INBOUND_SIGNATURE_WINDOW``
seconds (300) away from its clock, and nonces it has already seen.
"""

import hashlib
import hmac
import re
import secrets
import time

HEADER_KEY_ID = "X-Key-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
HEADERS = (HEADER_KEY_ID, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def canonical(method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body or b"").hexdigest()
    return "\n".join([method.upper(), path, str(timestamp), nonce, digest]).encode()


def signature(secret: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


def matches(
    secret: str, given: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes
) -> bool:
    expected = signature(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, (given or "").strip().lower())


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def signed_headers(
    key_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers for a request (``path`` with its query string)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    nonce = nonce or new_nonce()
    return {
        HEADER_KEY_ID: key_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, method, path, timestamp, nonce, body),
    }
