"""The base HTTP client, over real sockets: timeouts, retries only where harmless, errors, signing, logs."""

import socket
import time

import pytest

from integrations import signing
from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable
from integrations.http import PeerClient, SigningKey
from integrations.models import PeerRequestLog

pytestmark = pytest.mark.django_db

SERVER_DOWN = (503, {}, {"error": {"code": "unavailable", "message": "维护中"}})


def client(peer_server, **kwargs):
    kwargs.setdefault("read_timeout", 2)
    return PeerClient(peer="peer", base_url=peer_server.url, **kwargs)


def test_a_json_answer_is_returned_as_plain_data(peer_server):
    peer_server.default = (200, {}, {"serial": "A1"}, 0)
    response = client(peer_server).post("records/", json={"sequence": 1})
    assert (response.status, response.json()) == (200, {"serial": "A1"})
    request = peer_server.requests[0]
    assert (request["method"], request["path"], request["body"]) == ("POST", "/records/", b'{"sequence": 1}')


def test_the_idempotency_key_is_sent_as_a_header(peer_server):
    client(peer_server).post("records/", json={}, idempotency_key="record-17")
    assert peer_server.requests[0]["headers"]["Idempotency-Key"] == "record-17"


def test_a_4xx_is_a_rejection_with_the_peer_error_code(peer_server):
    peer_server.script((422, {}, {"error": {"code": "invalid_record", "message": "缺少办结时间"}}))
    with pytest.raises(PeerRejected) as caught:
        client(peer_server).post("records/", json={})
    assert (caught.value.status, caught.value.code) == (422, "invalid_record")
    assert "缺少办结时间" in str(caught.value)


def test_a_5xx_is_unavailable_and_carries_retry_after(peer_server):
    peer_server.script((503, {"Retry-After": "30"}, {"error": {"code": "busy", "message": ""}}))
    with pytest.raises(PeerUnavailable) as caught:
        client(peer_server).post("records/", json={})
    assert (caught.value.status, caught.value.retry_after) == (503, 30.0)


def test_an_answer_that_is_not_json_is_unreadable(peer_server):
    peer_server.default = (200, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>", 0)
    with pytest.raises(PeerAnswerUnreadable):
        client(peer_server).get("status/").json()


def test_a_slow_peer_times_out_after_the_read_timeout(peer_server):
    peer_server.default = (200, {}, {"ok": True}, 1.5)
    started = time.monotonic()
    with pytest.raises(PeerUnavailable, match=r"no answer within 0\.3s"):
        client(peer_server, read_timeout=0.3).get("status/")
    assert time.monotonic() - started < 1.2


def test_a_refused_connection_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PeerUnavailable, match="unreachable"):
        PeerClient(peer="peer", base_url=f"http://127.0.0.1:{port}/").get()


def test_only_http_urls_are_accepted():
    with pytest.raises(PeerUnavailable, match="http"):
        PeerClient(peer="peer", base_url="file:///etc/passwd")


def test_an_idempotent_request_is_retried_after_a_503(peer_server):
    peer_server.script(SERVER_DOWN, SERVER_DOWN)
    response = client(peer_server, retries=2).get("status/")
    assert response.status == 200 and len(peer_server.requests) == 3


def test_a_post_without_idempotency_key_is_never_retried(peer_server):
    peer_server.script(SERVER_DOWN)
    with pytest.raises(PeerUnavailable):
        client(peer_server, retries=3).post("payments/", json={})
    assert len(peer_server.requests) == 1


def test_a_post_with_an_idempotency_key_may_be_retried(peer_server):
    peer_server.script(SERVER_DOWN)
    client(peer_server, retries=1).post("records/", json={}, idempotency_key="record-1")
    assert len(peer_server.requests) == 2
    assert {request["headers"]["Idempotency-Key"] for request in peer_server.requests} == {"record-1"}


def test_a_rejection_is_not_retried(peer_server):
    peer_server.script((400, {}, {"error": {"code": "bad_request", "message": ""}}))
    with pytest.raises(PeerRejected):
        client(peer_server, retries=3).get("status/")
    assert len(peer_server.requests) == 1


def test_a_signed_request_verifies_with_the_shared_secret(peer_server):
    client(peer_server, signing=SigningKey("bank_1", "s3cret")).post("notify/?v=2", json={"amount_fen": 100})
    request = peer_server.requests[0]
    headers = request["headers"]
    assert headers["X-Key-Id"] == "bank_1"
    assert abs(int(headers["X-Timestamp"]) - time.time()) < 5
    assert signing.matches(
        "s3cret",
        headers["X-Signature"],
        "POST",
        "/notify/?v=2",
        headers["X-Timestamp"],
        headers["X-Nonce"],
        request["body"],
    )
    assert not signing.matches(
        "other",
        headers["X-Signature"],
        "POST",
        "/notify/?v=2",
        headers["X-Timestamp"],
        headers["X-Nonce"],
        request["body"],
    )


def test_each_attempt_leaves_one_log_row(peer_server):
    peer_server.script(SERVER_DOWN)
    client(peer_server, retries=1).get("status/", params={"token": "abc"})
    rows = list(PeerRequestLog.objects.order_by("id"))
    assert [(row.status, row.ok) for row in rows] == [(503, False), (200, True)]
    assert rows[0].error == "HTTP 503 unavailable"  # the code, never the peer's message
    assert rows[1].url.endswith("/status/?token=*") and rows[1].response_bytes == len(b'{"ok": true}')
