"""Reads of the identity peer's tables, scoped to whoever asks."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from integrations.identity.models import RealNameCheck
from integrations.identity.services import valid_days


@dataclass(frozen=True)
class RealNameStatus:
    """An account's real-name standing: its latest matched check, if any."""

    check: RealNameCheck | None
    expired: bool = False

    @property
    def verified(self) -> bool:
        return self.check is not None

    @property
    def verified_at(self) -> datetime.datetime | None:
        return self.check.checked_at if self.check else None


def real_name_status(user) -> RealNameStatus:
    if not getattr(user, "is_authenticated", False):
        return RealNameStatus(check=None)
    check = (
        RealNameCheck.objects.filter(user=user, result=RealNameCheck.Result.MATCHED)
        .order_by("-checked_at", "-pk")
        .first()
    )
    if check is None:
        return RealNameStatus(check=None)
    days = valid_days()
    expired = bool(days) and check.checked_at < timezone.now() - datetime.timedelta(days=days)
    return RealNameStatus(check=check, expired=expired)


def is_verified(user) -> bool:
    """Has this account a matched real-name check (of any age)?"""
    return real_name_status(user).verified


def checks_of(user, limit: int = 20):
    """The account's own checks, newest first (never another account's)."""
    return RealNameCheck.objects.filter(user=user).order_by("-checked_at", "-pk")[:limit]


def visible_checks(user):
    """Checks in the back office: superusers and supervisors see all, nobody else any."""
    if user.is_active and user.is_staff and (user.is_superuser or user.is_supervisor):
        return RealNameCheck.objects.select_related("user")
    return RealNameCheck.objects.none()
