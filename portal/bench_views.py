"""Baselines of `make bench`, mounted only when ``settings.BENCH_ENDPOINTS`` is on (never in production).

``minimal_insert`` is what the submission API is measured against (tests/bench/bench_applications.py):
a plain Django view, authenticated by the same API token the client sends (or the session), that
writes one row in one transaction and answers a small JSON body. Everything the API does beyond
that (parsing, validation, the upload checks, the workflow) is what the ratio measures.
"""

import uuid

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from portal.models import Notification

BENCH_TEMPLATE_KEY = "bench"


def _user(request):
    """The token's user (``Authorization: Token …``, one query, as the API reads it), else the session's."""
    try:
        found = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed:
        return None
    if found is not None:
        return found[0]
    return request.user if request.user.is_authenticated else None


@csrf_exempt
@require_POST
def minimal_insert(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"error": {"code": "not_authenticated", "message": "请先登录。"}}, status=401)
    with transaction.atomic():
        row = Notification.objects.create(
            user=user,
            key=f"bench-{uuid.uuid4().hex}",
            template_key=BENCH_TEMPLATE_KEY,
            title="bench",
            body="",
            send_email=False,
        )
    return JsonResponse({"id": row.pk}, status=201)
