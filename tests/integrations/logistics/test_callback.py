"""The carrier's signed tracking callback: verified, once per event id, refusals logged."""

import json

import pytest
from django.utils import timezone

from integrations import credentials
from integrations.logistics import services
from integrations.logistics.models import ShipmentState, TrackingEvent
from integrations.models import PeerRequestLog
from integrations.sandbox import logistics as sandbox

from .conftest import CALLBACK, ask, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(completed_case):
    shipment = ask(completed_case)
    return services.record_waybill(shipment_id=shipment.pk, waybill_no="9812345678901")


def event(number="9812345678901", event_id="9812345678901-01", status="picked_up"):
    return {
        "event_id": event_id,
        "waybill_no": number,
        "status": status,
        "description": "快递员已揽收",
        "location": "中山市",
        "occurred_at": timezone.now().isoformat(),
    }


def test_a_signed_event_is_recorded_and_moves_the_parcel(client, shipment):
    response = signed_post(client, event())
    assert response.status_code == 200
    assert response.json() == {"received": "9812345678901-01", "duplicate": False}
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PICKED_UP
    assert TrackingEvent.objects.get().source == "callback"


def test_a_replayed_callback_gives_one_event(client, shipment):
    payload = event()
    body = json.dumps(payload).encode()
    answers = [signed_post(client, payload, body=body) for _ in range(5)]  # fresh nonce each time
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.get("Idempotent-Replay") for a in answers[1:]] == ["true"] * 4
    assert TrackingEvent.objects.count() == 1


def test_an_event_polled_first_and_called_back_later_is_kept_once(client, shipment):
    payload = event()
    services.record_event(services.mapping.event(payload), source="poll")
    response = signed_post(client, payload)
    assert response.json()["duplicate"] is True
    assert TrackingEvent.objects.count() == 1


def test_a_forged_signature_is_refused_and_logged(client, shipment):
    key = sandbox.callback_key()
    forged = type(key)(key.key_id, "not-the-secret")
    response = signed_post(client, event(), key=forged)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert not TrackingEvent.objects.exists()
    assert PeerRequestLog.objects.filter(peer="logistics", direction="in", error="bad_signature").exists()


def test_a_key_of_another_peer_is_refused(client, shipment):
    credential, secret = credentials.create(peer="payments", name="银行")
    response = signed_post(client, event(), key=type(sandbox.callback_key())(credential.key_id, secret))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "wrong_peer")
    assert not TrackingEvent.objects.exists()


def test_an_unsigned_callback_is_refused(client, shipment):
    response = client.post(CALLBACK, data=json.dumps(event()), content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_signature")


def test_an_event_for_an_unknown_waybill_is_a_404_and_may_come_again(client, shipment):
    payload = event(number="9800000000000", event_id="x-1")
    assert signed_post(client, payload).json()["error"]["code"] == "unknown_waybill"
    assert signed_post(client, payload).status_code == 404  # no receipt kept for a refusal


def test_an_unreadable_event_is_a_400_with_the_missing_fields(client, shipment):
    payload = {"event_id": "e-1", "waybill_no": "9812345678901"}
    response = signed_post(client, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_event"
    assert "status" in response.json()["error"]["message"]


def test_the_sandbox_key_is_made_once_and_follows_a_regeneration(db):
    first = sandbox.callback_key()
    assert sandbox.callback_key() == first
    credential = sandbox.PeerCredential.objects.get(key_id=first.key_id)
    assert credential.peer == "logistics"
    new_secret = credentials.rotate(credential)
    assert sandbox.callback_key().secret == new_secret
