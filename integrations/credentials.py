"""Per-peer HMAC keys: create, rotate, read (the admin and tests call these; the secret is
shown once, when it is made, and stored only encrypted)."""

import secrets

from django.db import transaction

from integrations import keys
from integrations.models import PeerCredential


def new_key_id(peer: str) -> str:
    prefix = "".join(ch for ch in peer.lower() if ch.isalnum())[:8] or "peer"
    return f"{prefix}_{secrets.token_hex(8)}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create(
    *, peer: str, name: str, user=None, note: str = "", secret: str | None = None
) -> tuple[PeerCredential, str]:
    """A new active key for ``peer``: the credential and its secret in clear (show it once)."""
    secret = secret or new_secret()
    credential = PeerCredential.objects.create(
        peer=peer,
        name=name,
        user=user,
        note=note,
        key_id=new_key_id(peer),
        secret_encrypted=keys.encrypt(secret),
    )
    return credential, secret


def fill(credential: PeerCredential) -> str:
    """Give an unsaved credential (the admin's add form) its key id and a secret; the secret in clear."""
    secret = new_secret()
    credential.key_id = credential.key_id or new_key_id(credential.peer)
    credential.secret_encrypted = keys.encrypt(secret)
    return secret


@transaction.atomic
def rotate(credential: PeerCredential) -> str:
    """A new secret for the same key id (the old one stops working at once)."""
    secret = new_secret()
    credential.secret_encrypted = keys.encrypt(secret)
    credential.save(update_fields=["secret_encrypted"])
    return secret


def secret_of(credential: PeerCredential) -> str:
    return keys.decrypt(credential.secret_encrypted)


def reencrypt_all() -> int:
    """After a key change: every secret under the current key (old keys listed as fallbacks)."""
    count = 0
    for credential in PeerCredential.objects.only("pk", "secret_encrypted"):
        PeerCredential.objects.filter(pk=credential.pk).update(
            secret_encrypted=keys.reencrypt(credential.secret_encrypted)
        )
        count += 1
    return count
