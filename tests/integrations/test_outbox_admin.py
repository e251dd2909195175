"""Dead letters in the admin: visible with their last error, retried or discarded by an operator."""

import pytest
from django.db import transaction
from django.urls import reverse

from integrations import delivery, outbox
from integrations.errors import PeerRejected
from integrations.models import OutboxMessage
from tests import factories

State = OutboxMessage.State
CHANGELIST = "admin:integrations_outboxmessage_changelist"


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def dead(db, recorder):
    recorder.failures.append(PeerRejected("peer: HTTP 422 invalid_record: 缺少办结时间", status=422))
    with transaction.atomic():
        message = outbox.enqueue(
            topic="case.process_record",
            destination="peer",
            key="record-9",
            payload={"applicant_name": "李四"},
            ordering_key="case-9",
        )
    delivery.drain()
    message.refresh_from_db()
    assert message.state == State.DEAD
    return message


def test_a_dead_letter_is_listed_with_its_last_error(client, operator, dead):
    client.force_login(operator)
    page = client.get(reverse(CHANGELIST), {"state__exact": "dead"}).content.decode()
    assert "死信" in page and "缺少办结时间" in page


def test_the_retry_action_puts_a_dead_letter_back_with_a_fresh_budget(client, operator, dead, recorder):
    client.force_login(operator)
    response = client.post(
        reverse(CHANGELIST), {"action": "retry_messages", "_selected_action": [dead.pk]}, follow=True
    )
    assert "1 条消息已放回发送队列" in response.content.decode()
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (State.PENDING, 0)
    delivery.drain()
    assert recorder.keys == ["record-9"]


def test_the_discard_action_gives_up_and_says_who_did(client, operator, dead):
    client.force_login(operator)
    response = client.post(
        reverse(CHANGELIST), {"action": "discard_messages", "_selected_action": [dead.pk]}, follow=True
    )
    assert "1 条消息已丢弃" in response.content.decode()
    dead.refresh_from_db()
    assert dead.state == State.DISCARDED and dead.last_error.startswith("discarded: by operator")


def test_a_sent_message_cannot_be_discarded(client, operator, recorder):
    with transaction.atomic():
        message = outbox.enqueue(topic="t", destination="peer", key="k", payload={})
    delivery.drain()
    client.force_login(operator)
    response = client.post(
        reverse(CHANGELIST), {"action": "discard_messages", "_selected_action": [message.pk]}, follow=True
    )
    assert "只有死信和待发送的消息可以丢弃" in response.content.decode()
    assert OutboxMessage.objects.get(pk=message.pk).state == State.SENT


def test_only_superusers_see_the_payload_in_clear(client, operator, dead, django_user_model):
    from django.contrib.auth.models import Permission

    client.force_login(operator)
    url = reverse("admin:integrations_outboxmessage_change", args=[dead.pk])
    assert "李四" in client.get(url).content.decode()
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    page = client.get(url).content.decode()
    assert "李四" not in page and "仅超级管理员可见" in page


def test_nobody_adds_or_deletes_messages_by_hand(client, operator, dead):
    client.force_login(operator)
    assert client.get(reverse("admin:integrations_outboxmessage_add")).status_code == 403
    assert client.get(reverse("admin:integrations_outboxmessage_delete", args=[dead.pk])).status_code == 403
