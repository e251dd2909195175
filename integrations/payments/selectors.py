"""Reads of payment orders, with who may see what.

* the applicant sees the orders of their own cases (``orders_of_applicant``);
* department staff see the orders of their departments' cases; supervisors and superusers
  see all (``orders_visible_to``, the back office).
"""

from django.db.models import QuerySet

from applications import selectors as case_selectors
from integrations.payments.models import PaymentOrder, Refund


def orders_visible_to(user) -> QuerySet[PaymentOrder]:
    qs = PaymentOrder.objects.select_related("case", "case__matter", "case__department")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if case_selectors.sees_all_cases(user):
        return qs
    department_ids = case_selectors.handling_department_ids(user)
    if department_ids:
        return qs.filter(case__department_id__in=department_ids)
    return qs.none()


def refunds_visible_to(user) -> QuerySet[Refund]:
    return Refund.objects.select_related("order", "order__case").filter(
        order__in=orders_visible_to(user).values("pk")
    )


def orders_of_applicant(user) -> QuerySet[PaymentOrder]:
    if not user or not user.is_authenticated:
        return PaymentOrder.objects.none()
    return PaymentOrder.objects.filter(case__applicant=user).select_related("case", "case__matter")


def current_order(case) -> PaymentOrder | None:
    """The case's latest order (the one to show and pay), or None."""
    return (
        PaymentOrder.objects.filter(case=case).select_related("refund").order_by("-created_at", "-pk").first()
    )


def order_history(order: PaymentOrder):
    return order.events.order_by("created_at", "pk")
