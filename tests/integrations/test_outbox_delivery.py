"""Delivery: sent, retried with backoff, dead-lettered; the peer gets plain data and the idempotency key."""

import datetime

from django.db import transaction
from django.utils import timezone

from integrations import delivery, outbox
from integrations.errors import PeerRejected, PeerUnavailable
from integrations.models import OutboxMessage

State = OutboxMessage.State


def enqueue(key="m-1", destination="peer", ordering_key="", payload=None):
    with transaction.atomic():
        return outbox.enqueue(
            topic="test.event",
            destination=destination,
            key=key,
            payload=payload or {"serial": "A1"},
            ordering_key=ordering_key,
        )


def test_a_delivered_message_is_sent_once_with_its_payload_and_key(db, recorder):
    message = enqueue(key="record-1", payload={"serial": "A1", "sequence": 1})
    result = delivery.drain()
    message.refresh_from_db()
    assert (result.sent, message.state, message.attempts) == (1, State.SENT, 1)
    assert message.sent_at is not None and message.last_error == ""
    (envelope,) = recorder.envelopes
    assert (envelope.key, envelope.topic, envelope.payload, envelope.attempt) == (
        "record-1",
        "test.event",
        {"serial": "A1", "sequence": 1},
        1,
    )
    assert delivery.drain().attempted == 0  # nothing is sent twice


def test_an_unavailable_peer_gets_the_message_again_later(db, recorder):
    recorder.failures.append(PeerUnavailable("HTTP 503", status=503))
    message = enqueue()
    before = timezone.now()
    delivery.drain()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert "HTTP 503" in message.last_error
    assert before <= message.next_attempt_at <= before + datetime.timedelta(seconds=11)


def test_a_retry_after_from_the_peer_is_the_shortest_wait(db, recorder):
    recorder.failures.append(PeerUnavailable("HTTP 429", status=429, retry_after=120))
    message = enqueue()
    delivery.drain()
    message.refresh_from_db()
    assert message.next_attempt_at >= timezone.now() + datetime.timedelta(seconds=110)


def test_a_rejected_message_is_dead_at_once(db, recorder):
    recorder.failures.append(PeerRejected("HTTP 400 bad_request: 缺少字段 serial", status=400))
    message = enqueue()
    delivery.drain()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DEAD, 1)
    assert "缺少字段 serial" in message.last_error


def test_a_bug_in_a_sender_is_retried_like_an_unavailable_peer(db, recorder):
    recorder.failures.append(KeyError("serial"))
    message = enqueue()
    delivery.drain()
    message.refresh_from_db()
    assert message.state == State.PENDING and "KeyError" in message.last_error


def test_a_message_is_dead_after_the_configured_number_of_attempts(db, recorder, settings, time_machine):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    recorder.failures.extend(PeerUnavailable("down") for _ in range(5))
    message = enqueue()
    for _ in range(3):
        message.refresh_from_db()
        time_machine.move_to(message.next_attempt_at + datetime.timedelta(seconds=1))
        delivery.drain()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DEAD, 3)
    assert recorder.envelopes == []


def test_messages_of_an_unregistered_or_disabled_destination_wait(db, destination, recorder):
    destination("off", recorder, enabled=lambda: False)
    waiting = [enqueue(key="a", destination="off"), enqueue(key="b", destination="unknown")]
    assert delivery.drain().attempted == 0
    assert all(OutboxMessage.objects.get(pk=m.pk).state == State.PENDING for m in waiting)


def test_deliver_one_sends_only_that_message(db, recorder):
    first, second = enqueue(key="a"), enqueue(key="b")
    assert delivery.deliver_one(second.pk) == State.SENT
    assert recorder.keys == ["b"]
    assert OutboxMessage.objects.get(pk=first.pk).state == State.PENDING
    assert delivery.deliver_one(second.pk) is None  # already sent: nothing to do


def test_a_failing_destination_does_not_hold_up_the_others(db, destination, recorder):
    calls = []

    def down(envelope):
        calls.append(envelope.key)
        raise PeerUnavailable("down")

    destination("down", down)
    for n in range(3):
        enqueue(key=f"down-{n}", destination="down")
    enqueue(key="up", destination="peer")
    result = delivery.drain()
    assert recorder.keys == ["up"]
    assert calls == ["down-0"]  # the others of a failing peer are not tried in the same pass
    assert (result.sent, result.retrying) == (1, 1)
    assert OutboxMessage.objects.filter(destination="down", state=State.PENDING, attempts=0).count() == 2


def test_drain_stops_at_its_limit(db, recorder):
    for n in range(5):
        enqueue(key=f"m-{n}")
    assert delivery.drain(limit=3).sent == 3
    assert delivery.drain().sent == 2
    assert recorder.keys == [f"m-{n}" for n in range(5)]


def test_an_outcome_is_not_recorded_by_a_worker_whose_claim_was_taken_over(db, destination):
    message = enqueue(destination="slow")

    def taken_over_meanwhile(envelope):
        OutboxMessage.objects.filter(pk=envelope.id).update(state=State.PENDING, claim_token="")

    destination("slow", taken_over_meanwhile)
    (claimed,) = delivery.claim(destination="slow")
    delivery.send(claimed)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 0)


def test_the_request_log_of_a_delivery_is_written_with_its_outcome(db, destination, peer_server):
    from integrations.http import PeerClient
    from integrations.models import PeerRequestLog

    client = PeerClient(peer="peer", base_url=peer_server.url)
    destination("peer", lambda envelope: client.post("records/", json={}, idempotency_key=envelope.key))
    message = enqueue()

    delivery.drain()

    message.refresh_from_db()
    assert message.state == State.SENT
    (row,) = PeerRequestLog.objects.filter(peer="peer")
    assert row.outbox_message_id == message.pk and row.ok


def test_a_log_that_cannot_be_written_does_not_cost_the_outcome(db, recorder, monkeypatch):
    from django.db import DatabaseError

    from integrations import requestlog

    def broken(rows):
        raise DatabaseError("disk full")

    monkeypatch.setattr(requestlog, "save", broken)
    message = enqueue()

    assert delivery.drain().sent == 1
    message.refresh_from_db()
    assert message.state == State.SENT
