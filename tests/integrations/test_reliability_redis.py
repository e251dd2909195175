"""Redis stopped while cases are submitted: the submissions succeed at their usual speed, the
outbox messages wait (pending), and once Redis is back the beat sweep's tasks deliver every one
of them exactly once, through a real Celery worker on a real Redis.

The test starts its own ``redis-server`` on a free port so that it can stop it (the shared
Redis of the machine or of CI is never stopped). While "Redis is down" the Celery broker points
at that port with nothing listening; Redis then comes back on the same port. Without the
binary, but with ``REDIS_URL`` set (CI with a Redis service), Redis "comes back" as the real one
(database 15). Otherwise the test is skipped, saying why.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest
from django.db import close_old_connections
from rest_framework.test import APIClient

from applications.models import Case
from integrations import delivery, destinations
from integrations.models import OutboxMessage
from portal import publishing
from tests import factories
from tests.integrations.conftest import Recorder

pytestmark = [pytest.mark.django_db(transaction=True)]

CASES = 6
DESTINATION = "provincial"  # every transition writes its process record to the provincial exchange


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RedisUnderTest:
    """A Redis this test may stop: its own redis-server, or (CI without the binary) the real one."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        real = os.environ.get("REDIS_URL", "")
        self.real_url = real.rsplit("/", 1)[0] + "/15" if real else ""

    @property
    def down_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def up_url(self) -> str:
        return self.down_url if self.binary else self.real_url

    def start(self) -> None:
        if not self.binary:
            return
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _listening(self.port):
            assert self.process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_under_test():
    server = RedisUnderTest()
    if not server.binary and not server.real_url:
        pytest.skip("needs redis-server (to start and stop a Redis of its own) or REDIS_URL (CI's Redis)")
    assert not _listening(server.port)
    yield server
    server.stop()


@pytest.fixture
def celery_app(settings, monkeypatch):
    """The project's Celery app in the production shape (tasks published, not run eagerly)."""
    from portal.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_connection_retry")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_KICK = "task"
    publishing.publisher.forget_broker_failure()
    app.conf.task_always_eager = False

    def point_broker(url: str) -> None:
        _reset_pools(app)
        app.conf.broker_url = url

    yield app, point_broker
    _reset_pools(app)
    app.conf.update(saved)


def _reset_pools(app) -> None:
    """Forget the connections to the previous broker (kombu's shared pools are left alone)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def peer():
    """The provincial exchange replaced by a recorder for this test (the real sender restored)."""
    previous = destinations.get(DESTINATION)
    recorder = Recorder()
    destinations.register_destination(DESTINATION, recorder, label="测试省厅")
    yield recorder
    if previous is None:
        destinations.unregister_destination(DESTINATION)
    else:
        destinations.register_destination(
            DESTINATION, previous.sender, label=previous.label, enabled=previous.enabled
        )


def test_cases_submitted_while_redis_is_down_are_delivered_when_it_returns(
    redis_under_test, celery_app, peer, department
):
    from celery.contrib.testing.worker import start_worker

    app, point_broker = celery_app
    matter = factories.MatterFactory(department=department, name="个体工商户登记")
    citizens = [factories.UserFactory(username=f"applicant-{i}", real_name="王五") for i in range(CASES)]

    # Redis is down: nothing listens where the broker points.
    point_broker(redis_under_test.down_url)
    timings = []
    for i, citizen in enumerate(citizens):
        api = APIClient()
        api.force_authenticate(citizen)
        started = time.monotonic()
        response = api.post(
            "/api/v1/applications/",
            {
                "matter": matter.implementation_code,
                "id_number": factories.make_id_number(serial=100 + i),
                "mobile": "13800138000",
                "submit": True,
            },
            format="json",
        )
        timings.append(time.monotonic() - started)
        assert response.status_code == 201, response.content
    assert delivery.wait_idle(timeout=30)

    assert Case.objects.filter(state="submitted").count() == CASES
    waiting = OutboxMessage.objects.filter(destination=DESTINATION)
    assert waiting.count() == CASES
    assert set(waiting.values_list("state", flat=True)) == {OutboxMessage.State.PENDING}
    assert peer.envelopes == []
    # The applicant did not wait for the broker: after the first request (which warms the
    # process up) each answer comes in well under the time a blocked publish would take.
    print(f"submission times with Redis down: {', '.join(f'{t:.2f}s' for t in timings)}")
    assert max(timings[1:]) < 2.5, timings

    # Redis returns; beat's sweep publishes a drain task, a worker on that Redis delivers.
    redis_under_test.start()
    point_broker(redis_under_test.up_url)
    close_old_connections()
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        result = delivery.sweep(dispatch=True)
        assert DESTINATION in result.dispatched
        deadline = time.monotonic() + 30
        while len(peer.envelopes) < CASES and time.monotonic() < deadline:
            time.sleep(0.1)

    keys = sorted(peer.keys)
    assert len(keys) == CASES and len(set(keys)) == CASES  # all of them, each once
    assert set(waiting.values_list("state", flat=True)) == {OutboxMessage.State.SENT}
