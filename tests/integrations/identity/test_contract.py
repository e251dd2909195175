"""Contract: the identity client against its sandbox over real HTTP (live server), including
error bodies, timeouts and a peer that is down."""

import json
import time
import urllib.error
import urllib.request

import pytest

from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable
from integrations.http import PeerClient
from integrations.identity.client import IdentityClient
from integrations.identity.hashing import id_number_hash
from integrations.identity.models import SandboxIdentityQuery
from integrations.models import PeerRequestLog
from integrations.sandbox import framework
from integrations.sandbox import identity as sandbox

from .conftest import ACTIVE, CANCELLED, DECEASED, LI, REVOKED, UNKNOWN_ID, UNKNOWN_USCC, ZHANG


@pytest.mark.parametrize(
    ("name", "number", "result"),
    [
        (ZHANG[0], ZHANG[1], "matched"),
        ("张叁", ZHANG[1], "mismatched"),
        (LI[0], LI[1], "matched"),
        ("无名", UNKNOWN_ID, "not_found"),
        (DECEASED[0], DECEASED[1], "deceased"),
    ],
)
def test_the_population_database_answers_each_result(identity, name, number, result):
    answer = IdentityClient(identity).verify_person(name=name, id_number=number)
    assert answer.result == result
    assert answer.source == "sandbox" and len(answer.reference) == 32


def test_a_malformed_question_is_refused_with_an_error_body(identity):
    raw = PeerClient(peer="identity", base_url=identity)
    with pytest.raises(PeerRejected) as caught:
        raw.post("people/verify/", json={"name": "张三", "id_number": "123"})
    assert (caught.value.status, caught.value.code) == (400, "bad_request")
    assert "身份证号码" in str(caught.value)


def test_the_id_number_travels_in_the_body_and_is_never_logged_or_kept_in_clear(identity):
    IdentityClient(identity).verify_person(name=ZHANG[0], id_number=ZHANG[1])
    log = PeerRequestLog.objects.get(peer="identity")
    assert log.url.endswith("/sandbox/identity/people/verify/") and log.ok
    query = SandboxIdentityQuery.objects.get()
    assert query.subject == id_number_hash(ZHANG[1]) and ZHANG[1] not in query.subject
    person = sandbox.SandboxPerson.objects.get(id_number_hash=id_number_hash(ZHANG[1]))
    assert person.id_number_masked == ZHANG[1][:6] + "********" + ZHANG[1][-4:]


@pytest.mark.parametrize(
    ("record", "status"), [(ACTIVE, "active"), (REVOKED, "revoked"), (CANCELLED, "cancelled")]
)
def test_the_legal_person_database_returns_name_representative_and_status(identity, record, status):
    found = IdentityClient(identity).enterprise(record[0])
    assert (found.uscc, found.name, found.legal_representative) == record[:3]
    assert (found.status, found.status_text) == (status, record[3])


def test_an_unknown_enterprise_is_none(identity):
    assert IdentityClient(identity).enterprise(UNKNOWN_USCC) is None
    assert SandboxIdentityQuery.objects.get().answer == "not_found"


def test_the_not_found_and_bad_request_bodies(identity):
    for code, expected in ((UNKNOWN_USCC, (404, "not_found")), ("91442000ABC", (400, "bad_request"))):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{identity}enterprises/{code}/", timeout=5)
        body = json.loads(caught.value.read())
        assert (caught.value.code, body["error"]["code"]) == expected
        assert body["error"]["message"]


def test_a_failing_peer_is_unavailable_after_one_retry(identity):
    framework.configure("identity", fail_rate=1)
    with pytest.raises(PeerUnavailable) as caught:
        IdentityClient(identity).verify_person(name=ZHANG[0], id_number=ZHANG[1])
    assert (caught.value.status, caught.value.code) == (503, "sandbox_failure")
    # A read-only call: asked twice (one retry), never more.
    assert PeerRequestLog.objects.filter(peer="identity").count() == 2
    assert not SandboxIdentityQuery.objects.exists()


def test_the_enterprise_call_is_retried_once_too(identity):
    framework.configure("identity", fail_rate=1)
    with pytest.raises(PeerUnavailable):
        IdentityClient(identity).enterprise(ACTIVE[0])
    assert PeerRequestLog.objects.filter(peer="identity", method="GET").count() == 2


def test_an_answer_that_is_not_json_is_unreadable(identity):
    framework.configure("identity", garbage_rate=1)
    with pytest.raises(PeerAnswerUnreadable):
        IdentityClient(identity, retries=0).verify_person(name=ZHANG[0], id_number=ZHANG[1])


def test_a_slow_peer_times_out_within_the_read_timeout(identity):
    framework.configure("identity", slow_rate=1, slow_seconds=1.5)
    started = time.monotonic()
    with pytest.raises(PeerUnavailable, match="no answer within"):
        IdentityClient(identity, read_timeout=0.3, retries=0).enterprise(ACTIVE[0])
    assert time.monotonic() - started < 1.2


def test_a_peer_that_is_down_is_unavailable(db):
    with pytest.raises(PeerUnavailable, match="unreachable"):
        IdentityClient("http://127.0.0.1:9/", connect_timeout=1).verify_person(
            name=ZHANG[0], id_number=ZHANG[1]
        )


def test_an_unknown_result_from_a_peer_is_unreadable(peer_server, db):
    peer_server.script((200, {}, {"result": "maybe"}))
    with pytest.raises(PeerAnswerUnreadable):
        IdentityClient(peer_server.url).verify_person(name=ZHANG[0], id_number=ZHANG[1])
    sent = json.loads(peer_server.requests[0]["body"])
    assert sent == {"name": ZHANG[0], "id_number": ZHANG[1]}
    assert peer_server.requests[0]["path"] == "/people/verify/"


def test_the_client_signs_when_a_key_is_configured(peer_server, settings, db):
    settings.IDENTITY_KEY_ID = "hall-1"
    settings.IDENTITY_SECRET = "s3cret-s3cret-s3cret"
    peer_server.script((200, {}, {"result": "matched"}))
    IdentityClient(peer_server.url).verify_person(name=ZHANG[0], id_number=ZHANG[1])
    headers = {k.lower(): v for k, v in peer_server.requests[0]["headers"].items()}
    assert headers["x-key-id"] == "hall-1" and len(headers["x-signature"]) == 64
