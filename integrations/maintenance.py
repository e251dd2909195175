"""Housekeeping of the integration tables (beat ``integrations-prune``, ``manage.py integrations_prune``).

| rows | kept for | setting |
|---|---|---|
| request log | 30 days | ``INTEGRATION_LOG_RETENTION_DAYS`` |
| used nonces | twice the signature window | ``INBOUND_SIGNATURE_WINDOW`` (300 s) |
| inbound receipts (answers replayed to repeats) | 90 days | ``INBOUND_RECEIPT_RETENTION_DAYS`` |
| sent and discarded outbox messages | 90 days | ``OUTBOX_RETENTION_DAYS`` |

Pending and dead messages are never pruned. Deletes go in batches so that no statement
holds locks for long on a big table.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import InboundNonce, InboundReceipt, OutboxMessage, PeerRequestLog

BATCH = 5000


def _delete_in_batches(queryset) -> int:
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        count, _ = queryset.model.objects.filter(pk__in=ids).delete()
        deleted += count


def prune(now=None, *, log_days: int | None = None) -> dict:
    now = now or timezone.now()
    log_days = (
        log_days if log_days is not None else int(getattr(settings, "INTEGRATION_LOG_RETENTION_DAYS", 30))
    )
    window = int(getattr(settings, "INBOUND_SIGNATURE_WINDOW", 300))
    receipt_days = int(getattr(settings, "INBOUND_RECEIPT_RETENTION_DAYS", 90))
    outbox_days = int(getattr(settings, "OUTBOX_RETENTION_DAYS", 90))
    return {
        "request_logs": _delete_in_batches(
            PeerRequestLog.objects.filter(created_at__lt=now - timedelta(days=log_days))
        ),
        "nonces": _delete_in_batches(
            InboundNonce.objects.filter(created_at__lt=now - timedelta(seconds=2 * window))
        ),
        "receipts": _delete_in_batches(
            InboundReceipt.objects.filter(created_at__lt=now - timedelta(days=receipt_days))
        ),
        "outbox_messages": _delete_in_batches(
            OutboxMessage.objects.filter(
                state__in=[OutboxMessage.State.SENT, OutboxMessage.State.DISCARDED],
                created_at__lt=now - timedelta(days=outbox_days),
            )
        ),
    }
