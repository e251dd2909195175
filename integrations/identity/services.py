"""Real-name checks (实名核验) and enterprise look-ups (企业信息查询) against the identity platforms.

``check_real_name(user=…, name=…, id_number=…)``
    Validates the input (Chinese field errors), reuses an answer this account already got
    for the same name and number within ``IDENTITY_CHECK_VALID_DAYS``, otherwise asks the
    population database and keeps a ``RealNameCheck`` row (digest and mask of the number,
    result, time, source). A peer that cannot be reached gives an ``unavailable`` row, never
    an exception: the page says so and the user tries later. Refusals before asking
    (``RealNameRefused``): too many questions today (``IDENTITY_CHECK_DAILY_LIMIT``), or a
    number already verified by another account.

``lookup_enterprise(uscc)``
    Validates the code (``validate_uscc``), asks the legal-person database, and returns its
    record or None; answers are cached for ``IDENTITY_ENTERPRISE_CACHE_SECONDS``.
    ``PeerUnavailable`` when the peer cannot answer.

The HTTP call never runs inside a database transaction; the row is written after it.
"""

import datetime
import logging
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.errors import PeerError, PeerUnavailable
from integrations.identity import client as identity_client
from integrations.identity.hashing import id_number_hash, masked
from integrations.identity.models import RealNameCheck
from portal.validators import normalize_id_number, normalize_uscc, validate_id_number, validate_uscc

logger = logging.getLogger("integrations.identity")
Result = RealNameCheck.Result
NAME_MAX = 50


class RealNameRefused(Exception):
    """The check was not put to the peer (a rule of ours); ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def valid_days() -> int:
    return max(0, int(getattr(settings, "IDENTITY_CHECK_VALID_DAYS", 90)))


def daily_limit() -> int:
    return int(getattr(settings, "IDENTITY_CHECK_DAILY_LIMIT", 5))


def clean_person(name: str, id_number: str) -> tuple[str, str]:
    """The name and number as they are asked about; ``ValidationError`` naming each field at fault."""
    errors: dict[str, list] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [ValidationError(_("请填写姓名。"), code="required")]
    elif len(name) > NAME_MAX:
        errors["name"] = [
            ValidationError(_("姓名不能超过%(max)d个字。") % {"max": NAME_MAX}, code="name_length")
        ]
    number = normalize_id_number(id_number)
    if not number:
        errors["id_number"] = [ValidationError(_("请填写身份证号码。"), code="required")]
    else:
        try:
            validate_id_number(number)
        except ValidationError as exc:
            errors["id_number"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return name, number


def reusable_check(
    user, name: str, digest: str, *, now: datetime.datetime | None = None
) -> RealNameCheck | None:
    """An answer this account got for the same name and number within the validity period."""
    days = valid_days()
    if not days:
        return None
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    return (
        RealNameCheck.objects.filter(
            user=user,
            id_number_hash=digest,
            name=name,
            result__in=RealNameCheck.ANSWERED,
            checked_at__gte=since,
        )
        .order_by("-checked_at", "-pk")
        .first()
    )


def check_real_name(
    *, user, name: str, id_number: str, client=None, now: datetime.datetime | None = None
) -> tuple[RealNameCheck, bool]:
    """实名核验 of ``user``: the check and whether the population database was asked this time."""
    name, number = clean_person(name, id_number)
    digest = id_number_hash(number)
    now = now or timezone.now()
    previous = reusable_check(user, name, digest, now=now)
    if previous is not None:
        return previous, False
    _refuse_if_not_allowed(user, digest, now)
    try:
        client = client or identity_client.default_client()  # no URL configured: unavailable too
        answer = client.verify_person(name=name, id_number=number)
        result, source, reference = answer.result, answer.source, answer.reference
    except PeerError as exc:
        # Unavailable, or refused (a 4xx we did not expect after our own validation): either way
        # the user can only try later. The log line carries no personal data.
        logger.warning("real-name check of user %s not answered: %s", user.pk, type(exc).__name__)
        result, source, reference = Result.UNAVAILABLE, "", ""
    with transaction.atomic():
        check = RealNameCheck.objects.create(
            user=user,
            name=name,
            id_number_hash=digest,
            id_number_masked=masked(number),
            result=result,
            source=source or identity_client.PEER,
            reference=reference,
            checked_at=timezone.now(),
        )
        if result == Result.MATCHED and user.real_name != name:
            # The verified name is the account's name from now on.
            user.real_name = name
            user.save(update_fields=["real_name"])
    return check, True


def _refuse_if_not_allowed(user, digest: str, now: datetime.datetime) -> None:
    taken = (
        RealNameCheck.objects.filter(id_number_hash=digest, result=Result.MATCHED).exclude(user=user).exists()
    )
    if taken:
        raise RealNameRefused(
            "id_number_taken", _("该身份证号码已在其他账户完成实名认证。如有疑问，请联系客服。")
        )
    limit = daily_limit()
    if limit > 0:
        asked_today = RealNameCheck.objects.filter(
            user=user, result__in=RealNameCheck.ANSWERED, checked_at__gte=now - datetime.timedelta(days=1)
        ).count()
        if asked_today >= limit:
            raise RealNameRefused(
                "too_many_checks",
                _("24小时内最多可核验%(limit)d次，请明天再试。") % {"limit": limit},
            )


# --- enterprises -----------------------------------------------------------------------

_MISSING = "missing"


def clean_uscc(uscc: str) -> str:
    code = normalize_uscc(uscc)
    if not code:
        raise ValidationError({"uscc": [ValidationError(_("请填写统一社会信用代码。"), code="required")]})
    try:
        validate_uscc(code)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.error_list}) from None
    return code


def lookup_enterprise(uscc: str, *, client=None) -> identity_client.EnterpriseRecord | None:
    """The legal-person register's record of a USCC (name, legal representative, status), or None."""
    code = clean_uscc(uscc)
    key = f"identity:enterprise:{code}"
    seconds = int(getattr(settings, "IDENTITY_ENTERPRISE_CACHE_SECONDS", 600))
    cached = _cache_get(key) if seconds > 0 else None
    if cached == _MISSING:
        return None
    if isinstance(cached, dict):
        return identity_client.EnterpriseRecord(**cached)
    record = (client or identity_client.default_client()).enterprise(code)
    if seconds > 0:
        _cache_set(key, asdict(record) if record else _MISSING, seconds)
    return record


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # a dead cache server only means asking the peer
        logger.warning("identity: cache unavailable, asking the peer", exc_info=True)
        return None


def _cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("identity: cache unavailable, answer not kept", exc_info=True)


__all__ = [
    "PeerUnavailable",
    "RealNameRefused",
    "check_real_name",
    "clean_person",
    "clean_uscc",
    "lookup_enterprise",
]
