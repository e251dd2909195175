"""Celery tasks of the integrations app: thin wrappers around integrations.delivery and
integrations.maintenance. Every one is safe to run twice or concurrently."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def deliver_message(message_id: int) -> None:
    """Kicked on commit by ``outbox.enqueue``: send this message if it is due and first in its key."""
    from integrations import delivery

    delivery.deliver_one(message_id)


@shared_task(ignore_result=True)
def drain_destination(destination: str) -> None:
    """Send the due messages of one destination for a while (published by the sweep)."""
    from integrations import delivery

    seconds = float(getattr(settings, "OUTBOX_DRAIN_SECONDS", 25.0))
    result = delivery.drain(destination=destination, seconds=seconds)
    if result.attempted:
        logger.info(
            "outbox %s: %d sent, %d to retry, %d dead", destination, result.sent, result.retrying, result.dead
        )


@shared_task
def outbox_sweep() -> dict:
    """Beat (every 30 s): re-queue messages stuck in sending, publish a drain per due destination."""
    from integrations import delivery

    result = delivery.sweep(dispatch=True)
    return {"requeued": result.requeued, "dispatched": result.dispatched}


@shared_task
def integrations_prune() -> dict:
    """Beat (daily): delete old request logs, nonces, receipts and delivered messages."""
    from integrations import maintenance

    return maintenance.prune()
