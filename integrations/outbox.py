"""Write messages for other systems in the caller's transaction (delivery: integrations.delivery).

Domain services call ``enqueue`` inside their own transaction, so a message exists if and
only if the change that caused it was committed. The idempotency key makes a second
enqueue of the same fact a no-op, and is sent to the peer (``Idempotency-Key``) so the peer
can de-duplicate a message delivered twice. Messages that share an ``ordering_key`` (for
example ``case-<pk>``) reach their destination in the order they were written.

When the transaction commits, delivery is kicked (``delivery.kick``): a Celery task in the
production shape, a background thread in the embedded mode, never inside the request. If
the kick is lost (Redis down, process killed) the beat sweep delivers the message later.

``retry`` and ``discard`` are the admin's actions on dead letters.
"""

from functools import partial

from django.db import transaction
from django.utils import timezone

from integrations.models import OutboxMessage
from portal.db import create_once

State = OutboxMessage.State


def enqueue(
    *, topic: str, destination: str, key: str, payload: dict, ordering_key: str = ""
) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the transaction of the change it reports")
    message, created = create_once(
        OutboxMessage,
        lookup={"idempotency_key": key},
        defaults={
            "topic": topic,
            "destination": destination,
            "payload": payload,
            "ordering_key": ordering_key,
        },
    )
    if created:
        from integrations import delivery

        transaction.on_commit(partial(delivery.kick, message.pk, destination), robust=True)
    return message


@transaction.atomic
def retry(*, ids) -> int:
    """Dead (or waiting) messages go back to the queue now, with a fresh budget of attempts."""
    messages = OutboxMessage.objects.filter(pk__in=list(ids), state__in=[State.DEAD, State.PENDING])
    destinations = set(messages.values_list("destination", flat=True))
    count = messages.update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now())
    if count:
        from integrations import delivery

        for destination in destinations:
            transaction.on_commit(partial(delivery.kick, None, destination), robust=True)
    return count


@transaction.atomic
def discard(*, ids, reason: str = "") -> int:
    """Give up on dead (or waiting) messages: never sent, and no longer blocking their ordering key."""
    messages = OutboxMessage.objects.filter(pk__in=list(ids), state__in=[State.DEAD, State.PENDING])
    note = f"discarded: {reason}" if reason else "discarded"
    destinations = set(messages.values_list("destination", flat=True))
    count = 0
    for message in messages.select_for_update():
        message.state = State.DISCARDED
        message.last_error = f"{note}\n{message.last_error}".strip()[:4000]
        message.save(update_fields=["state", "last_error"])
        count += 1
    if count:
        from integrations import delivery

        # The next messages of their ordering keys may go now.
        for destination in destinations:
            transaction.on_commit(partial(delivery.kick, None, destination), robust=True)
    return count
