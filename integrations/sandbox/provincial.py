"""Sandbox of the provincial numbering service: the same HTTP contract as the real one
(``integrations.provincial.numbering``), with its own state, and a control endpoint that
makes it fail, answer garbage or be slow, so tests and demos exercise the fallback.

State lives in the cache (Redis in the production shape, atomic ``incr``), never in the
portal's tables: the sandbox is another system. Its numbers use the range 0001–5000 of
each implementation code and day; the portal's fallback numbers start at 5001.
"""

import datetime
import json
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from matters.codes import validate_implementation_code

MODE_KEY = "sandbox:provincial:numbering:mode"
GENERATION_KEY = "sandbox:provincial:numbering:generation"
MODES = ("ok", "fail", "garbage")
MAX_SEQUENCE = 5000
MAX_DELAY = 30.0


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def current_mode() -> dict:
    return cache.get(MODE_KEY) or {"mode": "ok", "delay": 0.0}


def set_mode(mode: str = "ok", delay: float = 0.0) -> dict:
    """Tell the sandbox how to behave from now on (also callable from tests in-process)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    state = {"mode": mode, "delay": max(0.0, min(float(delay), MAX_DELAY))}
    cache.set(MODE_KEY, state, timeout=None)
    return state


def reset() -> None:
    """Back to normal behaviour, every counter from 0001 again."""
    cache.delete(MODE_KEY)
    cache.add(GENERATION_KEY, 0, timeout=None)
    cache.incr(GENERATION_KEY)


def _counter_key(code: str, date: str) -> str:
    generation = cache.get(GENERATION_KEY) or 0
    return f"sandbox:provincial:numbering:{generation}:{code}:{date}"


@csrf_exempt
@require_http_methods(["POST"])
def numbering(request):
    """Issue the next serial number of an implementation code and day."""
    state = current_mode()
    if state["delay"]:
        time.sleep(state["delay"])
    if state["mode"] == "fail":
        return _error(503, "unavailable", "统一编号服务暂不可用")
    if state["mode"] == "garbage":
        return HttpResponse("<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    try:
        body = json.loads(request.body or b"{}")
        code = str(body["implementation_code"])
        date = str(body["date"])
        datetime.datetime.strptime(date, "%Y%m%d")
        validate_implementation_code(code)
    except (ValueError, KeyError, TypeError, ValidationError):
        return _error(400, "bad_request", "implementation_code（31位）和 date（YYYYMMDD）必填且须有效")
    key = _counter_key(code, date)
    cache.add(key, 0, timeout=60 * 60 * 48)
    sequence = cache.incr(key)
    if sequence > MAX_SEQUENCE:
        return _error(503, "exhausted", "该事项当日流水号已用完")
    return JsonResponse({"serial": f"{code}{date}{sequence:04d}", "sequence": sequence})


@csrf_exempt
@require_http_methods(["GET", "POST", "DELETE"])
def numbering_control(request):
    """GET the behaviour; POST {"mode": "ok|fail|garbage", "delay": seconds}; DELETE resets."""
    if request.method == "DELETE":
        reset()
        return JsonResponse(current_mode())
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
            return JsonResponse(set_mode(str(body.get("mode", "ok")), float(body.get("delay", 0) or 0)))
        except (ValueError, TypeError):
            return _error(400, "bad_request", f"mode 应为 {'/'.join(MODES)}，delay 为秒数")
    return JsonResponse(current_mode())
