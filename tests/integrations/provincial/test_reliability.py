"""Nothing lost, nothing applied twice: the provincial sandbox failing half of the requests
and timing out a tenth of them during 1,000 process records; a worker killed mid-delivery."""

import os
import time

import pytest
from django.db import transaction
from django.db.models import Count

from applications import services
from integrations import delivery, outbox
from integrations.models import OutboxMessage, PeerRequestLog
from integrations.provincial.models import SandboxExchangeMessage, SandboxExchangeRow
from integrations.sandbox import framework

from .conftest import drain_all

pytestmark = pytest.mark.django_db(transaction=True)

# 1,000 messages (~110 s on SQLite, ~4 min on PostgreSQL on a 2-core machine);
# PROVINCIAL_RELIABILITY_MESSAGES sets another number for a quick look.
MESSAGES = int(os.environ.get("PROVINCIAL_RELIABILITY_MESSAGES", 1000))
STEPS = 8  # submit, sign, accept, start_review, extend, approve, complete, deliver
CASES = MESSAGES // STEPS


def read_timeout() -> float:
    """The client's timeout; a "slow" answer takes a little longer. Well above a normal answer's
    time, or ordinary requests would time out too: the sandbox on PostgreSQL writes its rows
    with real commits (1,000 messages: ~110 s on SQLite, ~2-3 min on PostgreSQL)."""
    from django.db import connection

    return 0.05 if connection.vendor == "sqlite" else 0.2


@pytest.fixture(autouse=True)
def _no_pdfs(monkeypatch):
    from applications import tasks

    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: None)


def _handle(case, people):
    services.sign(case=case, actor=people["clerk"])
    services.accept(case=case, actor=people["clerk"])
    services.start_review(case=case, actor=people["reviewer"])
    services.extend(case=case, actor=people["approver"], opinion="现场核查", days=2)
    services.approve(case=case, actor=people["approver"], opinion="同意")
    services.complete(case=case, actor=people["clerk"])
    services.deliver(case=case, actor=people["clerk"])


def _clone(cases: int, template: list[OutboxMessage]) -> set[str]:
    """``cases`` cases' process records, shaped like the template case's (its serial and keys
    replaced): building 1,000 records through the services would take a minute by itself."""
    keys = set()
    first = template[0].payload["serial"]
    with transaction.atomic():
        for n in range(1, cases + 1):
            serial = f"{first[:-4]}{n + 1000:04d}"
            for message in template:
                key = message.idempotency_key.replace(message.ordering_key, f"case-x{n}")
                outbox.enqueue(
                    topic=message.topic,
                    destination="provincial",
                    key=key,
                    ordering_key=f"case-x{n}",
                    payload={**message.payload, "serial": serial},
                )
                keys.add(key)
    return keys


def test_1000_messages_through_failures_and_timeouts(
    exchange, serialized_sender, settings, submitted, people
):
    settings.OUTBOX_BACKOFF_BASE = 0.001
    settings.OUTBOX_BACKOFF_MAX = 0.005
    settings.OUTBOX_MAX_ATTEMPTS = 10_000  # the knobs, not the budget, are under test
    settings.PROVINCIAL_EXCHANGE_READ_TIMEOUT = timeout = read_timeout()
    started = time.monotonic()
    case = submitted()
    _handle(case, people)
    template = list(OutboxMessage.objects.filter(destination="provincial").order_by("id"))
    assert [m.payload["action"] for m in template][:3] == ["submit", "sign", "accept"]
    OutboxMessage.objects.all().delete()
    keys = _clone(CASES, template)
    assert len(keys) == CASES * STEPS == MESSAGES
    built = time.monotonic()

    framework.configure("provincial", fail_rate=0.5, slow_rate=0.1, slow_seconds=timeout + 0.015)
    drain_all(seconds=float(os.environ.get("PROVINCIAL_RELIABILITY_SECONDS", 600)))
    framework.configure("provincial", fail_rate=0.0, slow_rate=0.0)
    assert framework.wait_quiet(timeout=30)
    log = PeerRequestLog.objects.filter(peer="provincial", direction="out")
    print(
        f"{log.count()} requests, {log.filter(status=503).count()} failures, "
        f"{log.filter(status__isnull=True).count()} timeouts"
    )
    print(
        f"built {MESSAGES} messages in {built - started:.1f}s, delivered in {time.monotonic() - built:.1f}s"
    )

    # All delivered.
    assert (
        OutboxMessage.objects.filter(destination="provincial", state=OutboxMessage.State.SENT).count()
        == MESSAGES
    )
    # Each exactly once on the receiving side.
    per_key = dict(
        SandboxExchangeMessage.objects.values_list("idempotency_key")
        .annotate(n=Count("id"))
        .values_list("idempotency_key", "n")
    )
    assert set(per_key) == keys and set(per_key.values()) == {1}
    duplicates = (
        SandboxExchangeRow.objects.values("table", "serial", "item", "version")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    # In order per case.
    for serial in set(SandboxExchangeMessage.objects.values_list("serial", flat=True)):
        sequences = list(
            SandboxExchangeMessage.objects.filter(serial=serial)
            .order_by("id")
            .values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, STEPS + 1)), serial
    # The knobs really bit: failures and timeouts were retried.
    assert log.filter(status=503).count() > MESSAGES * 0.3
    assert log.filter(status__isnull=True, error__contains="no answer within").count() > MESSAGES * 0.05
    assert OutboxMessage.objects.filter(destination="provincial", attempts__gt=1).count() > MESSAGES * 0.3


def test_a_worker_killed_mid_delivery_sends_again_and_the_province_keeps_one_copy(
    exchange, settings, submitted
):
    settings.OUTBOX_SENDING_TIMEOUT = 0.3
    case = submitted()
    claimed = delivery.claim(destination="provincial", limit=1)
    assert len(claimed) == 1
    # The worker sent it (the province stored it) and died before recording the outcome.
    from integrations.provincial import senders

    senders.send(
        delivery.Envelope(
            id=claimed[0].pk,
            topic=claimed[0].topic,
            destination="provincial",
            key=claimed[0].idempotency_key,
            payload=claimed[0].payload,
        )
    )
    assert delivery.drain(destination="provincial").attempted == 0  # still "sending": not taken again
    assert delivery.requeue_stuck() == 0  # not stuck yet
    time.sleep(0.4)
    assert delivery.requeue_stuck() == 1
    assert delivery.drain(destination="provincial").sent == 1
    message = OutboxMessage.objects.get(pk=claimed[0].pk)
    assert message.state == OutboxMessage.State.SENT and message.attempts == 2
    assert SandboxExchangeMessage.objects.filter(idempotency_key=message.idempotency_key).count() == 1
    assert SandboxExchangeRow.objects.filter(serial=case.serial).count() == 1
    log = PeerRequestLog.objects.filter(peer="provincial", direction="out", ok=True)
    assert log.count() == 2  # sent twice, kept once


def test_a_worker_killed_before_sending_delivers_after_the_sweep(exchange, settings, submitted):
    settings.OUTBOX_SENDING_TIMEOUT = 0.3
    submitted()
    claimed = delivery.claim(destination="provincial", limit=1)
    time.sleep(0.4)
    assert delivery.requeue_stuck() == 1
    assert drain_all() == 1
    assert SandboxExchangeMessage.objects.filter(idempotency_key=claimed[0].idempotency_key).count() == 1
