"""The embedded mode (eager Celery): delivery runs in a background thread, never in the request."""

import time

import pytest
from django.db import transaction

from applications import services, tasks
from applications.services import ApplicantData
from integrations import delivery, outbox
from integrations.models import OutboxMessage
from portal import tasks as portal_tasks
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedded(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.OUTBOX_KICK = "auto"
    # The other after-commit work of a submission (PDF, SMS) is not this test's business, and
    # the in-memory SQLite of the tests (unlike the embedded file database, which waits for
    # its lock) refuses two writers at once.
    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: None)
    monkeypatch.setattr(portal_tasks.send_notification, "delay", lambda notification_id: None)


@pytest.fixture
def slow_province(destination, recorder):
    def slow(envelope):
        time.sleep(1.5)
        recorder(envelope)

    destination("provincial", slow)
    return recorder


def test_a_submission_returns_without_waiting_for_a_slow_peer(embedded, slow_province, matter, citizen):
    applicant = ApplicantData(name="李四", id_number=factories.make_id_number(), mobile="13800138000")
    case = services.create_draft(applicant=citizen, matter=matter, data=applicant)
    started = time.monotonic()
    case = services.submit(case=case, actor=citizen)
    assert time.monotonic() - started < 1.0
    assert delivery.wait_idle(timeout=20)
    sent = OutboxMessage.objects.filter(ordering_key=f"case-{case.pk}", state=OutboxMessage.State.SENT)
    assert list(sent.values_list("idempotency_key", flat=True)) == slow_province.keys
    assert sent.exists()


def test_a_burst_of_messages_is_drained_by_one_background_pass_in_order(embedded, recorder):
    with transaction.atomic():
        for n in range(20):
            outbox.enqueue(topic="t", destination="peer", key=f"m-{n:02d}", payload={}, ordering_key="case-1")
    assert delivery.wait_idle(timeout=20)
    assert recorder.keys == [f"m-{n:02d}" for n in range(20)]


def test_the_production_shape_publishes_a_task_instead(settings, recorder, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_KICK = "auto"
    from integrations import tasks as integration_tasks

    published = []
    monkeypatch.setattr(
        integration_tasks.deliver_message, "apply_async", lambda args, **kw: published.append(args)
    )
    with transaction.atomic():
        message = outbox.enqueue(topic="t", destination="peer", key="m", payload={})
    assert delivery.wait_idle(timeout=5)
    assert published == [(message.pk,)] and recorder.keys == []
