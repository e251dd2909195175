"""The sandbox framework: a real HTTP service with its own tables, told to fail, be slow or answer garbage."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from integrations.errors import PeerAnswerUnreadable, PeerUnavailable
from integrations.http import PeerClient
from integrations.models import SandboxBehaviour, SandboxSerialCounter
from integrations.sandbox import framework
from integrations.sandbox import provincial as sandbox
from tests import factories

CODE = "12441500196720244T3442199806003"
NUMBERING = {"implementation_code": CODE, "date": "20261116"}


def control(base, method="GET", body=None):
    request = urllib.request.Request(
        f"{base}/sandbox/provincial/_control/",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def numbering(live_server, sandbox_quiet):
    return PeerClient(
        peer="provincial", base_url=f"{live_server.url}/sandbox/provincial/numbering/", read_timeout=1
    )


def test_the_knobs_are_set_and_read_over_http(live_server):
    assert control(live_server.url)["fail_rate"] == 0.0
    knobs = control(live_server.url, "POST", {"fail_rate": 0.5, "slow_rate": 0.1, "slow_seconds": 3})
    assert (knobs["fail_rate"], knobs["slow_rate"], knobs["slow_seconds"]) == (0.5, 0.1, 3.0)
    assert control(live_server.url, "DELETE")["fail_rate"] == 0.0


def test_bad_knobs_are_refused_with_the_field_named(live_server):
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(live_server.url, "POST", {"fail_rate": 0.8, "slow_rate": 0.5})
    body = json.loads(caught.value.read())
    assert caught.value.code == 400 and "fail_rate" in body["error"]["fields"]


def test_a_failing_sandbox_answers_503_and_keeps_nothing(numbering):
    framework.configure("provincial", fail_rate=1)
    with pytest.raises(PeerUnavailable) as caught:
        numbering.post(json=NUMBERING)
    assert (caught.value.status, caught.value.code) == (503, "sandbox_failure")
    assert not SandboxSerialCounter.objects.exists()


def test_a_slow_sandbox_times_the_client_out_but_does_the_work(numbering):
    framework.configure("provincial", slow_rate=1, slow_seconds=1.5)
    started = time.monotonic()
    with pytest.raises(PeerUnavailable, match="no answer within"):
        numbering.post(json=NUMBERING)
    assert time.monotonic() - started < 1.4
    assert framework.wait_quiet(timeout=10)
    assert SandboxSerialCounter.objects.get().last_value == 1  # the peer has it; the client does not know


def test_a_garbage_answer_is_html(numbering):
    framework.configure("provincial", garbage_rate=1)
    with pytest.raises(PeerAnswerUnreadable):
        numbering.post(json=NUMBERING).json()


@pytest.mark.django_db
def test_the_shares_are_respected_over_many_requests(client):
    framework.configure("provincial", fail_rate=0.5, garbage_rate=0.2)
    statuses = []
    for _ in range(400):
        response = client.post("/sandbox/provincial/numbering/", NUMBERING, content_type="application/json")
        statuses.append("fail" if response.status_code == 503 else response["Content-Type"].split(";")[0])
    assert 0.40 < statuses.count("fail") / 400 < 0.60
    assert 0.12 < statuses.count("text/html") / 400 < 0.28
    assert 0.20 < statuses.count("application/json") / 400 < 0.40


@pytest.mark.django_db
def test_reset_forgets_the_data_and_the_knobs(client):
    client.post("/sandbox/provincial/numbering/", NUMBERING, content_type="application/json")
    framework.configure("provincial", fail_rate=1)
    framework.reset("provincial")
    assert not SandboxSerialCounter.objects.exists() and not SandboxBehaviour.objects.exists()


@pytest.mark.django_db
def test_the_first_versions_modes_still_work(client):
    sandbox.set_mode("fail", delay=0.2)
    assert sandbox.current_mode() == {"mode": "fail", "delay": 0.2}
    assert (
        client.post("/sandbox/provincial/numbering/", NUMBERING, content_type="application/json").status_code
        == 503
    )


@pytest.mark.django_db
def test_an_unknown_sandbox_has_no_control(client):
    assert client.get("/sandbox/nowhere/_control/").status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_every_sandbox_and_edits_its_knobs(client):
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    url = reverse("admin:integrations_sandboxbehaviour_changelist")
    page = client.get(url).content.decode()
    row = SandboxBehaviour.objects.get(sandbox="provincial")
    assert "provincial" in page
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(row.pk),
        "form-0-fail_rate": "0.3",
        "form-0-slow_rate": "0.1",
        "form-0-slow_seconds": "5",
        "form-0-garbage_rate": "0",
        "form-0-latency_seconds": "0",
        "_save": "保存",
    }
    assert client.post(url, form).status_code == 302
    assert framework.knobs("provincial")["fail_rate"] == 0.3
