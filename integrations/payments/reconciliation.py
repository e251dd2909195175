"""Daily reconciliation (对账): the bank's statement of a day against our orders and refunds.

``run(day)`` downloads the statement file, compares it and stores a ``ReconciliationRun``
with one ``ReconciliationMismatch`` per difference:

* ``missing_local`` — the bank has a payment (or refund) we have no order (or refund) for;
* ``missing_bank``  — we recorded a payment (refund) on that day the bank does not list;
* ``amount``        — both have it, with different amounts;
* ``state``         — the bank took the money but our order is not paid (expired, closed…),
  or refunded while our refund is not confirmed.

Days are local (Asia/Shanghai) days, like the bank's file. Running a day again makes a new
run (the admin shows them all, newest first); a bank that cannot be reached makes a failed
run with the reason, and the command exits non-zero.
"""

import datetime
import hashlib
import logging

from django.db import transaction
from django.utils import timezone

from integrations.errors import PeerError
from integrations.payments import client as bank
from integrations.payments import statement
from integrations.payments.models import (
    PaymentOrder,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
)

logger = logging.getLogger(__name__)

Kind = ReconciliationMismatch.Kind


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def compare(day: datetime.date, rows: list[statement.Row]) -> tuple[list[dict], dict]:
    """The mismatches (as field dicts) and the totals, for the rows of the bank's file."""
    start, end = _day_bounds(day)
    mismatches: list[dict] = []
    pays = [row for row in rows if row.type == statement.PAY]
    refunds = [row for row in rows if row.type == statement.REFUND]

    orders = {
        order.order_number: order
        for order in PaymentOrder.objects.filter(order_number__in=[row.order_number for row in pays])
    }
    for row in pays:
        order = orders.get(row.order_number)
        base = {
            "transaction_type": statement.PAY,
            "order_number": row.order_number,
            "bank_transaction_id": row.transaction_id,
            "bank_amount_fen": row.amount_fen,
            "bank_state": row.status,
        }
        if order is None:
            mismatches.append({**base, "kind": Kind.MISSING_LOCAL, "note": "银行有支付记录，本地无此缴费单"})
            continue
        base.update(local_amount_fen=order.amount_fen, local_state=order.state)
        if order.amount_fen != row.amount_fen:
            mismatches.append({**base, "kind": Kind.AMOUNT, "note": "支付金额不一致"})
        if order.state not in PaymentOrder.SETTLED:
            mismatches.append({**base, "kind": Kind.STATE, "note": "银行已支付，本地缴费单未记为已缴费"})
    listed = {row.order_number for row in pays}
    local_paid = PaymentOrder.objects.filter(
        paid_at__gte=start, paid_at__lt=end, state__in=PaymentOrder.SETTLED
    )
    for order in local_paid.exclude(order_number__in=listed):
        mismatches.append(
            {
                "kind": Kind.MISSING_BANK,
                "transaction_type": statement.PAY,
                "order_number": order.order_number,
                "bank_transaction_id": order.bank_transaction_id,
                "local_amount_fen": order.amount_fen,
                "local_state": order.state,
                "note": "本地记为已缴费，银行对账单无此交易",
            }
        )

    local_refunds = {
        refund.refund_number: refund
        for refund in Refund.objects.filter(refund_number__in=[row.refund_number for row in refunds])
    }
    for row in refunds:
        refund = local_refunds.get(row.refund_number)
        base = {
            "transaction_type": statement.REFUND,
            "order_number": row.order_number,
            "refund_number": row.refund_number,
            "bank_transaction_id": row.transaction_id,
            "bank_amount_fen": row.amount_fen,
            "bank_state": row.status,
        }
        if refund is None:
            mismatches.append({**base, "kind": Kind.MISSING_LOCAL, "note": "银行有退款记录，本地无此退款单"})
            continue
        base.update(local_amount_fen=refund.amount_fen, local_state=refund.state)
        if refund.amount_fen != row.amount_fen:
            mismatches.append({**base, "kind": Kind.AMOUNT, "note": "退款金额不一致"})
        if refund.state != Refund.State.REFUNDED:
            mismatches.append({**base, "kind": Kind.STATE, "note": "银行已退款，本地退款单未确认"})
    listed_refunds = {row.refund_number for row in refunds}
    done = Refund.objects.filter(refunded_at__gte=start, refunded_at__lt=end, state=Refund.State.REFUNDED)
    for refund in done.exclude(refund_number__in=listed_refunds).select_related("order"):
        mismatches.append(
            {
                "kind": Kind.MISSING_BANK,
                "transaction_type": statement.REFUND,
                "order_number": refund.order.order_number,
                "refund_number": refund.refund_number,
                "bank_transaction_id": refund.bank_refund_id,
                "local_amount_fen": refund.amount_fen,
                "local_state": refund.state,
                "note": "本地记为已退款，银行对账单无此退款",
            }
        )

    paid_total = sum(order.amount_fen for order in local_paid)
    refunded_total = sum(refund.amount_fen for refund in done)
    totals = {
        "bank_count": len(rows),
        "bank_amount_fen": sum(row.amount_fen for row in pays) - sum(row.amount_fen for row in refunds),
        "local_count": local_paid.count() + done.count(),
        "local_amount_fen": paid_total - refunded_total,
    }
    return mismatches, totals


def run(day: datetime.date) -> ReconciliationRun:
    """Reconcile one day; the stored run (state balanced, mismatched or failed)."""
    recon = ReconciliationRun.objects.create(statement_date=day)
    try:
        text = bank.client(retries=2).statement(day)
        rows = statement.parse(text)
    except (PeerError, statement.StatementUnreadable) as exc:
        logger.warning("reconciliation of %s failed: %s", day, exc)
        recon.state = ReconciliationRun.State.FAILED
        recon.error = f"{type(exc).__name__}: {exc}"[:300]
        recon.finished_at = timezone.now()
        recon.save(update_fields=["state", "error", "finished_at"])
        return recon
    mismatches, totals = compare(day, rows)
    with transaction.atomic():
        ReconciliationMismatch.objects.bulk_create(
            [ReconciliationMismatch(run=recon, **fields) for fields in mismatches]
        )
        for name, value in totals.items():
            setattr(recon, name, value)
        recon.statement = text
        recon.statement_sha256 = hashlib.sha256(text.encode()).hexdigest()
        recon.mismatch_count = len(mismatches)
        recon.state = ReconciliationRun.State.MISMATCHED if mismatches else ReconciliationRun.State.BALANCED
        recon.finished_at = timezone.now()
        recon.save()
    if mismatches:
        logger.warning("reconciliation of %s: %d mismatches", day, len(mismatches))
    return recon
