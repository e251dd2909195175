"""Sandbox of the provincial hall (省网上办事大厅), mounted at ``/sandbox/provincial/``.

For now it plays the unified numbering service (``integrations.provincial.numbering``):
the same HTTP contract as the real one, with its own state (``SandboxSerialCounter``, a
counter row per implementation code and day, locked while incremented) and the framework's
knobs (``/sandbox/provincial/_control/``). Its numbers use the range 0001–5000 of each
code and day; the portal's fallback numbers start at 5001.

``set_mode`` and the old ``numbering/control/`` endpoint keep the first version's simple
modes ("ok", "fail", "garbage", with a delay), expressed as knobs.
"""

import datetime
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.models import SandboxSerialCounter
from integrations.sandbox import framework
from matters.codes import validate_implementation_code

NAME = "provincial"
MODES = ("ok", "fail", "garbage")
MAX_SEQUENCE = 5000
MAX_DELAY = 30.0


def _clear() -> None:
    SandboxSerialCounter.objects.all().delete()


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


urlpatterns = [
    path("numbering/", framework.endpoint(NAME)(numbering), name="provincial-numbering"),
    path("numbering/control/", numbering_control, name="provincial-numbering-control"),
]
