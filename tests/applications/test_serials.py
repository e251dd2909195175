"""Unified serial numbers, local provider: format, daily sequence, no gaps, validation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from applications import serials, services
from applications.models import Case, SerialCounter, State
from applications.workflow import TransitionNotAllowed
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]

D = datetime.date
CODE = "12441500196720244T3442199806003"  # STANDARDS.md's worked example


@pytest.fixture
def at(time_machine):
    def move(moment: str):
        time_machine.move_to(f"{moment} +0800", tick=False)

    return move


def test_the_serial_is_the_implementation_code_the_date_and_a_four_digit_sequence(build, at):
    at("2026-06-23 10:00")
    case = build(State.SUBMITTED)
    assert len(case.serial) == 43
    assert case.serial[:31] == build.matter.implementation_code
    assert case.serial[31:39] == "20260623"
    assert case.serial[39:] == "0001"


def test_the_sequence_counts_per_matter_and_day(build, at, department):
    other_matter = factories.MatterFactory(department=department)
    at("2026-06-23 10:00")
    first, second = build(State.SUBMITTED), build(State.SUBMITTED)
    other = build(State.SUBMITTED, matter=other_matter)
    at("2026-06-24 08:30")
    next_day = build(State.SUBMITTED)
    assert [first.serial[-4:], second.serial[-4:]] == ["0001", "0002"]
    assert other.serial[-4:] == "0001" and other.serial[:31] == other_matter.implementation_code
    assert next_day.serial.endswith("202606240001")


def test_the_channel_is_not_part_of_the_number(build, clerk, at):
    at("2026-06-23 10:00")
    online = build(State.SUBMITTED)
    window = services.register_window_case(staff=clerk, matter=build.matter, data=build_data())
    assert online.serial[:39] == window.serial[:39]
    assert (online.channel, window.channel) == ("2", "1")
    assert window.serial.endswith("0002")


def build_data():
    from tests.applications.conftest import APPLICANT

    return APPLICANT


def test_a_rolled_back_submission_does_not_consume_a_number(build, at):
    at("2026-06-23 10:00")
    first = build(State.SUBMITTED)
    doomed = build.draft()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit(case=doomed, actor=doomed.applicant)
        raise RuntimeError("the request failed after the submission")
    assert Case.objects.get(pk=doomed.pk).serial is None
    after = build(State.SUBMITTED)
    assert [first.serial[-4:], after.serial[-4:]] == ["0001", "0002"]
    assert SerialCounter.objects.get(implementation_code=build.matter.implementation_code).last_value == 2


def test_the_database_refuses_a_duplicate_serial(build):
    case = build(State.SUBMITTED)
    other = build.draft()
    other.serial = case.serial
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_a_draft_has_no_number_and_many_drafts_coexist(build):
    assert build.draft().serial is None and build.draft().serial is None


def test_the_ten_thousandth_case_of_a_day_is_refused_clearly(build, at):
    at("2026-06-23 10:00")
    SerialCounter.objects.create(
        implementation_code=build.matter.implementation_code, day=D(2026, 6, 23), last_value=9999
    )
    case = build.draft()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.submit(case=case, actor=case.applicant)
    assert refused.value.code == "serial_exhausted"
    assert Case.objects.get(pk=case.pk).state == State.DRAFT


def test_the_local_provider_needs_the_callers_transaction(db):
    with transaction.atomic():
        issued = serials.LocalSerialProvider().next_serial(implementation_code=CODE, day=D(2026, 6, 23))
    assert issued == serials.IssuedSerial(f"{CODE}202606230001", pending_reconciliation=False)


def test_a_fallback_range_never_goes_backwards_on_a_counter_already_used(db):
    with transaction.atomic():
        for _ in range(3):
            serials.LocalSerialProvider().next_serial(implementation_code=CODE, day=D(2026, 6, 23))
        assert (
            serials.LocalSerialProvider(5001)
            .next_serial(implementation_code=CODE, day=D(2026, 6, 23))
            .serial[-4:]
            == "5001"
        )
        assert (
            serials.LocalSerialProvider()
            .next_serial(implementation_code=CODE, day=D(2026, 6, 23))
            .serial[-4:]
            == "5002"
        )


# --- Parsing ----------------------------------------------------------------------------


def test_a_well_formed_serial_is_parsed(db):
    parsed = serials.parse_serial(f" {CODE.lower()}202206230068 ")
    assert parsed == serials.ParsedSerial(CODE, D(2022, 6, 23), 68)
    assert parsed.serial == f"{CODE}202206230068"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (f"{CODE}2022062300", "serial_length", "应为43位，当前为41位"),
        (f"{CODE}2022O6230068", "serial_format", "31位实施编码、8位日期和4位顺序号"),
        (f"{CODE[:17]}X{CODE[18:]}202206230068", "implementation_code_uscc", "校验位不正确"),
        (f"{CODE[:18]}8{CODE[19:]}202206230068", "implementation_code_format", "行使层级"),
        (f"{CODE}202602300068", "serial_date", "日期不存在"),
        (f"{CODE}209901010001", "serial_date_future", "晚于今天"),
        (f"{CODE}202206230000", "serial_sequence", "从0001开始"),
        ("", "serial_length", "当前为0位"),
    ],
)
def test_a_malformed_serial_is_refused_with_the_reason(value, code, message):
    with pytest.raises(ValidationError) as refused:
        serials.parse_serial(value)
    assert refused.value.code == code
    assert message in " ".join(refused.value.messages)


def test_the_provider_is_chosen_in_settings(settings):
    settings.SERIAL_PROVIDER = "applications.serials.ProvincialSerialProvider"
    assert isinstance(serials.provider(), serials.ProvincialSerialProvider)
    del settings.SERIAL_PROVIDER
    assert isinstance(serials.provider(), serials.LocalSerialProvider)
