"""The applicant's payment pages and the bank's notification endpoint.

* ``POST /payments/cases/<serial>/pay/`` (去缴费): registers the order with the bank and
  sends the browser to the bank's page;
* ``GET /payments/orders/<order_number>/return/``: where the bank sends the browser back;
  asks the bank (订单查询) if its notification has not arrived yet;
* ``POST /payments/notify/``: the bank's signed asynchronous notification, answered once per
  ``notify_id`` (integrations.inbound).

Another account's case or order is a 404, as if it did not exist.
"""

import datetime
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from applications import selectors as case_selectors
from integrations.errors import PeerError
from integrations.inbound import json_error, signed_callback
from integrations.payments import selectors, services
from integrations.payments.models import PaymentOrder

logger = logging.getLogger(__name__)


def notify_url(request) -> str:
    return settings.PAYMENTS_NOTIFY_URL or request.build_absolute_uri(reverse("payments:notify"))


def _case_page(case) -> str:
    return f"{case.get_absolute_url()}#payment"


@require_POST
@login_required
def pay(request, serial: str):
    case = get_object_or_404(case_selectors.applicant_cases(request.user), serial=serial)
    try:
        order = services.start_payment(
            case=case,
            actor=request.user,
            return_url_for=lambda order: request.build_absolute_uri(
                reverse("payments:return", args=[order.order_number])
            ),
            notify_url=notify_url(request),
        )
    except services.PaymentError as exc:
        messages.error(request, exc.message)
        return redirect(_case_page(case))
    return redirect(order.pay_url)


@require_safe
@login_required
@never_cache
def bank_return(request, order_number: str):
    order = get_object_or_404(selectors.orders_of_applicant(request.user), order_number=order_number)
    if order.state not in PaymentOrder.SETTLED:
        try:
            order = services.sync_from_bank(order)
        except (PeerError, services.PaymentError) as exc:
            logger.warning("payment %s: query after return failed: %s", order_number, exc)
    if order.state in PaymentOrder.SETTLED:
        messages.success(request, _("缴费成功，办理部门将继续办理您的申请。"))
    elif order.state == PaymentOrder.State.FAILED:
        messages.error(request, _("支付未成功，您可以重新缴费。"))
    elif request.GET.get("status") == "CANCELLED":
        messages.info(request, _("您已取消支付，可以稍后再缴费。"))
    else:
        messages.info(request, _("正在确认支付结果，请稍后刷新页面查看。"))
    return redirect(_case_page(order.case))


@signed_callback(peer="payments", external_id="notify_id")
def notify(request):
    """The bank's notification: ``{"notify_id", "order_number", "transaction_id", "amount_fen",
    "status": "SUCCESS" | "FAILED", "paid_at"}``; answered ``{"code": "SUCCESS"}``."""
    if request.method != "POST":
        return json_error(405, "method_not_allowed", _("只接受 POST 请求。"))
    try:
        data = json.loads(request.body)
        number = str(data["order_number"])
        status = data["status"]
        amount = data.get("amount_fen")
        if status == "SUCCESS" and (not isinstance(amount, int) or isinstance(amount, bool)):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return json_error(400, "bad_request", _("通知内容不完整或格式有误。"))
    try:
        if status == "SUCCESS":
            paid_at = data.get("paid_at")
            services.mark_paid(
                order_number=number,
                transaction_id=str(data.get("transaction_id") or ""),
                amount_fen=amount,
                paid_at=_parse_time(paid_at),
                notify_id=str(data.get("notify_id")),
            )
        elif status == "FAILED":
            services.mark_failed(order_number=number, notify_id=str(data.get("notify_id")))
        else:
            return json_error(400, "bad_status", _("未知的支付状态。"))
    except services.PaymentError as exc:
        return json_error(exc.status, exc.code, exc.message)
    return JsonResponse({"code": "SUCCESS"})


def _parse_time(value):
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
