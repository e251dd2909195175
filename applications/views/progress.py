"""``/progress/``: the public progress query (办件进度查询), no login needed.

The visitor gives the serial number and one proof that they know the case: the query code
printed on the receipt, the applicant's name (an organisation's name), or the last six
characters of the applicant's ID number. The answer is the state and the timeline (step,
department, time) with the applicant's name masked: no opinions, no ID number, no phone.

Against enumeration: every query counts against the client IP (10 a minute and 100 a day
by default, ``PROGRESS_RATE_LIMITS``) and every wrong answer against the serial number
(``PROGRESS_FAILURES_PER_SERIAL`` a day), each answered 429 with a plain message. An unknown
serial and a wrong proof get the same answer, so the page is no oracle for either.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from applications import pdf, wording
from applications.forms import ProgressQueryForm
from applications.models import ApplicantType, Case, State
from applications.views.my_cases import timeline_rows

DEFAULT_RATES = ("10/min", "100/day")
DEFAULT_FAILURES_PER_SERIAL = 20
FAILURE_WINDOW_SECONDS = 24 * 3600
NOT_FOUND = "not_found"


class ProgressRateThrottle(SimpleRateThrottle):
    """A cache-based count per client IP (read as the API's throttles read it, honouring
    ``REST_FRAMEWORK["NUM_PROXIES"]`` behind a reverse proxy), one window per instance."""

    scope = "progress"

    def __init__(self, rate: str):
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)

    def get_cache_key(self, request, view) -> str:
        return f"throttle_progress_{self.duration}_{self.get_ident(request)}"


def rates() -> tuple[str, ...]:
    return tuple(getattr(settings, "PROGRESS_RATE_LIMITS", DEFAULT_RATES))


def _throttled(request) -> int | None:
    """Seconds to wait when the client IP asked too often, else None (the query is counted)."""
    for rate in rates():
        throttle = ProgressRateThrottle(rate)
        if not throttle.allow_request(request, None):
            return int(throttle.wait() or 0) + 1
    return None


def _failure_key(serial: str) -> str:
    return "progress_failures_" + hashlib.sha256(serial.encode()).hexdigest()[:32]


def _too_many_failures(serial: str) -> bool:
    limit = getattr(settings, "PROGRESS_FAILURES_PER_SERIAL", DEFAULT_FAILURES_PER_SERIAL)
    return (cache.get(_failure_key(serial)) or 0) >= limit


def _count_failure(serial: str) -> None:
    key = _failure_key(serial)
    if cache.add(key, 1, FAILURE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILURE_WINDOW_SECONDS)


def _expected(case: Case, method: str) -> str:
    submission = case.submission
    if method == ProgressQueryForm.CODE:
        return case.query_code.upper()
    if method == ProgressQueryForm.NAME:
        return "".join(submission.applicant_name.split())
    number = (submission.applicant_id_number or "").upper()
    return number[-6:] if len(number) >= 6 else ""


def _given(method: str, proof: str) -> str:
    if method == ProgressQueryForm.NAME:
        return "".join(proof.split())
    return proof.upper()


def find_case(serial: str, method: str, proof: str) -> Case | None:
    """The case when the proof matches, else None: whether the serial exists is not told."""
    case = (
        Case.objects.select_related("submission", "matter", "department")
        .filter(serial=serial)
        .exclude(state=State.DRAFT)
        .first()
    )
    expected = _expected(case, method) if case is not None else "\x00" * 6
    # Compared in constant time, and compared even when there is no case.
    matched = hmac.compare_digest(expected.encode(), _given(method, proof).encode())
    return case if case is not None and expected and matched else None


def public_applicant(case: Case) -> str:
    """An organisation's name in full (it is public); a person's name masked."""
    submission = case.submission
    if submission.applicant_type != ApplicantType.PERSON and submission.org_name:
        return submission.org_name
    return pdf.mask_name(submission.applicant_name)


def _render(request, context: dict, status: int = 200):
    return render(request, "applications/progress/query.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def progress(request):
    if request.method != "POST":
        form = ProgressQueryForm(initial={"serial": request.GET.get("serial", "")[:60]})
        return _render(request, {"form": form})
    wait = _throttled(request)
    if wait is not None:
        response = _render(request, {"form": ProgressQueryForm(), "throttled": True}, status=429)
        response["Retry-After"] = str(wait)
        return response
    form = ProgressQueryForm(request.POST)
    if not form.is_valid():
        return _render(request, {"form": form}, status=400)
    data = form.cleaned_data
    if _too_many_failures(data["serial"]):
        return _render(request, {"form": form, "throttled": True}, status=429)
    case = find_case(data["serial"], data["method"], data["proof"])
    if case is None:
        _count_failure(data["serial"])
        return _render(request, {"form": form, "not_found": True}, status=404)
    return _render(
        request,
        {
            "form": ProgressQueryForm(initial={"serial": case.serial, "method": data["method"]}),
            "case": case,
            "applicant": public_applicant(case),
            "wording": wording.wording_for(case),
            "timeline": timeline_rows(case, public=True),
        },
    )
