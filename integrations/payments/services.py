"""Every write of the payment peer: orders, payments, expiry, refunds.

When the order exists and what it blocks (docs/payments.md):

* a case of a matter that charges online (``fee_required``, ``online_payment`` and an active
  ``MatterFee``) gets its order when it is **accepted** (受理: the fee is assessed on the
  accepted application), by whoever accepts it (staff, trust-online, deemed acceptance);
* an **approved case cannot be completed** (办结, which issues the result) until its order is
  paid: ``payment_guard`` raises ``TransitionNotAllowed`` code ``payment_required``
  (“尚未缴费”), shown in the back office and answered 409 by the API;
* a case **withdrawn, rejected or denied** after payment is refunded (through the outbox);
  an unpaid order of such a case is closed.

Each change appends a ``PaymentEvent`` (who, when, what) in the same transaction.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import CLOSED_STATES, Decision
from applications.workflow import TransitionNotAllowed
from integrations import outbox
from integrations.errors import PeerRejected, PeerUnavailable
from integrations.payments import client as bank
from integrations.payments.models import MatterFee, PaymentEvent, PaymentOrder, Refund

logger = logging.getLogger(__name__)

OrderState = PaymentOrder.State
Source = PaymentEvent.Source
DESTINATION = "payments"
COMPLETING = frozenset({"complete", "complete_immediately"})
ENDING = {
    "withdraw": gettext_lazy("申请人撤回申请"),
    "reject": gettext_lazy("不予受理"),
    "deny": gettext_lazy("审批不予准予"),
}


class PaymentError(Exception):
    """A payment operation refused: a Chinese message for the person, a code for machines."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.status = status


def _event(order: PaymentOrder, kind: str, *, source: str, previous: str = "", actor=None, note="", **data):
    PaymentEvent.objects.create(
        order=order,
        kind=kind,
        from_state=previous,
        to_state=order.state,
        source=source,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=str(note)[:200],
        data=data,
    )


def _lock(order: PaymentOrder | int) -> PaymentOrder:
    pk = order.pk if isinstance(order, PaymentOrder) else order
    return PaymentOrder.objects.select_for_update().select_related("case").get(pk=pk)


# --- orders -----------------------------------------------------------------------------


def fee_for(matter) -> MatterFee | None:
    """The online fee of a matter, or None when it charges nothing online."""
    if not (matter.fee_required and matter.online_payment):
        return None
    return MatterFee.objects.filter(matter=matter, is_active=True).first()


def _expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(hours=settings.PAYMENTS_ORDER_TTL_HOURS)


def create_order(
    *, case, fee: MatterFee, actor=None, source: str = Source.SYSTEM, note: str = ""
) -> PaymentOrder:
    """A new order for the case at the matter's current fee (call inside a transaction)."""
    now = timezone.now()
    order = PaymentOrder.objects.create(
        case=case,
        payer=case.applicant,
        item_name=fee.item_name,
        amount_fen=fee.amount_fen,
        created_at=now,
        expires_at=_expiry(now),
    )
    _event(
        order,
        "created",
        source=source,
        actor=actor,
        note=note or _("生成缴费单"),
        amount_fen=order.amount_fen,
    )
    return order


def payment_outstanding(case) -> bool:
    """The case has an order and none of its orders is paid (expired ones must be renewed)."""
    states = set(PaymentOrder.objects.filter(case=case).values_list("state", flat=True))
    return bool(states) and OrderState.PAID not in states


def payment_guard(case, transition, *, decision: str = "") -> None:
    """workflow guard: no 办结 of an approved case while its fee is unpaid."""
    if transition.name not in COMPLETING or (decision or case.decision) != Decision.APPROVED:
        return
    if payment_outstanding(case):
        raise TransitionNotAllowed(
            _("尚未缴费：申请人缴清费用后才能办结。可在“缴费单”中查看缴费状态。"), code="payment_required"
        )


# --- paying -----------------------------------------------------------------------------


def _payable_order(case, actor) -> PaymentOrder:
    """Inside a transaction: the case's order to pay now, renewed when the last one expired."""
    order = PaymentOrder.objects.select_for_update().filter(case=case).order_by("-created_at", "-pk").first()
    if order is None:
        raise PaymentError(_("该办件没有需要缴纳的费用。"), code="no_order", status=404)
    if order.state in PaymentOrder.SETTLED:
        raise PaymentError(_("该办件已缴费，无需重复缴费。"), code="already_paid")
    if order.state == OrderState.CLOSED or case.state in CLOSED_STATES:
        raise PaymentError(_("办件已终止，缴费单已关闭。"), code="order_closed")
    if order.state in PaymentOrder.PAYABLE and order.expires_at <= timezone.now():
        _expire_locked(order, source=Source.APPLICANT, actor=actor)
    if order.state == OrderState.EXPIRED:
        fee = fee_for(case.matter)
        replacement = create_order(
            case=case,
            fee=fee or MatterFee(item_name=order.item_name, amount_fen=order.amount_fen),
            actor=actor,
            source=Source.APPLICANT,
            note=_("原缴费单 %(number)s 已过期，重新生成") % {"number": order.order_number},
        )
        return replacement
    return order


def start_payment(*, case, actor, return_url_for, notify_url: str) -> PaymentOrder:
    """去缴费: register the order with the bank (idempotent) and return it with its ``pay_url``.

    ``return_url_for(order)`` gives the page the bank sends the browser back to. The bank is
    called outside any transaction; ``PaymentError`` when it cannot be reached or refuses.
    """
    if actor is None or actor.pk != case.applicant_id:
        raise PaymentError(_("只有申请人本人可以缴费。"), code="forbidden", status=404)
    with transaction.atomic():
        order = _payable_order(case, actor)
    try:
        answer = bank.client(retries=1).create_order(
            order_number=order.order_number,
            subject=f"{case.matter.name}：{order.item_name}",
            amount_fen=order.amount_fen,
            expires_at=order.expires_at,
            notify_url=notify_url,
            return_url=return_url_for(order),
        )
    except PeerUnavailable:
        raise PaymentError(
            _("银行缴费系统暂时无法连接，请稍后再试。"), code="bank_unavailable", status=503
        ) from None
    except PeerRejected as exc:
        raise PaymentError(
            _("银行拒绝了本次缴费请求（%(code)s），请联系办理部门。") % {"code": exc.code or exc.status},
            code="bank_rejected",
            status=502,
        ) from None
    pay_url = str(answer.get("pay_url") or "")
    if not pay_url.startswith(("http://", "https://")):
        raise PaymentError(_("银行缴费系统返回的信息有误，请稍后再试。"), code="bank_unreadable", status=502)
    with transaction.atomic():
        order = _lock(order)
        if order.state in PaymentOrder.PAYABLE:
            previous = order.state
            order.state = OrderState.PAYING
            order.pay_url = pay_url
            order.save(update_fields=["state", "pay_url", "updated_at"])
            _event(
                order,
                "paying",
                source=Source.APPLICANT,
                actor=actor,
                previous=previous,
                note=_("前往银行页面缴费"),
            )
        elif order.state in PaymentOrder.SETTLED:
            raise PaymentError(_("该办件已缴费，无需重复缴费。"), code="already_paid")
    return order


@transaction.atomic
def mark_paid(
    *,
    order_number: str,
    transaction_id: str,
    amount_fen: int,
    paid_at: datetime.datetime | None = None,
    source: str = Source.BANK,
    note: str = "",
    **data,
) -> tuple[PaymentOrder, bool]:
    """The bank says the order is paid: (order, whether anything changed). Idempotent.

    A payment that arrives for an order we had expired or closed is money the payer spent:
    it is recorded, and refunded when the case no longer needs it.
    """
    order = PaymentOrder.objects.select_for_update().filter(order_number=order_number).first()
    if order is None:
        raise PaymentError(_("缴费单不存在。"), code="order_not_found", status=404)
    if int(amount_fen) != order.amount_fen:
        logger.error(
            "payment %s: the bank reports %s fen for an order of %s",
            order_number,
            amount_fen,
            order.amount_fen,
        )
        raise PaymentError(_("到账金额与缴费单金额不符。"), code="amount_mismatch", status=400)
    if order.state in PaymentOrder.SETTLED:
        return order, False
    previous = order.state
    order.state = OrderState.PAID
    order.paid_at = paid_at or timezone.now()
    order.bank_transaction_id = transaction_id
    order.save(update_fields=["state", "paid_at", "bank_transaction_id", "updated_at"])
    _event(
        order,
        "paid",
        source=source,
        previous=previous,
        note=note or _("银行通知已缴费"),
        transaction_id=transaction_id,
        **data,
    )
    case = order.case
    another_paid = PaymentOrder.objects.filter(case=case, state__in=PaymentOrder.SETTLED).exclude(pk=order.pk)
    if case.state in CLOSED_STATES or another_paid.exists():
        request_refund(order=order, reason=_("办件已终止或已缴费，迟到账款原路退回"), source=Source.SYSTEM)
    else:
        for other in PaymentOrder.objects.select_for_update().filter(
            case=case, state__in=PaymentOrder.PAYABLE
        ):
            _close_locked(other, source=Source.SYSTEM, note=_("本办件已通过其他缴费单缴费"))
    return order, True


@transaction.atomic
def mark_failed(*, order_number: str, source: str = Source.BANK, **data) -> PaymentOrder:
    order = PaymentOrder.objects.select_for_update().filter(order_number=order_number).first()
    if order is None:
        raise PaymentError(_("缴费单不存在。"), code="order_not_found", status=404)
    if order.state in (OrderState.CREATED, OrderState.PAYING):
        previous = order.state
        order.state = OrderState.FAILED
        order.save(update_fields=["state", "updated_at"])
        _event(order, "failed", source=source, previous=previous, note=_("银行通知支付失败"), **data)
    return order


def sync_from_bank(order: PaymentOrder) -> PaymentOrder:
    """Ask the bank how the order stands (订单查询) and record a payment we missed.

    ``PeerUnavailable`` / ``PeerRejected`` pass through to the caller.
    """
    answer = bank.client().query_order(order.order_number)
    status = answer.get("status")
    if status == bank.SUCCESS:
        paid_at = answer.get("paid_at")
        order, _changed = mark_paid(
            order_number=order.order_number,
            transaction_id=str(answer.get("transaction_id") or ""),
            amount_fen=int(answer.get("amount_fen") or 0),
            paid_at=datetime.datetime.fromisoformat(paid_at) if paid_at else None,
            source=Source.SYSTEM,
            note=_("主动查询银行：已缴费"),
        )
    elif status == bank.FAILED:
        order = mark_failed(order_number=order.order_number, source=Source.SYSTEM)
    else:
        order.refresh_from_db()
    return order


# --- expiry and closing -------------------------------------------------------------------


def _tell_bank_to_close(order: PaymentOrder) -> None:
    if order.pay_url:  # the bank knows the order only once the applicant went to pay
        outbox.enqueue(
            topic="payments.close_order",
            destination=DESTINATION,
            key=f"close-{order.order_number}",
            payload={"order_number": order.order_number},
        )


def _expire_locked(order: PaymentOrder, *, source: str, actor=None) -> None:
    previous = order.state
    order.state = OrderState.EXPIRED
    order.save(update_fields=["state", "updated_at"])
    _event(order, "expired", source=source, actor=actor, previous=previous, note=_("超过缴费截止时间"))
    _tell_bank_to_close(order)


def _close_locked(order: PaymentOrder, *, source: str, note: str, actor=None) -> None:
    previous = order.state
    order.state = OrderState.CLOSED
    order.save(update_fields=["state", "updated_at"])
    _event(order, "closed", source=source, actor=actor, previous=previous, note=note)
    _tell_bank_to_close(order)


def expire_due(*, now: datetime.datetime | None = None, query_bank: bool = True) -> dict:
    """Expire the unpaid orders past their deadline (payments_expire; safe to run twice).

    An order the applicant took to the bank is asked about first: a payment whose
    notification got lost is recorded, not expired. A bank that cannot be reached leaves
    that order for the next run.
    """
    now = now or timezone.now()
    counts = {"expired": 0, "paid": 0, "skipped": 0}
    due = PaymentOrder.objects.filter(state__in=PaymentOrder.PAYABLE, expires_at__lte=now).order_by(
        "expires_at"
    )
    for order in due.iterator():
        if query_bank and order.pay_url:
            try:
                order = sync_from_bank(order)
            except PeerRejected as exc:
                if exc.code != "order_not_found":
                    counts["skipped"] += 1
                    continue
            except PeerUnavailable:
                counts["skipped"] += 1
                continue
            if order.state in PaymentOrder.SETTLED:
                counts["paid"] += 1
                continue
        with transaction.atomic():
            order = _lock(order)
            if order.state in PaymentOrder.PAYABLE and order.expires_at <= now:
                _expire_locked(order, source=Source.SYSTEM)
                counts["expired"] += 1
    return counts


# --- refunds ----------------------------------------------------------------------------


def request_refund(*, order: PaymentOrder, reason: str, source: str = Source.SYSTEM, actor=None) -> Refund:
    """Refund a paid order in full: the refund row, the order's state and the bank's message,
    in the caller's transaction (the order row locked)."""
    existing = Refund.objects.filter(order=order).first()
    if existing is not None:
        return existing
    refund = Refund.objects.create(order=order, amount_fen=order.amount_fen, reason=str(reason)[:200])
    previous = order.state
    order.state = OrderState.REFUNDING
    order.save(update_fields=["state", "updated_at"])
    _event(
        order,
        "refund_requested",
        source=source,
        actor=actor,
        previous=previous,
        note=reason,
        refund_number=refund.refund_number,
    )
    outbox.enqueue(
        topic="payments.refund",
        destination=DESTINATION,
        key=f"refund-{refund.refund_number}",
        payload={
            "order_number": order.order_number,
            "refund_number": refund.refund_number,
            "amount_fen": refund.amount_fen,
            "reason": refund.reason,
        },
    )
    return refund


@transaction.atomic
def refund_done(
    *, refund_number: str, bank_refund_id: str, refunded_at: datetime.datetime | None = None
) -> Refund:
    """The bank confirmed the refund (called by the outbox sender; idempotent)."""
    refund = Refund.objects.select_for_update().select_related("order").get(refund_number=refund_number)
    if refund.state == Refund.State.REFUNDED:
        return refund
    refund.state = Refund.State.REFUNDED
    refund.bank_refund_id = bank_refund_id
    refund.refunded_at = refunded_at or timezone.now()
    refund.last_error = ""
    refund.save(update_fields=["state", "bank_refund_id", "refunded_at", "last_error"])
    order = _lock(refund.order)
    previous = order.state
    order.state = OrderState.REFUNDED
    order.refunded_at = refund.refunded_at
    order.save(update_fields=["state", "refunded_at", "updated_at"])
    _event(
        order,
        "refunded",
        source=Source.BANK,
        previous=previous,
        note=_("银行退款成功"),
        bank_refund_id=bank_refund_id,
    )
    return refund


# --- the case's transitions ---------------------------------------------------------------


def on_case_transitioned(sender, *, case, record, transition, **kwargs) -> None:
    """``applications.signals.case_transitioned``: inside the transition's transaction."""
    if transition.name == "accept":
        fee = fee_for(case.matter)
        if fee is not None and not PaymentOrder.objects.filter(case=case).exists():
            create_order(case=case, fee=fee, note=_("受理后生成缴费单"))
    elif transition.name in ENDING:
        reason = ENDING[transition.name]
        for order in PaymentOrder.objects.select_for_update().filter(case=case):
            if order.state == OrderState.PAID:
                request_refund(order=order, reason=str(reason), source=Source.SYSTEM, actor=record.actor)
            elif order.state in PaymentOrder.PAYABLE:
                _close_locked(order, source=Source.SYSTEM, note=str(reason), actor=record.actor)
