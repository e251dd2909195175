"""Fixtures of the integration tests: test destinations, a peer that records what it gets,
credentials, and a clean sandbox."""

import http.server
import json
import threading
import time

import pytest

from integrations import credentials, delivery, destinations
from integrations.sandbox import framework


@pytest.fixture(autouse=True)
def _no_background_delivery(settings):
    """Tests deliver explicitly (drain, deliver_one); the ones about kicking opt in."""
    settings.OUTBOX_KICK = "none"
    settings.OUTBOX_BACKOFF_BASE = 10.0
    settings.OUTBOX_BACKOFF_MAX = 3600.0
    yield
    assert delivery.wait_idle(timeout=30), "a background delivery outlived its test"


@pytest.fixture
def destination():
    """Register test destinations for the duration of a test: ``destination(name, sender)``.

    A name that a peer registered (``provincial``…) gets its real sender back afterwards.
    """
    replaced = {}

    def register(name, sender, **kwargs):
        replaced.setdefault(name, destinations.get(name))
        return destinations.register_destination(name, sender, **kwargs)

    yield register
    for name, previous in replaced.items():
        if previous is None:
            destinations.unregister_destination(name)
        else:
            destinations.register_destination(
                name, previous.sender, label=previous.label, enabled=previous.enabled
            )


class Recorder:
    """A sender that keeps every envelope, and can be told how to fail."""

    def __init__(self):
        self.envelopes = []
        self.lock = threading.Lock()
        self.failures: list[Exception] = []

    def __call__(self, envelope):
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.envelopes.append(envelope)

    @property
    def keys(self):
        return [envelope.key for envelope in self.envelopes]


@pytest.fixture
def recorder(destination):
    sender = Recorder()
    destination("peer", sender, label="测试系统")
    return sender


@pytest.fixture
def sandbox_quiet():
    """Let slow sandbox answers finish before the test's database goes away."""
    yield
    assert framework.wait_quiet(timeout=30)


@pytest.fixture
def credential(db):
    """An active key of the payments peer and its secret in clear."""
    return credentials.create(peer="payments", name="测试银行回调")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with server.lock:
            server.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            status, headers, payload, delay = server.answers.pop(0) if server.answers else server.default
        if delay:
            time.sleep(delay)
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class RecordingPeer(http.server.ThreadingHTTPServer):
    """A peer on a real socket: records requests, answers from a script (status, headers, body, delay)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests = []
        self.answers = []
        self.default = (200, {}, {"ok": True}, 0)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def script(self, *answers):
        """Answers in order: (status, headers, body[, delay]); then the default."""
        self.answers.extend(answer if len(answer) == 4 else (*answer, 0) for answer in answers)


@pytest.fixture
def peer_server():
    server = RecordingPeer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
