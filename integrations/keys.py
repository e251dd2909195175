"""Encryption of the peers' HMAC secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is ``INTEGRATIONS_ENCRYPTION_KEY`` when set (any long random string; set it in
production so that rotating ``SECRET_KEY`` leaves the peers' keys readable), otherwise it is
derived from ``SECRET_KEY``. Either way the string goes through HKDF-SHA256 with a purpose
label, so the same ``SECRET_KEY`` never serves two purposes. To rotate: put the old value in
``INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS`` (or ``SECRET_KEY_FALLBACKS`` when derived), set the
new one, run ``manage.py integrations_reencrypt``, then drop the fallback.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"zhengwu-portal integrations peer credentials v1"


class UndecryptableSecret(Exception):
    """No configured key opens this value (the key changed without a fallback)."""


def _source_keys() -> tuple[str, ...]:
    dedicated = getattr(settings, "INTEGRATIONS_ENCRYPTION_KEY", "") or ""
    if dedicated:
        fallbacks = getattr(settings, "INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS", ()) or ()
        return (dedicated, *fallbacks)
    return (settings.SECRET_KEY, *(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(key)) for key in keys])


def _derive(key: str) -> bytes:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(key.encode())
    return base64.urlsafe_b64encode(material)


def encrypt(plaintext: str) -> str:
    return _fernet(_source_keys()).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_source_keys()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise UndecryptableSecret("no configured key decrypts this secret") from exc


def reencrypt(token: str) -> str:
    """The same secret under the current first key."""
    return _fernet(_source_keys()).rotate(token.encode("ascii")).decode("ascii")
