"""Celery task of the provincial exchange (beat ``provincial-sync``)."""

from celery import shared_task
from django.conf import settings


@shared_task
def provincial_sync() -> dict:
    """Pull the catalogue and the cases, then deliver the waiting records (safe to run twice)."""
    from integrations.provincial import services

    seconds = float(getattr(settings, "OUTBOX_DRAIN_SECONDS", 25.0))
    result = services.sync(drain_seconds=seconds)
    if result.catalogue is None:
        return {"configured": False}
    return {
        "catalogue": result.catalogue.applied,
        "cases": result.cases.applied,
        "sent": result.drained.sent,
        "errors": [e for e in (result.catalogue.error, result.cases.error) if e],
    }
