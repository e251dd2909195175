"""``{% load payment_tags %}{% case_payment case %}``: the payment panel of the applicant's case page."""

from django import template

from integrations.payments import selectors
from integrations.payments.models import PaymentOrder

register = template.Library()


@register.inclusion_tag("payments/_case_payment.html", takes_context=True)
def case_payment(context, case):
    order = selectors.current_order(case) if case.pk else None
    request = context.get("request")
    may_pay = bool(
        order is not None
        and request is not None
        and request.user.is_authenticated
        and request.user.pk == case.applicant_id
        and case.is_open
        and order.state not in PaymentOrder.SETTLED
        and order.state != PaymentOrder.State.CLOSED
    )
    return {
        "case": case,
        "order": order,
        "refund": getattr(order, "refund", None) if order and order.state in PaymentOrder.SETTLED else None,
        "may_pay": may_pay,
        "renew": bool(order and not order.is_payable and order.state != PaymentOrder.State.CLOSED),
        "csrf_token": context.get("csrf_token"),
    }
