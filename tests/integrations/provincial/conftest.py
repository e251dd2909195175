"""Fixtures of the provincial exchange tests: the sandbox on a live server, cases built
through the services, and a drain loop that also works on SQLite's shared test connection."""

import time

import pytest
from django.db import connection

from applications import services
from applications.services import ApplicantData
from integrations import delivery
from integrations.sandbox import framework
from matters.models import DepartmentMembership
from tests import factories

Role = DepartmentMembership.Role
APPLICANT = ApplicantData(name="李四", id_number=factories.make_id_number(), mobile="13800138000")


@pytest.fixture
def exchange(live_server, settings, sandbox_quiet):
    """PROVINCIAL_EXCHANGE_URL pointed at the sandbox on the live server, sandbox emptied."""
    settings.PROVINCIAL_EXCHANGE_URL = f"{live_server.url}/sandbox/provincial/"
    settings.PROVINCIAL_EXCHANGE_READ_TIMEOUT = 5.0
    framework.reset("provincial")
    yield settings.PROVINCIAL_EXCHANGE_URL
    framework.wait_quiet(timeout=30)
    framework.reset("provincial")


@pytest.fixture
def people(department):
    make = factories.StaffFactory
    return {
        "clerk": make(username="clerk", real_name="窗口甲", department=department),
        "reviewer": make(
            username="reviewer", real_name="审核乙", department=department, department__role=Role.REVIEWER
        ),
        "approver": make(
            username="approver", real_name="负责人丙", department=department, department__role=Role.APPROVER
        ),
    }


@pytest.fixture
def submitted(citizen, matter):
    """``submitted()``: a new case of ``matter``, submitted by the citizen."""

    def make():
        case = services.create_draft(applicant=citizen, matter=matter, data=APPLICANT)
        return services.submit(case=case, actor=citizen, check_completeness=False)

    return make


def drain_all(destination: str = "provincial", *, seconds: float = 120) -> int:
    """Drain until nothing is left to send. On SQLite the live server shares the test's
    connection, so after a timed-out request we wait for the sandbox to finish its work
    before the outbox writes the outcome (PostgreSQL needs no such care)."""
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = delivery.drain(destination=destination, limit=1000)
        sent += result.sent
        if connection.vendor == "sqlite":
            framework.wait_quiet(timeout=30)
        if not result.attempted:
            from integrations.models import OutboxMessage

            unsent = OutboxMessage.objects.filter(
                destination=destination, state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.SENDING]
            )
            if not unsent.exists():
                return sent
    from integrations.models import OutboxMessage

    left = OutboxMessage.objects.filter(destination=destination).exclude(state=OutboxMessage.State.SENT)
    states = sorted(left.values_list("state", "last_error")[:5])
    raise AssertionError(f"the outbox did not drain: {left.count()} unsent, e.g. {states}")


@pytest.fixture
def serialized_sender():
    """The real sender, made to wait for slow sandbox answers on SQLite (see drain_all)."""
    from integrations import destinations
    from integrations.provincial import senders

    def send(envelope):
        try:
            return senders.send(envelope)
        except Exception:
            if connection.vendor == "sqlite":
                framework.wait_quiet(timeout=30)
            raise

    destinations.register_destination("provincial", send, enabled=lambda: True)
    yield
    destinations.register_destination(
        "provincial", senders.send, label=senders.LABEL, enabled=lambda: bool(senders.exchange_url())
    )
