"""Celery tasks of the payment peer: thin wrappers (beat entries payments-expire, payments-reconcile)."""

import datetime

from celery import shared_task
from django.utils import timezone


@shared_task
def expire_orders() -> dict:
    """Beat: expire unpaid orders past their deadline (asking the bank first). Idempotent."""
    from integrations.payments import services

    return services.expire_due()


@shared_task
def reconcile(day: str | None = None) -> dict:
    """Beat: reconcile yesterday's statement (or ``day``, YYYY-MM-DD)."""
    from integrations.payments import reconciliation

    when = datetime.date.fromisoformat(day) if day else timezone.localdate() - datetime.timedelta(days=1)
    run = reconciliation.run(when)
    return {"date": when.isoformat(), "state": run.state, "mismatches": run.mismatch_count}
