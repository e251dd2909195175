"""Sandbox of the carrier (统一物流), mounted at ``/sandbox/logistics/``.

The same HTTP contract as ``integrations.logistics.client`` speaks:

* ``POST waybills/`` (``Idempotency-Key`` required): one waybill per key; the first answer
  is ``201``, a repeat ``200`` with the same waybill number.
* ``GET waybills/<no>/``: status and every event so far (what polling reads).

and, for tests and demos, the parcel's progress:

* ``POST waybills/<no>/advance/`` ``{"to": "delivered", "notify": true}``: the next event
  (揽收 → 运输中 → 派送中 → 签收), or every event up to ``to`` (``returned`` for a
  refused parcel); each new event is posted to the ``callback_url`` the waybill was created
  with, signed. ``"notify": false`` keeps the events for polling only (a lost callback).
* ``GET waybills/<no>/page/``: an HTML page of the parcel with buttons doing the same.

The signing key: a real carrier gets the secret from an operator, who creates a
``logistics`` key in the admin (系统对接 › 对接密钥) and pastes it into the carrier's console.
The sandbox plays both: it uses the active ``logistics`` key named ``SANDBOX_KEY_NAME``,
creating it on first use, and reads its secret the way the portal does; regenerating that key
in the admin is picked up at the next callback. The knobs (``_control/``) apply to the two
carrier endpoints, not to the demo controls.
"""

import json
import secrets

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import credentials
from integrations.errors import PeerError
from integrations.http import PeerClient, SigningKey
from integrations.logistics.models import SandboxWaybill, SandboxWaybillEvent
from integrations.models import PeerCredential
from integrations.sandbox import framework

NAME = "logistics"
SANDBOX_KEY_NAME = "物流沙箱回调（演示）"
PROGRESSION = ("picked_up", "in_transit", "out_for_delivery", "delivered")
FINAL = frozenset({"delivered", "returned"})
STEPS = {
    "picked_up": ("中山市", "快递员已揽收，正在发往中山转运中心"),
    "in_transit": ("中山转运中心", "快件已从中山转运中心发出，发往目的地"),
    "out_for_delivery": ("目的地营业部", "快件正在派送，请保持电话畅通"),
    "delivered": ("目的地营业部", "快件已签收，签收人：本人"),
    "returned": ("目的地营业部", "收件人拒收，快件已退回寄件人"),
}
LABELS = {
    "created": "已下单",
    "picked_up": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
    "returned": "已退回",
}


def _clear() -> None:
    SandboxWaybill.objects.all().delete()


SANDBOX = framework.register(NAME, _("统一物流（沙箱）"), reset=_clear)


# --- The carrier's API ------------------------------------------------------------------


def _waybill_json(waybill: SandboxWaybill, *, events: bool = False) -> dict:
    data = {
        "waybill_no": waybill.waybill_no,
        "order_no": waybill.order_no,
        "status": waybill.status,
        "created_at": waybill.created_at.isoformat(),
    }
    if events:
        data["events"] = [_event_json(event) for event in waybill.events.order_by("sequence")]
    return data


def _event_json(event: SandboxWaybillEvent) -> dict:
    return {
        "event_id": event.event_id,
        "waybill_no": event.waybill.waybill_no,
        "status": event.status,
        "description": event.description,
        "location": event.location,
        "occurred_at": event.occurred_at.isoformat(),
    }


def _problems(body) -> dict:
    if not isinstance(body, dict):
        return {"body": "请求体应为 JSON 对象"}
    problems = {}
    if not str(body.get("order_no") or "").strip():
        problems["order_no"] = "必填"
    for side in ("sender", "recipient"):
        party = body.get(side)
        if not isinstance(party, dict):
            problems[side] = "必填，含 name、phone、address"
            continue
        for field in ("name", "phone", "address"):
            if not str(party.get(field) or "").strip():
                problems[f"{side}.{field}"] = "必填"
    return problems


@require_POST
def create_waybill(request):
    key = framework.idempotency_key(request)
    if not key:
        return framework.error(400, "missing_idempotency_key", "请求须带 Idempotency-Key 头")
    existing = SandboxWaybill.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return JsonResponse(_waybill_json(existing))
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return framework.error(400, "bad_request", "请求体应为 JSON")
    problems = _problems(body)
    if problems:
        return JsonResponse(
            {"error": {"code": "validation_error", "message": "运单信息不完整", "fields": problems}},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                waybill = SandboxWaybill.objects.create(
                    idempotency_key=key,
                    waybill_no=f"98{secrets.randbelow(10**11):011d}",
                    order_no=str(body["order_no"])[:64],
                    request=body,
                    callback_url=str(body.get("callback_url") or "")[:500],
                )
        except IntegrityError:
            existing = SandboxWaybill.objects.filter(idempotency_key=key).first()
            if existing is not None:  # a twin request with the same key won
                return JsonResponse(_waybill_json(existing))
            continue  # the random number was taken: draw another
        return JsonResponse(_waybill_json(waybill), status=201)
    return framework.error(503, "busy", "运单号分配繁忙，请稍后重试")


@require_GET
def waybill_detail(request, waybill_no: str):
    waybill = SandboxWaybill.objects.filter(waybill_no=waybill_no).first()
    if waybill is None:
        return framework.error(404, "not_found", "运单号不存在")
    return JsonResponse(_waybill_json(waybill, events=True), json_dumps_params={"ensure_ascii": False})


# --- Progress (tests and demos) ------------------------------------------------------------


def _next_statuses(current: str, to: str) -> list[str]:
    if current in FINAL:
        return []
    if to == "returned":
        return ["returned"]
    position = PROGRESSION.index(current) + 1 if current in PROGRESSION else 0
    if not to:
        return list(PROGRESSION[position : position + 1])
    if to not in PROGRESSION:
        raise ValueError(to)
    return list(PROGRESSION[position : PROGRESSION.index(to) + 1])


def advance(waybill_no: str, *, to: str = "", notify: bool = True) -> list[SandboxWaybillEvent]:
    """Add the parcel's next event(s); call the portal back for each unless told not to."""
    with transaction.atomic():
        waybill = SandboxWaybill.objects.select_for_update().get(waybill_no=waybill_no)
        last = waybill.events.order_by("-sequence").first()
        sequence = last.sequence if last else 0
        created = []
        for status in _next_statuses(waybill.status, to):
            sequence += 1
            location, description = STEPS[status]
            created.append(
                SandboxWaybillEvent.objects.create(
                    waybill=waybill,
                    event_id=f"{waybill.waybill_no}-{sequence:02d}",
                    sequence=sequence,
                    status=status,
                    description=description,
                    location=location,
                    occurred_at=timezone.now(),
                )
            )
            waybill.status = status
        waybill.save(update_fields=["status"])
    if notify:
        for event in created:
            notify_event(event)  # outside the transaction: the portal may call us back meanwhile
    return created


def callback_key() -> SigningKey:
    """The carrier's copy of its ``logistics`` key (created on first use)."""
    credential = (
        PeerCredential.objects.filter(peer=NAME, name=SANDBOX_KEY_NAME, is_active=True).order_by("pk").first()
    )
    if credential is None:
        credential, secret = credentials.create(
            peer=NAME, name=SANDBOX_KEY_NAME, note="物流沙箱用于签名轨迹回调（仅演示和测试）"
        )
        return SigningKey(credential.key_id, secret)
    return SigningKey(credential.key_id, credentials.secret_of(credential))


def notify_event(event: SandboxWaybillEvent) -> bool:
    """POST one event to the waybill's callback URL, signed; remember whether it arrived."""
    url = event.waybill.callback_url
    if not url:
        return False
    try:
        PeerClient(peer="sandbox-logistics", base_url=url, signing=callback_key(), read_timeout=10).post(
            json=_event_json(event)
        )
    except PeerError as exc:
        SandboxWaybillEvent.objects.filter(pk=event.pk).update(
            notify_error=f"{exc.status or ''} {exc.code}"[:200]
        )
        return False
    SandboxWaybillEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now(), notify_error="")
    return True


@csrf_exempt
@require_POST
def advance_view(request, waybill_no: str):
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
        to = str(body.get("to") or "")
        events = advance(waybill_no, to=to, notify=bool(body.get("notify", True)))
    except SandboxWaybill.DoesNotExist:
        return framework.error(404, "not_found", "运单号不存在")
    except (ValueError, UnicodeDecodeError):
        return framework.error(400, "bad_request", f"to 应为 {'、'.join(PROGRESSION)} 或 returned")
    waybill = SandboxWaybill.objects.get(waybill_no=waybill_no)
    data = _waybill_json(waybill)
    data["new_events"] = [
        {
            **_event_json(event),
            "notified": SandboxWaybillEvent.objects.get(pk=event.pk).notified_at is not None,
        }
        for event in events
    ]
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def parcel_page(request, waybill_no: str):
    waybill = SandboxWaybill.objects.filter(waybill_no=waybill_no).first()
    if waybill is None:
        return HttpResponse("运单号不存在", status=404, content_type="text/plain; charset=utf-8")
    if request.method == "POST":
        to = request.POST.get("to", "")
        advance(waybill_no, to=to if to in (*PROGRESSION, "returned") else "")
        return redirect(reverse("sandbox:logistics-parcel", args=[waybill_no]))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                LABELS.get(e.status, e.status),
                e.location,
                e.description,
            )
            for e in waybill.events.order_by("sequence")
        ),
    )
    buttons = ""
    if waybill.status not in FINAL:
        buttons = mark_safe(  # a constant: nothing to escape
            '<form method="post"><button type="submit">推进一步</button> '
            '<button type="submit" name="to" value="delivered">直接签收</button> '
            '<button type="submit" name="to" value="returned">拒收退回</button></form>'
        )
    page = format_html(
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        "<title>运单 {no} · 统一物流（沙箱）</title></head><body><main><h1>运单 {no}</h1>"
        "<p>统一物流（沙箱）· 当前状态：<strong>{status}</strong></p>"
        "<table><caption>物流轨迹</caption><thead><tr><th scope=col>时间</th><th scope=col>状态</th>"
        "<th scope=col>地点</th><th scope=col>描述</th></tr></thead><tbody>{rows}</tbody></table>"
        "{buttons}</main></body></html>",
        no=waybill.waybill_no,
        status=LABELS.get(waybill.status, waybill.status),
        rows=rows,
        buttons=buttons,
    )
    return HttpResponse(page)


urlpatterns = [
    path("waybills/", framework.endpoint(NAME)(create_waybill), name="logistics-waybills"),
    path("waybills/<str:waybill_no>/", framework.endpoint(NAME)(waybill_detail), name="logistics-waybill"),
    path("waybills/<str:waybill_no>/advance/", advance_view, name="logistics-advance"),
    path("waybills/<str:waybill_no>/page/", parcel_page, name="logistics-parcel"),
]
