"""Each peer's health line: last success, last failure, queue depth, oldest waiting message."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations import delivery, health, outbox
from integrations.errors import PeerRejected
from integrations.models import PeerRequestLog
from tests import factories

pytestmark = pytest.mark.django_db


def line(peer):
    return next(item for item in health.peer_health() if item.peer == peer)


def enqueue(key, destination="peer"):
    with transaction.atomic():
        return outbox.enqueue(topic="t", destination=destination, key=key, payload={})


def logged(peer, ok, minutes_ago, status=200, error=""):
    PeerRequestLog.objects.create(
        peer=peer,
        method="POST",
        url="http://p/",
        ok=ok,
        status=status,
        error=error,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def test_the_queue_counts_waiting_messages_and_the_age_of_the_oldest(recorder, destination, time_machine):
    destination("provincial", recorder)
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    enqueue("a")
    time_machine.move_to("2026-11-16 09:30 +0800", tick=False)
    enqueue("b")
    recorder.failures.append(PeerRejected("no", status=400))
    enqueue("c", destination="provincial")
    delivery.drain(destination="provincial")
    peer = line("peer")
    assert (peer.pending, peer.queue_depth, peer.dead) == (2, 2, 0)
    assert peer.oldest_waiting_age == datetime.timedelta(minutes=30)
    assert (line("provincial").dead, line("provincial").queue_depth) == (1, 0)


def test_last_success_and_last_failure_come_from_the_request_log():
    logged("payments", True, minutes_ago=10)
    logged("payments", False, minutes_ago=5, status=503, error="HTTP 503 busy")
    logged("payments", True, minutes_ago=60)
    payments = line("payments")
    assert payments.last_failure == "HTTP 503 busy" and payments.failing
    assert payments.last_success_at < payments.last_failure_at
    logged("payments", True, minutes_ago=1)
    assert not line("payments").failing


def test_every_peer_of_the_hall_has_a_line_before_its_first_message():
    peers = {item.peer for item in health.peer_health()}
    assert {"provincial", "identity", "elicences", "payments", "logistics", "departments"} <= peers


def test_the_health_figures_cost_a_fixed_number_of_queries(recorder, django_assert_max_num_queries):
    for n in range(30):
        enqueue(f"m-{n}")
        logged("peer", n % 2 == 0, minutes_ago=n)
    peers = len(health.peer_health())
    with django_assert_max_num_queries(1 + 2 * peers):
        health.peer_health()


def test_the_admin_page_shows_a_line_per_peer(client, recorder):
    enqueue("a")
    logged("peer", False, minutes_ago=1, status=503, error="HTTP 503 busy")
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:integrations_peerstatus_changelist")).content.decode()
    assert "对接系统状态" in page and "测试系统" in page and "HTTP 503 busy" in page and "故障" in page
    assert "统一网上缴费" in page


def test_staff_without_the_outbox_permission_do_not_see_the_page(client):
    client.force_login(factories.UserFactory(username="clerk", is_staff=True))
    assert client.get(reverse("admin:integrations_peerstatus_changelist")).status_code == 403
