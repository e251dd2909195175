"""Several workers draining at once never send one message twice, and keep each case in order."""

import threading
import time

import pytest
from django.db import connections, transaction

from integrations import delivery, outbox
from integrations.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_workers_send_each_message_exactly_once_and_each_case_in_order(recorder, destination, settings):
    settings.OUTBOX_CLAIM_BATCH = 5

    def slow_peer(envelope):
        time.sleep(0.002)  # let the workers overlap
        recorder(envelope)

    destination("peer", slow_peer)
    with transaction.atomic():
        for case in range(40):
            for record in range(5):
                outbox.enqueue(
                    topic="case.process_record",
                    destination="peer",
                    key=f"case-{case}-record-{record}",
                    payload={},
                    ordering_key=f"case-{case}",
                )
        for n in range(40):
            outbox.enqueue(topic="free", destination="peer", key=f"free-{n}", payload={})

    errors = []

    def worker():
        try:
            while delivery.drain(limit=50).attempted:
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(recorder.keys) == 240 and len(set(recorder.keys)) == 240
    for case in range(40):
        sent = [key for key in recorder.keys if key.startswith(f"case-{case}-")]
        assert sent == [f"case-{case}-record-{record}" for record in range(5)]
    assert OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).count() == 0
