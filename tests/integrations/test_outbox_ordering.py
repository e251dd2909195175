"""Messages with the same ordering key (one case's records) reach the peer in the order they were written."""

import datetime

from django.db import transaction
from django.utils import timezone

from integrations import delivery, outbox
from integrations.errors import PeerRejected, PeerUnavailable
from integrations.models import OutboxMessage

State = OutboxMessage.State


def enqueue(key, ordering_key):
    with transaction.atomic():
        return outbox.enqueue(
            topic="case.process_record",
            destination="peer",
            key=key,
            payload={"k": key},
            ordering_key=ordering_key,
        )


def test_an_unsent_older_message_holds_back_newer_ones_of_the_same_case_only(db, recorder):
    recorder.failures.append(PeerUnavailable("down"))
    enqueue("case-1-record-1", "case-1")
    enqueue("case-1-record-2", "case-1")
    enqueue("case-2-record-1", "case-2")
    delivery.drain()  # case-1's first record fails; the peer is left alone for this pass
    delivery.drain()  # its retry is not due yet
    assert recorder.keys == ["case-2-record-1"]
    assert OutboxMessage.objects.get(idempotency_key="case-1-record-2").attempts == 0


def test_the_held_back_messages_follow_once_the_older_one_is_sent(db, recorder, time_machine):
    recorder.failures.append(PeerUnavailable("down"))
    first = enqueue("case-1-record-1", "case-1")
    enqueue("case-1-record-2", "case-1")
    enqueue("case-1-record-3", "case-1")
    delivery.drain()
    first.refresh_from_db()
    time_machine.move_to(first.next_attempt_at + datetime.timedelta(seconds=1))
    delivery.drain()
    assert recorder.keys == ["case-1-record-1", "case-1-record-2", "case-1-record-3"]


def test_a_dead_message_holds_its_case_until_it_is_discarded(db, recorder):
    recorder.failures.append(PeerRejected("HTTP 400", status=400))
    dead = enqueue("case-1-record-1", "case-1")
    enqueue("case-1-record-2", "case-1")
    delivery.drain()
    assert delivery.drain().attempted == 0
    outbox.discard(ids=[dead.pk], reason="sent by hand")
    delivery.drain()
    assert recorder.keys == ["case-1-record-2"]


def test_a_claim_takes_only_the_first_message_of_each_key(db, recorder):
    for n in range(3):
        enqueue(f"case-1-record-{n}", "case-1")
        enqueue(f"case-2-record-{n}", "case-2")
    claimed = delivery.claim(limit=10)
    assert [message.idempotency_key for message in claimed] == ["case-1-record-0", "case-2-record-0"]


def test_messages_without_a_key_go_in_any_order(db, recorder):
    for n in range(3):
        enqueue(f"free-{n}", "")
    assert len(delivery.claim(limit=10)) == 3


def test_sending_one_message_kicks_the_next_of_its_key(db, recorder, monkeypatch):
    kicked = []
    monkeypatch.setattr(delivery, "kick", lambda message_id, destination: kicked.append(message_id))
    first = enqueue("case-1-record-1", "case-1")
    second = enqueue("case-1-record-2", "case-1")
    assert delivery.deliver_one(second.pk) is None  # not its turn
    assert delivery.deliver_one(first.pk) == State.SENT
    assert kicked == [second.pk]
    assert timezone.now() >= OutboxMessage.objects.get(pk=second.pk).next_attempt_at
