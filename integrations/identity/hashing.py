"""Resident ID numbers as keyed digests: recognisable again, never readable.

``id_number_hash(number)`` is HMAC-SHA256 of the normalised number under a key derived by
HKDF-SHA256 from ``IDENTITY_HASH_KEY`` (or ``INTEGRATIONS_ENCRYPTION_KEY``, or
``SECRET_KEY``) with a purpose label of its own. A plain SHA-256 would not do: there are
only about 10^10 plausible ID numbers, so an unkeyed digest is reversed by brute force.
Changing the key makes earlier digests unrecognisable: the only effect is that the next
real-name check of each account asks the population database again.
"""

import functools
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from portal.validators import mask_id_number, normalize_id_number

PURPOSE = b"zhengwu-portal identity id-number digest v1"


def _source_key() -> str:
    return (
        getattr(settings, "IDENTITY_HASH_KEY", "")
        or getattr(settings, "INTEGRATIONS_ENCRYPTION_KEY", "")
        or settings.SECRET_KEY
    )


@functools.lru_cache(maxsize=4)
def _derive(source: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(source.encode())


def id_number_hash(number: str) -> str:
    """The keyed digest (64 hex characters) of an ID number; ``x`` and ``X`` hash alike."""
    key = _derive(_source_key())
    return hmac.new(key, normalize_id_number(number).encode(), hashlib.sha256).hexdigest()


def masked(number: str) -> str:
    return mask_id_number(number)


def mask_name(name: str) -> str:
    """陈*明: the helper of the printed documents (applications.pdf), one rule for the hall."""
    from applications.pdf import mask_name as mask

    return mask(name)
