"""``/verify/<token>/``: the public page a document's QR code opens.

Anyone may check that a receipt or notice is genuine: the page shows the document's key data
with the applicant's name masked and never an ID number or phone. Tokens are long random
strings; on top of that the page is rate-limited per client IP against enumeration.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework.throttling import SimpleRateThrottle

from applications import pdf
from applications.models import IssuedDocument

DEFAULT_RATE = "30/min"
TOKEN_MAX_LENGTH = 64


class VerifyRateThrottle(SimpleRateThrottle):
    """Cache-based count per client IP; the IP is read as the API's throttles read it
    (``REST_FRAMEWORK["NUM_PROXIES"]`` behind a reverse proxy)."""

    scope = "verify"

    def get_rate(self) -> str:
        return getattr(settings, "VERIFY_RATE_LIMIT", DEFAULT_RATE)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _find(token: str) -> IssuedDocument | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        IssuedDocument.objects.select_related("case__submission", "case__matter", "case__department")
        .filter(token=token)
        .first()
    )


@require_safe
@never_cache
def verify(request, token: str):
    throttle = VerifyRateThrottle()
    if not throttle.allow_request(request, None):
        response = render(request, "applications/verify.html", {"throttled": True}, status=429)
        wait = throttle.wait()
        if wait:
            response["Retry-After"] = str(int(wait) + 1)
        return response
    issued = _find(token)
    if issued is None:
        return render(request, "applications/verify.html", {"issued": None}, status=404)
    case = issued.case
    return render(
        request,
        "applications/verify.html",
        {
            "issued": issued,
            "case": case,
            "document_number": pdf.document_number(issued),
            "applicant": pdf.public_applicant_name(issued),
            "issued_at": timezone.localtime(issued.created_at),
        },
    )
