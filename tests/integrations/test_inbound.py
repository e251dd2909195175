"""Inbound calls: HMAC signature, time window, one-time nonces, and a replay that changes nothing."""

import json
import time

import pytest
from django.contrib.auth import get_user_model

from integrations import credentials, signing
from integrations.models import InboundReceipt, PeerCredential, PeerRequestLog

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.integrations.urls")]

BANK = "/callbacks/bank/"


def signed(client, path, payload, credential, secret, *, method="post", **overrides):
    body = json.dumps(payload).encode()
    headers = signing.signed_headers(
        credential.key_id,
        secret,
        method.upper(),
        path,
        body,
        timestamp=overrides.pop("timestamp", None),
        nonce=overrides.pop("nonce", None),
    )
    headers.update(overrides)
    return getattr(client, method)(path, data=body, content_type="application/json", headers=headers)


def paid():
    return get_user_model().objects.filter(username__startswith="paid-").count()


def refusal(response):
    return response.status_code, response.json()["error"]["code"]


def test_a_well_signed_callback_is_accepted(client, credential):
    key, secret = credential
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret)
    assert response.status_code == 200
    assert response.json() == {"received": "N1", "credential": key.key_id}
    assert paid() == 1


def test_a_bad_signature_is_refused_and_logged(client, credential):
    key, _secret = credential
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, "forged")
    assert refusal(response) == (401, "bad_signature")
    assert "签名校验失败" in response.json()["error"]["message"]
    assert paid() == 0
    row = PeerRequestLog.objects.get()
    assert (row.direction, row.peer, row.status, row.error) == ("in", "payments", 401, "bad_signature")


def test_a_changed_body_breaks_the_signature(client, credential):
    key, secret = credential
    body = json.dumps({"notify_id": "N1", "amount_fen": 100}).encode()
    headers = signing.signed_headers(key.key_id, secret, "POST", BANK, body)
    tampered = json.dumps({"notify_id": "N1", "amount_fen": 1}).encode()
    response = client.post(BANK, data=tampered, content_type="application/json", headers=headers)
    assert refusal(response) == (401, "bad_signature")


def test_a_timestamp_outside_the_window_is_refused(client, credential):
    key, secret = credential
    old = int(time.time()) - 301
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret, timestamp=old)
    assert refusal(response) == (401, "timestamp_out_of_window")
    assert paid() == 0


def test_a_reused_nonce_is_refused(client, credential):
    key, secret = credential
    first = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret, nonce="nonce-0001")
    again = signed(client, BANK, {"notify_id": "N2", "amount_fen": 100}, key, secret, nonce="nonce-0001")
    assert first.status_code == 200
    assert refusal(again) == (401, "nonce_reused")
    assert paid() == 1


def test_missing_headers_and_unknown_keys_are_refused(client, credential):
    key, secret = credential
    bare = client.post(BANK, data={}, content_type="application/json")
    assert refusal(bare) == (401, "missing_signature")
    PeerCredential.objects.filter(pk=key.pk).update(is_active=False)
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret)
    assert refusal(response) == (401, "unknown_key")


def test_a_key_of_another_peer_is_refused(client):
    key, secret = credentials.create(peer="logistics", name="快递")
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret)
    assert refusal(response) == (403, "wrong_peer")


def test_a_replayed_external_id_gets_the_first_answer_and_changes_nothing(client, credential):
    key, secret = credential
    payload = {"notify_id": "N1", "amount_fen": 100}
    first = signed(client, BANK, payload, key, secret)
    for _ in range(5):
        again = signed(client, BANK, payload, key, secret)  # fresh nonce, same notification
        assert again.status_code == 200 and again.json() == first.json()
        assert again["Idempotent-Replay"] == "true"
    assert paid() == 1
    assert InboundReceipt.objects.get().external_id == "N1"


def test_the_same_external_id_with_another_body_is_a_conflict(client, credential):
    key, secret = credential
    signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret)
    response = signed(client, BANK, {"notify_id": "N1", "amount_fen": 999}, key, secret)
    assert refusal(response) == (409, "external_id_reused")
    assert paid() == 1


def test_a_refused_first_attempt_leaves_no_receipt_so_a_corrected_one_goes_through(client, credential):
    key, secret = credential
    assert signed(client, BANK, {"notify_id": "N1", "amount_fen": 0}, key, secret).status_code == 400
    assert not InboundReceipt.objects.exists()
    assert signed(client, BANK, {"notify_id": "N1", "amount_fen": 100}, key, secret).status_code == 200


def test_a_callback_without_its_external_id_is_refused(client, credential):
    key, secret = credential
    assert refusal(signed(client, BANK, {"amount_fen": 100}, key, secret)) == (400, "missing_external_id")


def test_a_callback_without_deduplication_is_only_authenticated(client):
    key, secret = credentials.create(peer="logistics", name="快递")
    assert signed(client, "/callbacks/tracking/", {"event": "delivered"}, key, secret).json() == {"ok": True}
    row = PeerRequestLog.objects.get()
    assert (row.direction, row.peer, row.status, row.ok) == ("in", "logistics", 200, True)


# --- the DRF front-end -------------------------------------------------------------


@pytest.fixture
def department_key(db):
    account = get_user_model().objects.create(username="dept-system")
    return credentials.create(peer="departments", name="市场监管局审批系统", user=account)


def test_an_inbound_api_call_acts_as_the_key_account(client, department_key):
    key, secret = department_key
    response = signed(client, "/api/cases/", {"external_id": "D-1"}, key, secret)
    assert response.status_code == 201 and response.json()["acting_as"] == "dept-system"


def test_an_inbound_api_call_is_refused_in_the_api_error_format(client, department_key):
    key, _secret = department_key
    response = signed(client, "/api/cases/", {"external_id": "D-1"}, key, "forged")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert response["WWW-Authenticate"].startswith("HMAC-SHA256")


def test_an_inbound_api_call_with_a_key_of_another_peer_is_forbidden(client, credential):
    key, secret = credential
    assert refusal(signed(client, "/api/cases/", {"external_id": "D-1"}, key, secret)) == (403, "wrong_peer")


def test_a_replayed_api_call_returns_the_first_answer(client, department_key):
    key, secret = department_key
    first = signed(client, "/api/cases/", {"external_id": "D-1"}, key, secret)
    second = signed(client, "/api/cases/", {"external_id": "D-1"}, key, secret)
    assert second.status_code == 201 and second.json() == first.json()
    assert second["Idempotent-Replay"] == "true"
    assert get_user_model().objects.filter(username="case-D-1").count() == 1


# --- secrets at rest ---------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_read_back(credential):
    key, secret = credential
    stored = PeerCredential.objects.get(pk=key.pk).secret_encrypted
    assert secret not in stored
    assert credentials.secret_of(key) == secret


def test_a_new_encryption_key_reads_old_secrets_through_its_fallback(credential, settings):
    key, secret = credential
    settings.INTEGRATIONS_ENCRYPTION_KEY = "a-dedicated-key-for-peer-secrets"
    settings.INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS = [settings.SECRET_KEY]
    assert credentials.secret_of(key) == secret
    assert credentials.reencrypt_all() == 1
    settings.INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS = []
    assert credentials.secret_of(PeerCredential.objects.get(pk=key.pk)) == secret
