"""The sandbox bank (统一网上缴费): the merchant API, the cashier page, notifications, statements.

Mounted at ``/sandbox/payments/``. It keeps its books in ``integrations.payments``'
``SandboxBank…`` tables and shares one merchant key with the hall: ``PAYMENTS_SANDBOX_KEY_ID``
and ``PAYMENTS_SANDBOX_SECRET`` (``seed_demo`` creates the matching ``PeerCredential``; tests
create a key and point these settings at it). It checks the signature of every merchant
call and signs its notifications with the same key, as a real bank does with its merchant key.

Merchant API (JSON, amounts in fen; errors ``{"error": {"code", "message"}}``):

* ``POST orders/`` — register an order; one per order number (and per ``Idempotency-Key``);
* ``GET orders/<order_number>/`` — query; ``POST orders/<order_number>/close/`` — close;
* ``POST refunds/`` — refund a paid order; one per refund number (and per key);
* ``GET statements/?date=YYYY-MM-DD`` — the day's statement file (CSV, yuan).

The cashier page ``cashier/<bank_order_id>/`` is what the applicant sees: amount, 确认支付,
模拟支付失败, 取消支付. Paying redirects the browser back to the merchant's ``return_url`` and
sends the signed asynchronous notification to its ``notify_url`` (a background thread with a
few retries, unless ``PAYMENTS_SANDBOX_NOTIFY = "none"``: tests send it with ``notify()``).
"""

import datetime
import http.client
import json
import logging
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import signing
from integrations.payments import statement
from integrations.payments.models import SandboxBankNotification, SandboxBankOrder, SandboxBankRefund
from integrations.sandbox import framework

logger = logging.getLogger(__name__)

NAME = "payments"
RETRY_PAUSES = (0.0, 1.0, 3.0, 10.0)


def _clear():
    SandboxBankRefund.objects.all().delete()
    SandboxBankNotification.objects.all().delete()
    SandboxBankOrder.objects.all().delete()


SANDBOX = framework.register(NAME, _("统一网上缴费（沙箱银行）"), reset=_clear)


def _id(prefix: str) -> str:
    return f"{prefix}{timezone.localtime():%Y%m%d}{secrets.token_hex(6).upper()}"


def _key() -> tuple[str, str]:
    return settings.PAYMENTS_SANDBOX_KEY_ID, settings.PAYMENTS_SANDBOX_SECRET


def merchant_call(view):
    """A merchant API endpoint: the knobs, then the merchant's signature."""

    @framework.endpoint(NAME)
    def wrapped(request, *args, **kwargs):
        key_id, secret = _key()
        if not secret:
            return framework.error(503, "not_configured", "沙箱银行未配置商户密钥（PAYMENTS_SANDBOX_SECRET）")
        headers = [request.headers.get(name, "") for name in signing.HEADERS]
        if not all(headers):
            return framework.error(401, "missing_signature", "缺少商户签名")
        given_key, timestamp, nonce, given = headers
        if given_key != key_id or not signing.matches(
            secret, given, request.method, request.get_full_path(), timestamp, nonce, request.body
        ):
            return framework.error(401, "bad_signature", "商户签名校验失败")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _body(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _order_json(request, order: SandboxBankOrder) -> dict:
    return {
        "order_number": order.order_number,
        "bank_order_id": order.bank_order_id,
        "amount_fen": order.amount_fen,
        "status": order.status,
        "transaction_id": order.transaction_id,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "pay_url": request.build_absolute_uri(f"{_root(request)}cashier/{order.bank_order_id}/"),
    }


def _root(request) -> str:
    """This sandbox's path prefix (``/sandbox/payments/``), whatever it is mounted under."""
    marker = f"/{NAME}/"
    return request.path[: request.path.index(marker) + len(marker)]


# --- merchant API -----------------------------------------------------------------------


@require_POST
@merchant_call
def create_order(request):
    data = _body(request)
    if data is None:
        return framework.error(400, "bad_request", "请求体应为 JSON 对象")
    number = str(data.get("order_number") or "").strip()
    amount = data.get("amount_fen")
    problems = []
    if not number or len(number) > 32:
        problems.append("order_number")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        problems.append("amount_fen")
    for name in ("notify_url", "subject"):
        if not str(data.get(name) or "").strip():
            problems.append(name)
    try:
        expires_at = datetime.datetime.fromisoformat(str(data.get("expires_at")))
    except ValueError:
        problems.append("expires_at")
    if problems:
        return framework.error(400, "invalid_order", f"订单参数有误：{', '.join(problems)}")
    key = framework.idempotency_key(request)
    with transaction.atomic():
        existing = SandboxBankOrder.objects.select_for_update().filter(order_number=number).first()
        if existing is not None:
            if existing.amount_fen != amount:
                return framework.error(409, "order_conflict", "同一订单号的金额与原订单不一致")
            if existing.status == "CLOSED":
                return framework.error(409, "order_closed", "订单已关闭")
            return JsonResponse(_order_json(request, existing))
        order = SandboxBankOrder.objects.create(
            order_number=number,
            idempotency_key=key,
            bank_order_id=_id("BO"),
            subject=str(data["subject"])[:200],
            amount_fen=amount,
            notify_url=str(data["notify_url"]),
            return_url=str(data.get("return_url") or ""),
            expires_at=expires_at,
        )
    return JsonResponse(_order_json(request, order), status=201)


@require_GET
@merchant_call
def query_order(request, number: str):
    order = SandboxBankOrder.objects.filter(order_number=number).first()
    if order is None:
        return framework.error(404, "order_not_found", "订单不存在")
    return JsonResponse(_order_json(request, order))


@require_POST
@merchant_call
def close_order(request, number: str):
    with transaction.atomic():
        order = SandboxBankOrder.objects.select_for_update().filter(order_number=number).first()
        if order is None:
            return framework.error(404, "order_not_found", "订单不存在")
        if order.status == "SUCCESS":
            return framework.error(409, "order_paid", "订单已支付，不能关闭")
        order.status = "CLOSED"
        order.save(update_fields=["status"])
    return JsonResponse(_order_json(request, order))


@require_POST
@merchant_call
def refund(request):
    data = _body(request)
    if data is None:
        return framework.error(400, "bad_request", "请求体应为 JSON 对象")
    number = str(data.get("refund_number") or "").strip()
    amount = data.get("amount_fen")
    if not number or not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return framework.error(400, "invalid_refund", "退款参数有误")
    key = framework.idempotency_key(request)
    with transaction.atomic():
        order = (
            SandboxBankOrder.objects.select_for_update().filter(order_number=data.get("order_number")).first()
        )
        if order is None:
            return framework.error(404, "order_not_found", "订单不存在")
        existing = SandboxBankRefund.objects.filter(refund_number=number).first()
        if existing is None and key:
            existing = SandboxBankRefund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            SandboxBankRefund.objects.filter(pk=existing.pk).update(requests=existing.requests + 1)
            created = existing
        else:
            if order.status != "SUCCESS":
                return framework.error(409, "order_not_paid", "订单未支付，不能退款")
            refunded = sum(order.refunds.values_list("amount_fen", flat=True))
            if refunded + amount > order.amount_fen:
                return framework.error(409, "refund_exceeds", "退款金额超过可退金额")
            created = SandboxBankRefund.objects.create(
                refund_number=number, idempotency_key=key, order=order, amount_fen=amount, refund_id=_id("RT")
            )
    return JsonResponse(
        {
            "refund_number": created.refund_number,
            "refund_id": created.refund_id,
            "amount_fen": created.amount_fen,
            "status": created.status,
            "refunded_at": created.refunded_at.isoformat(),
        }
    )


@require_GET
@merchant_call
def statements(request):
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return framework.error(400, "bad_date", "对账日期格式应为 YYYY-MM-DD")
    if day > timezone.localdate():
        return framework.error(404, "statement_not_ready", "当日对账单尚未生成")
    text = statement.write(
        merchant_id=settings.PAYMENTS_MERCHANT_ID, day=day.isoformat(), rows=statement_rows(day)
    )
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{day:%Y%m%d}.csv"'
    return response


def statement_rows(day: datetime.date) -> list[dict]:
    """The bank's successful payments and refunds of a local day, in time order."""
    rows = []
    for order in SandboxBankOrder.objects.filter(status="SUCCESS", paid_at__date=day):
        rows.append(
            {
                "at": order.paid_at,
                "order_number": order.order_number,
                "bank_order_id": order.bank_order_id,
                "transaction_id": order.transaction_id,
                "type": statement.PAY,
                "amount_fen": order.amount_fen,
                "status": "SUCCESS",
                "refund_number": "",
            }
        )
    for item in SandboxBankRefund.objects.filter(refunded_at__date=day).select_related("order"):
        rows.append(
            {
                "at": item.refunded_at,
                "order_number": item.order.order_number,
                "bank_order_id": item.order.bank_order_id,
                "transaction_id": item.refund_id,
                "type": statement.REFUND,
                "amount_fen": item.amount_fen,
                "status": item.status,
                "refund_number": item.refund_number,
            }
        )
    rows.sort(key=lambda row: row["at"])
    for row in rows:
        row["time"] = f"{timezone.localtime(row.pop('at')):%Y-%m-%d %H:%M:%S}"
    return rows


# --- the cashier page (the applicant's browser) -----------------------------------------------


@csrf_exempt  # the bank's own page posting to itself
@require_http_methods(["GET", "POST"])
def cashier(request, bank_order_id: str):
    order = SandboxBankOrder.objects.filter(bank_order_id=bank_order_id).first()
    if order is None:
        return render(request, "payments/sandbox_cashier.html", {"missing": True}, status=404)
    problem = ""
    if order.status == "CLOSED":
        problem = "该订单已关闭，不能支付。请返回办事大厅重新发起缴费。"
    elif order.status == "SUCCESS":
        problem = "该订单已支付成功。"
    elif order.expires_at <= timezone.now():
        problem = "该订单已超过支付截止时间。"
    if request.method == "POST" and not problem:
        action = request.POST.get("action")
        if action in ("pay", "fail"):
            notification = _settle(order, paid=action == "pay")
            _schedule(notification.pk)
            return _back(order, "SUCCESS" if action == "pay" else "FAILED")
        return _back(order, "CANCELLED")
    context = {"order": order, "amount": statement.to_yuan(order.amount_fen), "problem": problem}
    return render(
        request,
        "payments/sandbox_cashier.html",
        context,
        status=409 if problem and request.method == "POST" else 200,
    )


def _back(order: SandboxBankOrder, status: str):
    if not order.return_url:
        return HttpResponse(f"支付结果：{status}", content_type="text/plain; charset=utf-8")
    separator = "&" if urlsplit(order.return_url).query else "?"
    return HttpResponseRedirect(f"{order.return_url}{separator}{urlencode({'status': status})}")


@transaction.atomic
def _settle(order: SandboxBankOrder, *, paid: bool) -> SandboxBankNotification:
    order = SandboxBankOrder.objects.select_for_update().get(pk=order.pk)
    now = timezone.now()
    if paid:
        order.status = "SUCCESS"
        order.transaction_id = _id("TX")
        order.paid_at = now
    else:
        order.status = "FAILED"
    order.save(update_fields=["status", "transaction_id", "paid_at"])
    body = {
        "notify_id": _id("NT"),
        "merchant_id": settings.PAYMENTS_MERCHANT_ID,
        "order_number": order.order_number,
        "bank_order_id": order.bank_order_id,
        "transaction_id": order.transaction_id,
        "amount_fen": order.amount_fen,
        "status": order.status,
        "paid_at": now.isoformat() if paid else None,
    }
    return SandboxBankNotification.objects.create(
        order=order, notify_id=body["notify_id"], body=json.dumps(body, ensure_ascii=False)
    )


# --- notifications -------------------------------------------------------------------------


def notify(notification: SandboxBankNotification, *, secret: str | None = None, timeout: float = 10.0) -> int:
    """POST the notification to the merchant, freshly signed (``secret`` to forge one); its status."""
    key_id, real_secret = _key()
    body = notification.body.encode()
    parts = urlsplit(notification.order.notify_url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = signing.signed_headers(
        key_id, secret if secret is not None else real_secret, "POST", target, body
    )
    headers.update({"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(body))})
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        status = connection.getresponse().status
    except OSError:
        status = 0
    finally:
        connection.close()
    SandboxBankNotification.objects.filter(pk=notification.pk).update(
        attempts=notification.attempts + 1,
        last_status=status,
        delivered_at=timezone.now()
        if status == 200 and notification.delivered_at is None
        else notification.delivered_at,
    )
    notification.refresh_from_db()
    return status


def deliver_pending() -> int:
    """Send every notification not yet acknowledged (a bank's re-sending); the number sent."""
    sent = 0
    for notification in SandboxBankNotification.objects.filter(delivered_at__isnull=True).select_related(
        "order"
    ):
        if notify(notification) == 200:
            sent += 1
    return sent


_threads: list[threading.Thread] = []


def _schedule(notification_id: int) -> None:
    if settings.PAYMENTS_SANDBOX_NOTIFY == "none":
        return

    def run():
        from django.db import connection

        try:
            for pause in RETRY_PAUSES:
                time.sleep(pause)
                notification = (
                    SandboxBankNotification.objects.select_related("order").filter(pk=notification_id).first()
                )
                if notification is None or notify(notification) == 200:
                    return
        except Exception:
            logger.exception("sandbox bank: notification %s failed", notification_id)
        finally:
            connection.close()

    def start():
        thread = threading.Thread(target=run, name=f"sandbox-bank-notify-{notification_id}", daemon=True)
        _threads.append(thread)
        thread.start()

    transaction.on_commit(start)


def wait_notifications(timeout: float = 30.0) -> bool:
    """Wait for the background notifications of this process (tests)."""
    end = time.monotonic() + timeout
    while _threads:
        thread = _threads.pop()
        thread.join(max(0.0, end - time.monotonic()))
        if thread.is_alive():
            return False
    return True


urlpatterns = [
    path("orders/", create_order, name="payments-orders"),
    path("orders/<str:number>/", query_order, name="payments-order"),
    path("orders/<str:number>/close/", close_order, name="payments-order-close"),
    path("refunds/", refund, name="payments-refunds"),
    path("statements/", statements, name="payments-statements"),
    path("cashier/<str:bank_order_id>/", cashier, name="payments-cashier"),
]
