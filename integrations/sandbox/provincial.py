"""Sandbox of the provincial hall (省网上办事大厅), mounted at ``/sandbox/provincial/``.

It plays the provincial exchange (省厅前置系统, the contract of
``integrations.provincial.client``; docs/provincial-exchange.md):

* ``POST records/``: the exchange tables of one process record, kept once per
  ``Idempotency-Key`` (``SandboxExchangeMessage``, its rows in ``SandboxExchangeRow``); a
  repeat of the key gets the first answer again (``Idempotent-Replay: true``), a bad row a
  400 naming the table and field, a VERSION not above the stored one a 409;
* ``POST serials/``: serial numbers the hall made while the numbering service was down;
* ``GET catalogue/changes/`` and ``GET cases/``: the feeds the hall pulls (``since`` cursor),
  filled by ``add_catalogue_change()`` and ``add_case()`` (tests, demos) or
  ``POST feeds/`` ({"catalogue": [...], "cases": [...]}).

It also plays the unified numbering service (``integrations.provincial.numbering``):
the same HTTP contract as the real one, with its own state (``SandboxSerialCounter``, a
counter row per implementation code and day, locked while incremented) and the framework's
knobs (``/sandbox/provincial/_control/``). Its numbers use the range 0001–5000 of each
code and day; the portal's fallback numbers start at 5001.

``set_mode`` and the old ``numbering/control/`` endpoint keep the first version's simple
modes ("ok", "fail", "garbage", with a delay), expressed as knobs.
"""

import datetime
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from integrations import signing
from integrations.models import SandboxSerialCounter
from integrations.provincial import mapping
from integrations.provincial.models import (
    SandboxCatalogueChange,
    SandboxExchangeMessage,
    SandboxExchangeRow,
    SandboxProvinceCase,
    SandboxSerialReport,
)
from integrations.sandbox import framework
from matters.codes import validate_implementation_code

NAME = "provincial"
MODES = ("ok", "fail", "garbage")
MAX_SEQUENCE = 5000
MAX_DELAY = 30.0


def _clear() -> None:
    SandboxSerialCounter.objects.all().delete()
    SandboxExchangeRow.objects.all().delete()
    SandboxExchangeMessage.objects.all().delete()
    SandboxSerialReport.objects.all().delete()
    SandboxCatalogueChange.objects.all().delete()
    SandboxProvinceCase.objects.all().delete()


SANDBOX = framework.register(NAME, _("省网上办事大厅（沙箱）"), reset=_clear)


def current_mode() -> dict:
    knobs = framework.knobs(NAME)
    mode = "fail" if knobs["fail_rate"] >= 1 else "garbage" if knobs["garbage_rate"] >= 1 else "ok"
    return {"mode": mode, "delay": knobs["latency_seconds"]}


def set_mode(mode: str = "ok", delay: float = 0.0) -> dict:
    """Tell the sandbox how to behave from now on (also callable from tests in-process)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    framework.configure(
        NAME,
        fail_rate=1.0 if mode == "fail" else 0.0,
        garbage_rate=1.0 if mode == "garbage" else 0.0,
        slow_rate=0.0,
        latency_seconds=max(0.0, min(float(delay), MAX_DELAY)),
    )
    return current_mode()


def reset() -> None:
    """Back to normal behaviour, every counter from 0001 again."""
    framework.reset(NAME)


@require_http_methods(["POST"])
def numbering(request):
    """Issue the next serial number of an implementation code and day."""
    try:
        body = json.loads(request.body or b"{}")
        code = str(body["implementation_code"])
        date = str(body["date"])
        day = datetime.datetime.strptime(date, "%Y%m%d").date()
        validate_implementation_code(code)
    except (ValueError, KeyError, TypeError, ValidationError):
        return framework.error(
            400, "bad_request", "implementation_code（31位）和 date（YYYYMMDD）必填且须有效"
        )
    with transaction.atomic():
        SandboxSerialCounter.objects.bulk_create(
            [SandboxSerialCounter(implementation_code=code, day=day)], ignore_conflicts=True
        )
        counter = SandboxSerialCounter.objects.filter(implementation_code=code, day=day)
        counter.update(last_value=F("last_value") + 1)  # the row stays locked until commit
        sequence = counter.values_list("last_value", flat=True).get()
    if sequence > MAX_SEQUENCE:
        return framework.error(503, "exhausted", "该事项当日流水号已用完")
    return JsonResponse({"serial": f"{code}{date}{sequence:04d}", "sequence": sequence})


@csrf_exempt
@require_http_methods(["GET", "POST", "DELETE"])
def numbering_control(request):
    """The first version's control: GET the mode; POST {"mode": "ok|fail|garbage", "delay": s};
    DELETE resets."""
    if request.method == "DELETE":
        reset()
        return JsonResponse(current_mode())
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
            return JsonResponse(set_mode(str(body.get("mode", "ok")), float(body.get("delay", 0) or 0)))
        except (ValueError, TypeError, AttributeError):
            return framework.error(400, "bad_request", f"mode 应为 {'/'.join(MODES)}，delay 为秒数")
    return JsonResponse(current_mode())


# --- The exchange: records pushed by the hall ----------------------------------------------

MAX_FEED_PAGE = 500


def _signature_problem(request):
    """When the province has our key (``PROVINCIAL_EXCHANGE_SECRET``), requests must be signed with it."""
    secret = getattr(settings, "PROVINCIAL_EXCHANGE_SECRET", "")
    if not secret:
        return None
    headers = [request.headers.get(name, "") for name in signing.HEADERS]
    if not all(headers):
        return framework.error(401, "missing_signature", "请求未签名")
    key_id, timestamp, nonce, given = headers
    if key_id != getattr(settings, "PROVINCIAL_EXCHANGE_KEY_ID", "") or not signing.matches(
        secret, given, request.method, request.get_full_path(), timestamp, nonce, request.body
    ):
        return framework.error(401, "bad_signature", "签名不正确")
    return None


def _replay(stored, body):
    if stored.body != body:
        return framework.error(409, "idempotency_key_reused", "该幂等键已用于内容不同的报文")
    response = JsonResponse(stored.answer, json_dumps_params={"ensure_ascii": False})
    response["Idempotent-Replay"] = "true"
    return response


def _parse_records(body):
    """(rows as (table, serial, item, version, fields), None) or (None, error response)."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list) or not body["records"]:
        return None, framework.error(400, "bad_request", "报文应为 JSON 对象，records 为非空数组")
    serial = str(body.get("SBLSH") or "")
    rows = []
    for index, record in enumerate(body["records"]):
        if not isinstance(record, dict):
            return None, framework.error(400, "bad_request", f"records[{index}] 应为对象")
        table, fields = str(record.get("table", "")), record.get("fields")
        problems = mapping.validate_row(table, fields)
        if not problems and fields["SBLSH"] != serial:
            problems = [("invalid_value", "SBLSH")]
        if problems:
            code, name = problems[0]
            messages = {
                "unknown_table": f"未知的交换表 {table}",
                "missing_field": f"{table}.{name} 为必填项",
                "invalid_code": f"{table}.{name} 的代码值不在代码表中",
                "bad_version": f"{table}.VERSION 应为不小于1的整数",
                "invalid_value": f"{table}.{name} 的值无效",
            }
            body_out = {
                "error": {
                    "code": code,
                    "message": messages.get(code, "报文有误"),
                    "table": table,
                    "fields": [problem_name for _problem, problem_name in problems],
                }
            }
            return None, JsonResponse(body_out, status=400, json_dumps_params={"ensure_ascii": False})
        item = str(fields.get("XH", "")) if table in mapping.PER_STEP else ""
        rows.append((table, serial, item, fields["VERSION"], fields))
    return rows, None


@require_http_methods(["POST"])
def records(request):
    """Store the exchange rows of one message, once per idempotency key."""
    refused = _signature_problem(request)
    if refused:
        return refused
    key = framework.idempotency_key(request)
    if not key or len(key) > 128:
        return framework.error(400, "missing_idempotency_key", "缺少 Idempotency-Key 请求头")
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return framework.error(400, "bad_request", "报文不是有效的 JSON")
    stored = SandboxExchangeMessage.objects.filter(idempotency_key=key).first()
    if stored:
        return _replay(stored, body)
    rows, problem = _parse_records(body)
    if problem:
        return problem
    answer = {"SBLSH": body["SBLSH"], "stored": [{"table": t, "VERSION": v} for t, _s, _i, v, _f in rows]}
    try:
        with transaction.atomic():
            for table, serial, item, version, _fields in rows:
                current = SandboxExchangeRow.objects.filter(table=table, serial=serial, item=item).aggregate(
                    m=Max("version")
                )["m"]
                if current is not None and version <= current:
                    # The same key may have been stored meanwhile by its first, slow copy (this
                    # request is the client's retry): that is a replay, not a stale version.
                    stored = SandboxExchangeMessage.objects.filter(idempotency_key=key).first()
                    if stored:
                        return _replay(stored, body)
                    return framework.error(
                        409, "stale_version", f"{table} 已有版本 {current}，重报须 VERSION 加 1"
                    )
            message = SandboxExchangeMessage.objects.create(
                idempotency_key=key,
                serial=body["SBLSH"],
                sequence=int(body.get("XH") or 0) if str(body.get("XH") or "0").isdigit() else 0,
                action=str(body.get("BLHJDM", ""))[:32],
                body=body,
                answer=answer,
            )
            SandboxExchangeRow.objects.bulk_create(
                [
                    SandboxExchangeRow(message=message, table=t, serial=s, item=i, version=v, fields=f)
                    for t, s, i, v, f in rows
                ]
            )
    except IntegrityError:
        # The same key arrived twice at once (a retry while the first copy was slow): one stored it.
        stored = SandboxExchangeMessage.objects.filter(idempotency_key=key).first()
        if stored:
            return _replay(stored, body)
        return framework.error(409, "stale_version", "该版本已上报")
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


@require_http_methods(["POST"])
def serials(request):
    """A serial number the hall generated itself while the numbering service was down."""
    refused = _signature_problem(request)
    if refused:
        return refused
    key = framework.idempotency_key(request)
    if not key or len(key) > 128:
        return framework.error(400, "missing_idempotency_key", "缺少 Idempotency-Key 请求头")
    try:
        body = json.loads(request.body or b"")
        serial, code = str(body["SBLSH"]), str(body["SXBM"])
        validate_implementation_code(code)
        if not serial.startswith(code) or len(serial) > 50:
            raise ValueError
    except (ValueError, KeyError, TypeError, ValidationError):
        return framework.error(
            400, "bad_request", "SBLSH 和 SXBM（31位实施编码）必填，流水号须以实施编码开头"
        )
    stored = SandboxSerialReport.objects.filter(idempotency_key=key).first()
    if stored is None:
        try:
            with transaction.atomic():
                SandboxSerialReport.objects.create(
                    idempotency_key=key, serial=serial, implementation_code=code, body=body
                )
        except IntegrityError:
            stored = SandboxSerialReport.objects.filter(idempotency_key=key).first()
            if stored is None:
                return framework.error(409, "serial_taken", "该流水号已被其他报文备案")
    if stored is not None and stored.body != body:
        return framework.error(409, "idempotency_key_reused", "该幂等键已用于内容不同的报文")
    response = JsonResponse({"SBLSH": serial})
    if stored is not None:
        response["Idempotent-Replay"] = "true"
    return response


# --- The feeds the hall pulls ----------------------------------------------------------


def add_catalogue_change(operation: str, data: dict) -> SandboxCatalogueChange:
    """The province changes its catalogue: ``upsert`` (new or changed matter) or ``withdraw``."""
    if operation not in ("upsert", "withdraw"):
        raise ValueError("operation must be upsert or withdraw")
    return SandboxCatalogueChange.objects.create(
        operation=operation, implementation_code=str(data.get("SXBM", ""))[:31], data=data
    )


def add_case(data: dict) -> SandboxProvinceCase:
    """A case applied for on the provincial hall (GDBS SB names: SBLSH, SXBM, SQRLX, SQRMC…)."""
    return SandboxProvinceCase.objects.create(province_id=str(data["SBLSH"]), data=data)


def _since_limit(request):
    since = int(request.GET.get("since") or 0)
    limit = int(request.GET.get("limit") or 100)
    if since < 0 or not 1 <= limit <= MAX_FEED_PAGE:
        raise ValueError
    return since, limit


@require_GET
def catalogue_changes(request):
    refused = _signature_problem(request)
    if refused:
        return refused
    try:
        since, limit = _since_limit(request)
    except ValueError:
        return framework.error(400, "bad_request", f"since 为非负整数，limit 为 1–{MAX_FEED_PAGE}")
    rows = list(SandboxCatalogueChange.objects.filter(id__gt=since).order_by("id")[: limit + 1])
    page = rows[:limit]
    changes = [
        {"id": r.id, "operation": r.operation, "SXBM": r.implementation_code, "data": r.data} for r in page
    ]
    body = {"changes": changes, "next": page[-1].id if page else since, "more": len(rows) > limit}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
def cases(request):
    refused = _signature_problem(request)
    if refused:
        return refused
    try:
        since, limit = _since_limit(request)
    except ValueError:
        return framework.error(400, "bad_request", f"since 为非负整数，limit 为 1–{MAX_FEED_PAGE}")
    rows = list(SandboxProvinceCase.objects.filter(id__gt=since).order_by("id")[: limit + 1])
    page = rows[:limit]
    body = {
        "cases": [{"id": r.id, "data": r.data} for r in page],
        "next": page[-1].id if page else since,
        "more": len(rows) > limit,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_http_methods(["POST"])
def feeds(request):
    """Fill the feeds (demos, other processes): {"catalogue": [{"operation", "data"}], "cases": [data]}."""
    try:
        body = json.loads(request.body or b"{}")
        with transaction.atomic():
            changes = [add_catalogue_change(c["operation"], c["data"]) for c in body.get("catalogue", [])]
            added = [add_case(c) for c in body.get("cases", [])]
    except (ValueError, KeyError, TypeError, AttributeError, IntegrityError):
        return framework.error(
            400, "bad_request", "catalogue 为 [{operation, data}]，cases 为含 SBLSH 的对象数组"
        )
    return JsonResponse({"catalogue": [c.id for c in changes], "cases": [c.id for c in added]})


urlpatterns = [
    path("records/", framework.endpoint(NAME)(records), name="provincial-records"),
    path("serials/", framework.endpoint(NAME)(serials), name="provincial-serials"),
    path(
        "catalogue/changes/", framework.endpoint(NAME)(catalogue_changes), name="provincial-catalogue-changes"
    ),
    path("cases/", framework.endpoint(NAME)(cases), name="provincial-cases"),
    path("feeds/", feeds, name="provincial-feeds"),
    path("numbering/", framework.endpoint(NAME)(numbering), name="provincial-numbering"),
    path("numbering/control/", numbering_control, name="provincial-numbering-control"),
]
