"""The carrier client against its sandbox over real HTTP: answers, error bodies, timeouts."""

import pytest

from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable
from integrations.logistics import client
from integrations.logistics.models import SandboxWaybill
from integrations.sandbox import framework

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST = {
    "order_no": "ZW000000000001",
    "service": "standard",
    "items": "政务服务办理结果（证照/批文）",
    "sender": {"name": "中山市市场监督管理局", "phone": "0760-12345678", "address": "中山市东区松苑路1号"},
    "recipient": {"name": "李四", "phone": "13800138000", "address": "广东省中山市东区中山三路 88 号"},
    "callback_url": "",
}


def test_a_waybill_is_created_once_per_idempotency_key(carrier):
    first = client.create_waybill(REQUEST, idempotency_key="logistics-shipment-1")
    again = client.create_waybill(REQUEST, idempotency_key="logistics-shipment-1")
    other = client.create_waybill(REQUEST, idempotency_key="logistics-shipment-2")
    assert first["waybill_no"] == again["waybill_no"] != other["waybill_no"]
    assert first["status"] == "created"
    assert SandboxWaybill.objects.count() == 2


def test_a_waybill_is_read_back_with_its_events(carrier):
    number = client.create_waybill(REQUEST, idempotency_key="k-read")["waybill_no"]
    from integrations.sandbox import logistics as sandbox

    sandbox.advance(number, to="in_transit", notify=False)
    answer = client.waybill(number)
    assert answer["status"] == "in_transit"
    assert [event["status"] for event in answer["events"]] == ["picked_up", "in_transit"]
    assert answer["events"][0]["event_id"] == f"{number}-01"


def test_a_request_without_idempotency_key_is_rejected_with_its_code(carrier):
    with pytest.raises(PeerRejected) as refused:
        client.client().post("waybills/", json=REQUEST)
    assert (refused.value.status, refused.value.code) == (400, "missing_idempotency_key")


def test_an_incomplete_waybill_is_rejected_and_names_the_fields(carrier):
    incomplete = {**REQUEST, "recipient": {"name": "李四", "phone": "", "address": ""}}
    with pytest.raises(PeerRejected) as refused:
        client.create_waybill(incomplete, idempotency_key="k-bad")
    assert (refused.value.status, refused.value.code) == (400, "validation_error")
    assert not SandboxWaybill.objects.exists()


def test_an_unknown_waybill_is_a_404_in_the_error_format(carrier):
    with pytest.raises(PeerRejected) as refused:
        client.waybill("9800000000000")
    assert (refused.value.status, refused.value.code) == (404, "not_found")


def test_a_failing_carrier_is_unavailable(carrier):
    framework.configure("logistics", fail_rate=1)
    with pytest.raises(PeerUnavailable) as failed:
        client.create_waybill(REQUEST, idempotency_key="k-fail")
    assert (failed.value.status, failed.value.code) == (503, "sandbox_failure")
    assert not SandboxWaybill.objects.exists()


def test_a_garbage_answer_is_unreadable(carrier):
    framework.configure("logistics", garbage_rate=1)
    with pytest.raises(PeerAnswerUnreadable):
        client.create_waybill(REQUEST, idempotency_key="k-garbage")


def test_a_timeout_leaves_the_waybill_with_the_carrier_and_the_retry_gets_the_same_number(carrier, settings):
    settings.PEER_READ_TIMEOUT = 0.5
    framework.configure("logistics", slow_rate=1, slow_seconds=1.5)
    with pytest.raises(PeerUnavailable):
        client.create_waybill(REQUEST, idempotency_key="k-slow")
    assert framework.wait_quiet(timeout=10)
    stored = SandboxWaybill.objects.get(idempotency_key="k-slow")
    framework.configure("logistics", slow_rate=0)
    assert client.create_waybill(REQUEST, idempotency_key="k-slow")["waybill_no"] == stored.waybill_no
    assert SandboxWaybill.objects.count() == 1
