"""The provincial numbering provider over real HTTP to the sandbox, and its local fallback."""

import datetime
import time

import pytest

from applications import serials
from applications.models import Case, State
from integrations.models import OutboxMessage
from integrations.sandbox import provincial as sandbox

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rendered_documents")]


# The provider asks the numbering service inside the case's transaction. On SQLite that
# transaction holds the database's only write lock, so a sandbox served from the same database
# (live_server) cannot write its counter until the case commits: these run on PostgreSQL.
on_postgres = pytest.mark.postgres


@pytest.fixture
def provincial(settings, live_server):
    settings.SERIAL_PROVIDER = "applications.serials.ProvincialSerialProvider"
    settings.PROVINCIAL_NUMBERING_URL = f"{live_server.url}/sandbox/provincial/numbering/"
    settings.PROVINCIAL_NUMBERING_TIMEOUT = 0.5
    sandbox.reset()
    yield
    sandbox.reset()


@pytest.fixture
def today(time_machine):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=True)
    return datetime.date(2026, 11, 16)


@on_postgres
def test_numbers_come_from_the_provincial_service(provincial, today, build):
    first, second = build(State.SUBMITTED), build(State.SUBMITTED)
    assert first.serial.endswith("202611160001") and second.serial.endswith("202611160002")
    assert not first.serial_pending_reconciliation
    assert not OutboxMessage.objects.filter(topic="case.serial_reconciliation").exists()


@on_postgres
@pytest.mark.parametrize("mode", ["fail", "garbage"])
def test_a_broken_service_gives_a_local_number_marked_for_reconciliation(mode, provincial, today, build):
    sandbox.set_mode(mode)
    case = build(State.SUBMITTED)
    assert case.serial.endswith("202611165001")
    assert case.serial_pending_reconciliation is True
    assert case.current_record.details["serial_pending_reconciliation"] is True
    message = OutboxMessage.objects.get(topic="case.serial_reconciliation")
    assert message.payload["serial"] == case.serial and message.ordering_key == f"case-{case.pk}"
    first_record = OutboxMessage.objects.get(idempotency_key=case.current_record.key)
    assert message.pk < first_record.pk  # the province learns the number before the records


@on_postgres
def test_a_slow_service_times_out_and_the_applicant_does_not_wait(provincial, today, build):
    sandbox.set_mode("ok", delay=2)
    started = datetime.datetime.now()
    case = build(State.SUBMITTED)
    assert (datetime.datetime.now() - started).total_seconds() < 1.9
    assert case.serial_pending_reconciliation and case.serial.endswith("5001")
    time.sleep(2)  # let the sandbox finish its slow answer while this test still owns the database


@on_postgres
def test_the_service_back_up_gives_provincial_numbers_again(provincial, today, build):
    sandbox.set_mode("fail")
    fallback = build(State.SUBMITTED)
    sandbox.set_mode("ok")
    normal = build(State.SUBMITTED)
    assert fallback.serial.endswith("5001") and normal.serial.endswith("0001")
    assert not normal.serial_pending_reconciliation


def test_an_unreachable_service_falls_back(settings, today, build):
    settings.SERIAL_PROVIDER = "applications.serials.ProvincialSerialProvider"
    settings.PROVINCIAL_NUMBERING_URL = "http://127.0.0.1:9/numbering/"  # discard port: refused
    case = build(State.SUBMITTED)
    assert case.serial_pending_reconciliation and case.serial.endswith("5001")


def test_no_configured_url_falls_back(settings, today, build):
    settings.SERIAL_PROVIDER = "applications.serials.ProvincialSerialProvider"
    settings.PROVINCIAL_NUMBERING_URL = ""
    assert build(State.SUBMITTED).serial_pending_reconciliation


class FakeClient:
    def __init__(self, answer):
        self.answer = answer

    def next_serial(self, *, implementation_code, day):
        return self.answer(implementation_code, day)


def test_a_number_for_another_matter_or_day_is_not_trusted(today, build):
    case = build(State.SUBMITTED)
    code = build.matter.implementation_code
    with_other_day = serials.ProvincialSerialProvider(FakeClient(lambda c, d: f"{c}202001010001"))
    with_used_number = serials.ProvincialSerialProvider(FakeClient(lambda c, d: case.serial))
    from django.db import transaction

    with transaction.atomic():
        assert with_other_day.next_serial(implementation_code=code, day=today).pending_reconciliation
        assert with_used_number.next_serial(implementation_code=code, day=today).pending_reconciliation
    assert Case.objects.filter(serial=case.serial).count() == 1
