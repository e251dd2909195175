"""Write messages for other systems in the caller's transaction (delivery: integrations.delivery).

Domain services call ``enqueue`` inside their own transaction, so a message exists if and
only if the change that caused it was committed. The idempotency key makes a second
enqueue of the same fact a no-op, and lets the peer de-duplicate.
"""

from django.db import transaction

from integrations.models import OutboxMessage


def enqueue(
    *, topic: str, destination: str, key: str, payload: dict, ordering_key: str = ""
) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the transaction of the change it reports")
    message, _created = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "topic": topic,
            "destination": destination,
            "payload": payload,
            "ordering_key": ordering_key,
        },
    )
    return message
