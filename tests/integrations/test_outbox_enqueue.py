"""A message exists if and only if the change that caused it was committed; delivery starts after commit."""

import time

import pytest
from django.db import transaction

from integrations import delivery, outbox, tasks
from integrations.models import OutboxMessage
from portal import publishing


def enqueue(key="m-1", destination="peer", ordering_key="", **payload):
    return outbox.enqueue(
        topic="test.event",
        destination=destination,
        key=key,
        payload=payload or {"n": 1},
        ordering_key=ordering_key,
    )


@pytest.fixture
def published(monkeypatch, settings):
    """Kicks in the production shape (Celery task), captured instead of sent to a broker."""
    settings.OUTBOX_KICK = "task"
    calls = []
    monkeypatch.setattr(tasks.deliver_message, "apply_async", lambda args, **kw: calls.append(args[0]))
    return calls


def test_a_message_enqueued_in_a_rolled_back_transaction_leaves_nothing(db, recorder, published):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_enqueue_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue()


def test_the_same_idempotency_key_is_enqueued_once(db):
    with transaction.atomic():
        first = enqueue(key="record-7", n=1)
        second = enqueue(key="record-7", n=2)
    assert first.pk == second.pk
    assert OutboxMessage.objects.get().payload == {"n": 1}


@pytest.mark.django_db(transaction=True)
def test_delivery_is_kicked_after_commit_and_not_before(recorder, published):
    with transaction.atomic():
        message = enqueue()
        assert published == []
    assert delivery.wait_idle(timeout=5)
    assert published == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_no_kick_for_a_destination_nobody_delivers(published):
    with transaction.atomic():
        enqueue(destination="nowhere")
    assert published == []
    assert OutboxMessage.objects.get().state == OutboxMessage.State.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_neither_fails_nor_delays_the_change(recorder, settings, monkeypatch):
    settings.OUTBOX_KICK = "task"
    publishing.publisher.forget_broker_failure()
    attempts = []

    def broker_down(*args, **kwargs):
        attempts.append(args)
        time.sleep(1)  # what a publish to a stopped Redis costs
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.deliver_message, "apply_async", broker_down)
    started = time.monotonic()
    with transaction.atomic():
        enqueue()
    assert time.monotonic() - started < 0.5
    assert delivery.wait_idle(timeout=5)
    with transaction.atomic():
        enqueue(key="m-2")  # the broker is known to be down: no second wait is queued
    assert delivery.wait_idle(timeout=5)
    assert len(attempts) == 1
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).count() == 2
