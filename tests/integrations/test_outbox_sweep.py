"""The beat sweep: messages stuck in "sending" go back to the queue; due messages are delivered."""

import datetime

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from integrations import delivery, outbox, tasks
from integrations.models import OutboxMessage

State = OutboxMessage.State


def enqueue(key="m-1", destination="peer"):
    with transaction.atomic():
        return outbox.enqueue(topic="t", destination=destination, key=key, payload={})


def test_a_message_stuck_in_sending_is_sent_again_after_the_timeout(db, recorder, settings, time_machine):
    settings.OUTBOX_SENDING_TIMEOUT = 60
    message = enqueue()
    delivery.claim(destination="peer")  # the worker that claimed it is killed here
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=30))
    assert delivery.sweep().requeued == 0
    assert OutboxMessage.objects.get(pk=message.pk).state == State.SENDING
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=40))
    result = delivery.sweep()
    message.refresh_from_db()
    assert result.requeued == 1 and result.drained["peer"].sent == 1
    assert (message.state, message.attempts) == (State.SENT, 2)  # the lost attempt counts
    assert recorder.keys == ["m-1"]


def test_a_stuck_message_on_its_last_attempt_is_dead(db, recorder, settings, time_machine):
    settings.OUTBOX_SENDING_TIMEOUT = 60
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = enqueue()
    delivery.claim(destination="peer")
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=61))
    delivery.requeue_stuck()
    message.refresh_from_db()
    assert message.state == State.DEAD and "stuck in sending" in message.last_error


def test_the_beat_task_publishes_one_drain_per_destination_with_due_messages(
    db, destination, recorder, monkeypatch
):
    destination("other", recorder)
    enqueue("a", "peer")
    enqueue("b", "peer")
    enqueue("c", "other")
    enqueue("d", "unregistered")
    published = []
    monkeypatch.setattr(tasks.drain_destination, "apply_async", lambda args, **kw: published.append(args[0]))
    assert tasks.outbox_sweep() == {"requeued": 0, "dispatched": ["other", "peer"]}
    assert sorted(published) == ["other", "peer"]


def test_the_drain_task_delivers_a_destination(db, recorder):
    enqueue("a")
    tasks.drain_destination("peer")
    assert recorder.keys == ["a"]


def test_the_command_delivers_in_its_own_process(db, recorder, capsys):
    enqueue("a")
    enqueue("b")
    call_command("outbox_sweep")
    assert "peer: 2 sent, 0 to retry, 0 dead." in capsys.readouterr().out
    assert recorder.keys == ["a", "b"]


def test_the_command_can_deliver_one_destination(db, destination, recorder):
    others = []
    destination("other", others.append)
    enqueue("a", "peer")
    enqueue("b", "other")
    call_command("outbox_sweep", destination="other", limit=10)
    assert recorder.keys == [] and [envelope.key for envelope in others] == ["b"]
