"""Unified serial numbers (统一申办流水号): implementation code (31) + date (8) + daily sequence (4).

The rule is written in docs/serial-numbers.md. The generator is a provider chosen in
settings (``SERIAL_PROVIDER``): ``LocalSerialProvider`` (default) counts per
implementation code and day in a ``SerialCounter`` row locked with SELECT … FOR UPDATE
inside the case's own transaction, so numbers are unique and gap-free even under
concurrency and rollbacks; ``ProvincialSerialProvider`` asks the provincial numbering
service and falls back to local numbers (marked for reconciliation) when it is down.
"""

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from applications.models import Case, SerialCounter
from matters.codes import validate_implementation_code

logger = logging.getLogger(__name__)

SERIAL_LENGTH = 43
MAX_DAILY_SEQUENCE = 9999
SERIAL_PATTERN = re.compile(r"^(?P<code>[0-9A-Z]{31})(?P<date>\d{8})(?P<sequence>\d{4})$")


class SerialExhausted(Exception):
    """More than 9,999 cases of one matter in one day: the national format has no room."""


class SerialUnavailable(Exception):
    """A remote numbering service could not give a number."""


@dataclass(frozen=True)
class IssuedSerial:
    serial: str
    pending_reconciliation: bool = False


def format_serial(implementation_code: str, day: datetime.date, sequence: int) -> str:
    return f"{implementation_code}{day:%Y%m%d}{sequence:04d}"


@dataclass(frozen=True)
class ParsedSerial:
    implementation_code: str
    day: datetime.date
    sequence: int

    @property
    def serial(self) -> str:
        return format_serial(self.implementation_code, self.day, self.sequence)


def parse_serial(value: str) -> ParsedSerial:
    """Check that ``value`` is a well-formed serial number; raise ``ValidationError`` naming what is wrong."""
    value = (value or "").strip().upper()
    if len(value) != SERIAL_LENGTH:
        raise ValidationError(
            _("统一申办流水号应为43位，当前为%(length)d位。"),
            code="serial_length",
            params={"length": len(value)},
        )
    match = SERIAL_PATTERN.match(value)
    if not match:
        raise ValidationError(
            _("统一申办流水号应由31位实施编码、8位日期和4位顺序号组成。"), code="serial_format"
        )
    validate_implementation_code(match["code"])
    try:
        day = datetime.datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        raise ValidationError(_("统一申办流水号中的日期不存在。"), code="serial_date") from None
    if day > timezone.localdate() + datetime.timedelta(days=1):
        # One day of tolerance for a peer whose clock runs ahead around midnight.
        raise ValidationError(_("统一申办流水号中的日期晚于今天。"), code="serial_date_future")
    sequence = int(match["sequence"])
    if sequence == 0:
        raise ValidationError(_("统一申办流水号的顺序号从0001开始。"), code="serial_sequence")
    return ParsedSerial(match["code"], day, sequence)


class LocalSerialProvider:
    """Counter rows per (implementation code, day), locked in the caller's transaction."""

    def __init__(self, first_sequence: int = 1):
        self.first_sequence = first_sequence

    def next_serial(self, *, implementation_code: str, day: datetime.date) -> IssuedSerial:
        # Lock the day's row: concurrent callers queue here until this transaction ends. Plain
        # SQL (two statements the ORM would rebuild on every submission); the same on SQLite,
        # where FOR UPDATE is left out: there a writing transaction holds the whole database.
        table = connection.ops.quote_name(SerialCounter._meta.db_table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # The table name is the model's, never input.
        select = f"SELECT id, last_value FROM {table} WHERE implementation_code = %s AND day = %s{lock}"  # noqa: S608
        key = [implementation_code, connection.ops.adapt_datefield_value(day)]
        with connection.cursor() as cursor:
            cursor.execute(select, key)
            found = cursor.fetchone()
            if found is None:
                # The day's first number: create the row without failing when another transaction
                # does the same (ON CONFLICT DO NOTHING), then lock it like any other day.
                SerialCounter.objects.bulk_create(
                    [
                        SerialCounter(
                            implementation_code=implementation_code,
                            day=day,
                            last_value=self.first_sequence - 1,
                        )
                    ],
                    ignore_conflicts=True,
                )
                cursor.execute(select, key)
                found = cursor.fetchone()
            pk, last_value = found
            # A row started by the other range (provider switched during the day) never goes backwards.
            value = max(last_value, self.first_sequence - 1) + 1
            if value > MAX_DAILY_SEQUENCE:
                raise SerialExhausted(f"{implementation_code} {day}")
            cursor.execute(f"UPDATE {table} SET last_value = %s WHERE id = %s", [value, pk])  # noqa: S608
        return IssuedSerial(format_serial(implementation_code, day, value))


class ProvincialSerialProvider:
    """Numbers from the provincial numbering service; local numbers when it is down.

    Fallback numbers come from a separate range of the local counter
    (``SERIAL_FALLBACK_FIRST_SEQUENCE``, default 5001; in this mode the local counter serves
    only the fallback), so they never collide with the province's, and are marked
    ``serial_pending_reconciliation`` for reconciliation.
    """

    def __init__(self, client=None, fallback_first_sequence: int | None = None):
        self.client = client
        first = fallback_first_sequence or getattr(settings, "SERIAL_FALLBACK_FIRST_SEQUENCE", 5001)
        self.fallback = LocalSerialProvider(first)

    def next_serial(self, *, implementation_code: str, day: datetime.date) -> IssuedSerial:
        from integrations.provincial.numbering import NumberingClient, NumberingUnavailable

        try:
            client = self.client or NumberingClient.from_settings()
            serial = client.next_serial(implementation_code=implementation_code, day=day)
            parsed = parse_serial(serial)
            if parsed.implementation_code != implementation_code or parsed.day != day:
                raise SerialUnavailable(
                    f"the numbering service answered {serial!r} for another matter or day"
                )
            if Case.objects.filter(serial=parsed.serial).exists():
                raise SerialUnavailable(f"the numbering service answered {serial!r}, which is already used")
            return IssuedSerial(parsed.serial)
        except (NumberingUnavailable, SerialUnavailable, ValidationError) as exc:
            logger.warning("provincial numbering unavailable, local fallback number: %s", exc)
            return IssuedSerial(
                self.fallback.next_serial(implementation_code=implementation_code, day=day).serial,
                pending_reconciliation=True,
            )


def provider():
    return import_string(getattr(settings, "SERIAL_PROVIDER", "applications.serials.LocalSerialProvider"))()


def next_serial(*, implementation_code: str, day: datetime.date) -> IssuedSerial:
    """The next serial number; call inside the transaction that creates or submits the case."""
    return provider().next_serial(implementation_code=implementation_code, day=day)
