"""What every sandbox shares: failure knobs, the control endpoint, the registry.

Knobs (``SandboxBehaviour``, one row per sandbox; no row means "behave"), applied by the
``endpoint(name)`` decorator to each request, one random draw per request:

* ``latency_seconds``: every answer waits this long first;
* ``fail_rate``: this share is answered ``503 {"error": {"code": "sandbox_failure"}}``
  before anything is done;
* ``slow_rate``: this share waits ``slow_seconds`` (longer than the client's timeout) and
  then does its work: the client gave up, the sandbox kept the data, exactly the case an
  idempotency key exists for;
* ``garbage_rate``: this share gets ``200`` with an HTML page instead of JSON.

The shares are disjoint (their sum is at most 1): 0.5 fail + 0.1 slow means 50% failures,
10% timeouts and 40% normal answers.

Control, over HTTP (tests, demos, other processes)::

    GET    /sandbox/<name>/_control/     the knobs
    POST   /sandbox/<name>/_control/     {"fail_rate": 0.5, "slow_rate": 0.1, "slow_seconds": 5}
    DELETE /sandbox/<name>/_control/     knobs back to normal and the sandbox's tables emptied

or in-process: ``configure(name, fail_rate=…)``, ``reset(name)``, and in the admin (沙箱行为).
``in_flight()`` counts the sandbox requests still running in this process, so a test can
wait for a slow answer to finish before its database goes away (``wait_quiet()``).
"""

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.models import SandboxBehaviour

KNOBS = ("fail_rate", "slow_rate", "slow_seconds", "garbage_rate", "latency_seconds")
GARBAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class Sandbox:
    name: str
    label: str = ""
    reset: Callable[[], None] | None = None


_sandboxes: dict[str, Sandbox] = {}


def register(name: str, label: str = "", *, reset: Callable[[], None] | None = None) -> Sandbox:
    sandbox = Sandbox(name=name, label=str(label or name), reset=reset)
    _sandboxes[name] = sandbox
    return sandbox


def get(name: str) -> Sandbox | None:
    return _sandboxes.get(name)


def registered() -> list[Sandbox]:
    return sorted(_sandboxes.values(), key=lambda sandbox: sandbox.name)


def autodiscover() -> list:
    """Import every sandbox module of this package (they register themselves); return them."""
    import importlib
    import pkgutil

    import integrations.sandbox as package

    modules = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in ("framework", "urls") or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if isinstance(getattr(module, "SANDBOX", None), Sandbox):
            modules.append(module)
    return modules


# --- knobs ------------------------------------------------------------------------


def behaviour(name: str) -> SandboxBehaviour:
    """The knobs of a sandbox (an unsaved default row when none was set)."""
    return SandboxBehaviour.objects.filter(sandbox=name).first() or SandboxBehaviour(sandbox=name)


def knobs(name: str) -> dict:
    current = behaviour(name)
    return {knob: getattr(current, knob) for knob in KNOBS}


def configure(name: str, **values) -> dict:
    """Change some knobs (the others keep their value); ``ValidationError`` on bad values."""
    unknown = set(values) - set(KNOBS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "unknown knob"))
    current = behaviour(name)
    for knob, value in values.items():
        try:
            setattr(current, knob, float(value))
        except (TypeError, ValueError):
            raise ValidationError({knob: "must be a number"}) from None
    current.full_clean(validate_unique=False)
    current.save()
    return knobs(name)


def reset(name: str) -> dict:
    """Knobs back to normal, and the sandbox forgets its data."""
    SandboxBehaviour.objects.filter(sandbox=name).delete()
    sandbox = get(name)
    if sandbox and sandbox.reset:
        sandbox.reset()
    return knobs(name)


# --- requests ---------------------------------------------------------------------

_in_flight = 0
_in_flight_lock = threading.Condition()


def in_flight() -> int:
    return _in_flight


def wait_quiet(timeout: float = 30.0) -> bool:
    """Wait until no sandbox request runs in this process."""
    end = time.monotonic() + timeout
    with _in_flight_lock:
        while _in_flight:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return False
            _in_flight_lock.wait(remaining)
    return True


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def endpoint(name: str):
    """Decorate a sandbox view: CSRF-exempt (peers sign instead), and subject to the knobs."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            global _in_flight
            with _in_flight_lock:
                _in_flight += 1
            try:
                current = behaviour(name)
                if current.latency_seconds:
                    time.sleep(current.latency_seconds)
                draw = random.random()  # noqa: S311 - simulation, not secrecy
                if draw < current.fail_rate:
                    return error(503, "sandbox_failure", "沙箱按设定模拟故障，请稍后重试")
                draw -= current.fail_rate
                if draw < current.slow_rate:
                    time.sleep(current.slow_seconds)
                    return view(request, *args, **kwargs)
                draw -= current.slow_rate
                if draw < current.garbage_rate:
                    return HttpResponse(GARBAGE, content_type="text/html")
                return view(request, *args, **kwargs)
            finally:
                with _in_flight_lock:
                    _in_flight -= 1
                    _in_flight_lock.notify_all()

        return wrapped

    return decorator


def idempotency_key(request) -> str:
    """The ``Idempotency-Key`` header a client sent (sandboxes keep one copy per key)."""
    return request.headers.get("Idempotency-Key", "").strip()


@csrf_exempt
@require_http_methods(["GET", "POST", "DELETE"])
def control(request, name: str):
    """GET the knobs; POST some of them as JSON; DELETE resets knobs and data."""
    if get(name) is None:
        return error(404, "not_found", f"没有名为 {name} 的沙箱")
    if request.method == "DELETE":
        return JsonResponse(reset(name))
    if request.method == "POST":
        try:
            values = json.loads(request.body or b"{}")
            if not isinstance(values, dict):
                raise ValueError
            return JsonResponse(configure(name, **values))
        except ValueError:
            return error(400, "bad_request", "请求体应为 JSON 对象")
        except ValidationError as exc:
            body = {
                "error": {"code": "validation_error", "message": "沙箱参数有误", "fields": exc.message_dict}
            }
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(knobs(name))
