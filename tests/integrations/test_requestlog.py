"""The request log: a row per request with no personal data, pruned after the retention period."""

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from integrations import delivery, maintenance, outbox
from integrations.http import PeerClient
from integrations.models import InboundNonce, InboundReceipt, OutboxMessage, PeerRequestLog
from integrations.requestlog import redact_url
from tests import factories

pytestmark = pytest.mark.django_db

ID_NUMBER = factories.make_id_number()
MOBILE = "13800138000"
PERSONAL = {"applicant_name": "李四", "applicant_id_number": ID_NUMBER, "contact_mobile": MOBILE}


def test_a_delivery_logs_its_request_without_personal_data(destination, peer_server):
    peer_server.script((400, {}, {"error": {"code": "invalid", "message": f"证件号 {ID_NUMBER} 无效"}}))
    peer_server.default = (200, {}, {"echo": PERSONAL}, 0)
    client = PeerClient(peer="peer", base_url=peer_server.url)

    def send(envelope):
        client.post(
            f"people/{ID_NUMBER}/",
            json=envelope.payload,
            params={"mobile": MOBILE},
            idempotency_key=envelope.key,
        )

    destination("peer", send)
    with transaction.atomic():
        first = outbox.enqueue(topic="t", destination="peer", key="a", payload=PERSONAL)
        outbox.enqueue(topic="t", destination="peer", key="b", payload=PERSONAL)
    delivery.drain()
    rows = list(PeerRequestLog.objects.order_by("id").values())
    assert len(rows) == 2 and rows[0]["outbox_message_id"] == first.pk
    assert (rows[0]["status"], rows[0]["ok"], rows[1]["status"], rows[1]["ok"]) == (400, False, 200, True)
    assert rows[1]["request_bytes"] > 0 and rows[1]["response_bytes"] > 0
    text = repr(rows)
    for secret in (ID_NUMBER, MOBILE, "李四"):
        assert secret not in text


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("https://bank.example/pay?token=abc&order=1", "https://bank.example/pay?token=*&order=*"),
        (f"http://id.example:8080/people/{ID_NUMBER}/check", "http://id.example:8080/people/***/check"),
        (f"http://sms.example/send/{MOBILE}", "http://sms.example/send/***"),
        ("https://user:pass@peer.example/a", "https://peer.example/a"),
    ],
)
def test_urls_are_logged_without_query_values_credentials_or_personal_numbers(url, logged):
    assert redact_url(url) == logged


def old(model, days, **fields):
    row = model.objects.create(**fields)
    model.objects.filter(pk=row.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    return row


def test_prune_deletes_what_is_older_than_its_retention_and_keeps_the_rest(settings):
    settings.INTEGRATION_LOG_RETENTION_DAYS = 30
    log = {"peer": "peer", "method": "GET", "url": "http://p/"}
    old(PeerRequestLog, 31, **log)
    kept_log = old(PeerRequestLog, 29, **log)
    old(InboundNonce, 1, key_id="k", nonce="n-old-0001")
    fresh_nonce = InboundNonce.objects.create(key_id="k", nonce="n-new-0001")
    old(InboundReceipt, 91, scope="payments", external_id="N0", body_sha256="0" * 64)
    message = {"topic": "t", "destination": "peer", "payload": {}}
    old(OutboxMessage, 91, idempotency_key="sent", state=OutboxMessage.State.SENT, **message)
    dead = old(OutboxMessage, 91, idempotency_key="dead", state=OutboxMessage.State.DEAD, **message)

    assert maintenance.prune() == {"request_logs": 1, "nonces": 1, "receipts": 1, "outbox_messages": 1}
    assert list(PeerRequestLog.objects.all()) == [kept_log]
    assert list(InboundNonce.objects.all()) == [fresh_nonce]
    assert list(OutboxMessage.objects.all()) == [dead]  # a dead letter waits for an operator


def test_the_prune_command_takes_a_shorter_period(capsys):
    old(PeerRequestLog, 8, peer="peer", method="GET", url="http://p/")
    call_command("integrations_prune", log_days=7)
    assert "request_logs: 1 deleted" in capsys.readouterr().out
    assert not PeerRequestLog.objects.exists()
