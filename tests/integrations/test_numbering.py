"""The provincial numbering client against the sandbox, over real sockets."""

import datetime
import json
import urllib.request

import pytest

from integrations.models import PeerRequestLog, SandboxSerialCounter
from integrations.provincial.numbering import NumberingClient, NumberingUnavailable
from integrations.sandbox import provincial as sandbox

CODE = "12441500196720244T3442199806003"
DAY = datetime.date(2026, 11, 16)


@pytest.fixture
def service(live_server, sandbox_quiet):
    sandbox.reset()
    yield f"{live_server.url}/sandbox/provincial/numbering/"
    sandbox.reset()


def control(service: str, method: str = "GET", body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{service}control/",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_the_service_hands_out_consecutive_numbers_per_code_and_day(service):
    client = NumberingClient(url=service, timeout=2)
    assert client.next_serial(implementation_code=CODE, day=DAY) == f"{CODE}202611160001"
    assert client.next_serial(implementation_code=CODE, day=DAY) == f"{CODE}202611160002"
    assert client.next_serial(implementation_code=CODE, day=DAY + datetime.timedelta(days=1)).endswith("0001")


def test_the_service_refuses_a_malformed_request(service):
    with pytest.raises(NumberingUnavailable, match="HTTP 400"):
        NumberingClient(url=service).next_serial(implementation_code="123", day=DAY)


def test_the_sandbox_can_be_told_to_fail_over_http(service):
    assert control(service, "POST", {"mode": "fail"}) == {"mode": "fail", "delay": 0.0}
    with pytest.raises(NumberingUnavailable, match="HTTP 503"):
        NumberingClient(url=service).next_serial(implementation_code=CODE, day=DAY)
    control(service, "DELETE")
    assert control(service) == {"mode": "ok", "delay": 0.0}
    assert NumberingClient(url=service).next_serial(implementation_code=CODE, day=DAY).endswith("0001")


def test_an_answer_that_is_not_json_is_unavailable(service):
    sandbox.set_mode("garbage")
    with pytest.raises(NumberingUnavailable, match="not JSON"):
        NumberingClient(url=service).next_serial(implementation_code=CODE, day=DAY)


def test_a_slow_service_times_out(service):
    sandbox.set_mode("ok", delay=1.5)
    started = datetime.datetime.now()
    with pytest.raises(NumberingUnavailable, match="unreachable"):
        NumberingClient(url=service, timeout=0.3).next_serial(implementation_code=CODE, day=DAY)
    assert (datetime.datetime.now() - started).total_seconds() < 1.4


def test_a_refused_connection_is_unavailable(db):
    with pytest.raises(NumberingUnavailable):
        NumberingClient(url="http://127.0.0.1:9/", timeout=1).next_serial(implementation_code=CODE, day=DAY)


def test_only_http_urls_are_called(db):
    with pytest.raises(NumberingUnavailable, match="http"):
        NumberingClient(url="file:///etc/passwd").next_serial(implementation_code=CODE, day=DAY)


def test_the_client_reads_its_settings(settings):
    settings.PROVINCIAL_NUMBERING_URL = "https://numbering.gd.example/api/serials"
    settings.PROVINCIAL_NUMBERING_TIMEOUT = 1.5
    settings.PROVINCIAL_NUMBERING_TOKEN = "secret"
    client = NumberingClient.from_settings()
    assert (client.url, client.timeout, client.token) == (
        "https://numbering.gd.example/api/serials",
        1.5,
        "secret",
    )
    settings.PROVINCIAL_NUMBERING_URL = ""
    with pytest.raises(NumberingUnavailable, match="not set"):
        NumberingClient.from_settings()


def test_the_token_is_sent_as_a_bearer_header(db, peer_server):
    peer_server.default = (200, {}, {"serial": f"{CODE}202611160001"}, 0)
    serial = NumberingClient(url=peer_server.url, timeout=2, token="t0k").next_serial(
        implementation_code=CODE, day=DAY
    )
    assert serial == f"{CODE}202611160001"
    assert peer_server.requests[0]["headers"]["Authorization"] == "Bearer t0k"


def test_each_call_leaves_a_request_log_row_of_the_provincial_peer(service):
    NumberingClient(url=service).next_serial(implementation_code=CODE, day=DAY)
    row = PeerRequestLog.objects.get()
    assert (row.peer, row.method, row.status, row.ok) == ("provincial", "POST", 200, True)
    assert row.url.endswith("/sandbox/provincial/numbering/")


def test_the_counters_live_in_the_sandbox_tables(service):
    NumberingClient(url=service).next_serial(implementation_code=CODE, day=DAY)
    assert SandboxSerialCounter.objects.get(implementation_code=CODE, day=DAY).last_value == 1
    sandbox.reset()
    assert not SandboxSerialCounter.objects.exists()
