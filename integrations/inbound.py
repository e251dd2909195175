"""Inbound calls from peers: signature check, replay refusal and de-duplication by external id.

Every callback and inbound API call is signed as integrations.signing describes, with the
peer's key (``PeerCredential``, managed in the admin). ``authenticate(request)`` refuses, in
this order and with these codes (in the API error format, logged as a ``PeerRequestLog``
row with the code as its error):

=========================  ======  ===============================================
code                       status  when
=========================  ======  ===============================================
``missing_signature``      401     one of the four headers is missing
``unknown_key``            401     no active credential has that key id
``timestamp_out_of_window`` 401    more than ``INBOUND_SIGNATURE_WINDOW`` s (300) off
``bad_nonce``              401     the nonce is not 8–64 characters of [A-Za-z0-9_-]
``bad_signature``          401     the HMAC does not match
``wrong_peer``             403     a valid key of another peer than the endpoint's
``nonce_reused``           401     the key already used this nonce (a replay)
=========================  ======  ===============================================

De-duplication: a request that carries an external id (the bank's notification id, a
department's case id…) is answered once; a repeat with the same body gets the first answer
again (header ``Idempotent-Replay: true``) and changes nothing; a repeat with another body
is a 409 ``external_id_reused``. The receipt is written in the same transaction as the
view's work, so a failed (5xx or 4xx) first attempt leaves no receipt and may be retried.

Two front-ends over the same checks:

* plain Django, for callbacks::

      @signed_callback(peer="payments", external_id="notify_id")
      def bank_notify(request):           # request.peer_credential is the caller's key
          ...

* Django REST framework, for inbound APIs::

      class RegisterCase(PeerAPIView):    # PeerSignatureAuthentication + IsPeer
          peer = "departments"
          @deduplicated(external_id="external_id")
          def post(self, request): ...     # request.auth is the PeerCredential,
                                           # request.user its account (or anonymous)
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from integrations import credentials, keys, requestlog, signing
from integrations.models import InboundNonce, InboundReceipt, PeerCredential, PeerRequestLog

logger = logging.getLogger(__name__)

REPLAY_HEADER = "Idempotent-Replay"


def window() -> int:
    return int(getattr(settings, "INBOUND_SIGNATURE_WINDOW", 300))


def _message(code: str) -> str:
    messages = {
        "missing_signature": _("缺少签名：请求须带 X-Key-Id、X-Timestamp、X-Nonce 和 X-Signature 头。"),
        "unknown_key": _("密钥编号不存在或已停用。"),
        "timestamp_out_of_window": _(
            "请求时间戳无效或与服务器时间相差超过 %(seconds)d 秒，请校准时钟后重新签名。"
        )
        % {"seconds": window()},
        "bad_nonce": _("随机数格式无效：应为 8–64 位字母、数字、“-”或“_”。"),
        "bad_signature": _("签名校验失败。"),
        "wrong_peer": _("该密钥无权调用此接口。"),
        "nonce_reused": _("该随机数已经使用过，请求被视为重放而拒绝。"),
        "missing_external_id": _("请求缺少外部编号，无法去重。"),
        "external_id_reused": _("该外部编号已用于内容不同的另一请求。"),
    }
    return str(messages[code])


class InboundRefused(Exception):
    def __init__(self, code: str, status: int = 401):
        self.code = code
        self.status = status
        self.message = _message(code)
        super().__init__(f"{code}: {self.message}")

    def response(self) -> JsonResponse:
        return json_error(self.status, self.code, self.message)


def json_error(status: int, code: str, message: str) -> JsonResponse:
    """The API error format for plain Django views."""
    return JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


# --- the checks -------------------------------------------------------------------


def authenticate(request: HttpRequest, *, peer: str | None = None) -> PeerCredential:
    """The credential that signed this request, or ``InboundRefused`` (logged)."""
    started = time.monotonic()
    credential = None
    body = request.body
    try:
        key_id, timestamp, nonce, given = (request.headers.get(name, "").strip() for name in signing.HEADERS)
        if not (key_id and timestamp and nonce and given):
            raise InboundRefused("missing_signature")
        credential = PeerCredential.objects.filter(key_id=key_id, is_active=True).first()
        if credential is None:
            raise InboundRefused("unknown_key")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            skew = None
        if skew is None or skew > window():
            raise InboundRefused("timestamp_out_of_window")
        if not signing.NONCE_PATTERN.match(nonce):
            raise InboundRefused("bad_nonce")
        try:
            secret = credentials.secret_of(credential)
        except keys.UndecryptableSecret:
            logger.error("the secret of key %s cannot be decrypted: was the encryption key changed?", key_id)
            raise InboundRefused("unknown_key") from None
        if not signing.matches(
            secret, given, request.method, request.get_full_path(), timestamp, nonce, body
        ):
            raise InboundRefused("bad_signature")
        if peer and credential.peer != peer:
            raise InboundRefused("wrong_peer", status=403)
        try:
            with transaction.atomic():
                InboundNonce.objects.create(key_id=key_id, nonce=nonce)
        except IntegrityError:
            raise InboundRefused("nonce_reused") from None
    except InboundRefused as refusal:
        logger.warning("inbound request to %s refused: %s", request.path, refusal.code)
        _log(
            request,
            credential.peer if credential else (peer or "unknown"),
            refusal.status,
            started,
            refusal.code,
        )
        raise
    now = timezone.now()
    PeerCredential.objects.filter(pk=credential.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=60))
    ).update(last_used_at=now)
    return credential


def _log(
    request: HttpRequest, peer: str, status: int, started: float, error: str = "", sent: int = 0
) -> None:
    requestlog.record(
        peer=peer,
        direction=PeerRequestLog.Direction.IN,
        method=request.method,
        url=request.build_absolute_uri(request.path),
        status=status,
        ok=status < 400,
        duration_ms=int((time.monotonic() - started) * 1000),
        request_bytes=len(request.body),
        response_bytes=sent,
        error=error,
    )


class _Undo(Exception):
    """Roll back the receipt of a request whose answer was an error."""

    def __init__(self, response):
        self.response = response


def once(
    *,
    scope: str,
    external_id: str,
    body: bytes,
    handler: Callable[[], object],
    dump: Callable[[object], tuple[int, str, str]],
    load: Callable[[InboundReceipt], object],
    conflict: Callable[[], object],
):
    """Run ``handler`` once per (scope, external id); repeats get the stored first answer.

    ``dump(response)`` gives (status, content type, text) to store; ``load(receipt)`` rebuilds
    the answer; ``conflict()`` answers a repeat whose body differs.
    """
    digest = hashlib.sha256(body or b"").hexdigest()

    def replay(receipt: InboundReceipt):
        if receipt.body_sha256 != digest:
            return conflict()
        response = load(receipt)
        response[REPLAY_HEADER] = "true"
        return response

    existing = InboundReceipt.objects.filter(scope=scope, external_id=external_id).first()
    if existing is not None:
        return replay(existing)
    try:
        with transaction.atomic():
            receipt = InboundReceipt.objects.create(scope=scope, external_id=external_id, body_sha256=digest)
            response = handler()
            status, content_type, text = dump(response)
            if status >= 400:
                raise _Undo(response)
            receipt.status, receipt.content_type, receipt.body = status, content_type, text
            receipt.save(update_fields=["status", "content_type", "body"])
    except _Undo as undo:
        return undo.response
    except IntegrityError:
        # A twin of this request committed its receipt first (PostgreSQL waited for it).
        existing = InboundReceipt.objects.filter(scope=scope, external_id=external_id).first()
        if existing is None:
            raise
        return replay(existing)
    return response


def _external_id(request, spec, data=None) -> str:
    if callable(spec):
        value = spec(request)
    else:
        if data is None:
            try:
                data = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                data = request.POST
        value = data.get(spec) if hasattr(data, "get") else None
    return str(value).strip()[:128] if value not in (None, "") else ""


# --- plain Django -----------------------------------------------------------------


def signed_callback(peer: str | None = None, *, external_id: str | Callable | None = None):
    """Decorate a callback view: signed requests of ``peer`` only, answered once per external id.

    ``external_id`` names a field of the JSON (or form) body, or is a function of the
    request; without it, requests are only authenticated. The view finds the caller's
    credential in ``request.peer_credential``. CSRF does not apply (the signature does).
    """

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            started = time.monotonic()
            try:
                credential = authenticate(request, peer=peer)
            except InboundRefused as refusal:
                return refusal.response()
            request.peer_credential = credential
            if external_id is None:
                response = view(request, *args, **kwargs)
            else:
                identifier = _external_id(request, external_id)
                if not identifier:
                    response = json_error(400, "missing_external_id", _message("missing_external_id"))
                else:
                    response = once(
                        scope=credential.scope,
                        external_id=identifier,
                        body=request.body,
                        handler=lambda: view(request, *args, **kwargs),
                        dump=_dump_django,
                        load=_load_django,
                        conflict=lambda: json_error(
                            409, "external_id_reused", _message("external_id_reused")
                        ),
                    )
            _log(
                request,
                credential.peer,
                response.status_code,
                started,
                "" if response.status_code < 400 else f"HTTP {response.status_code}",
                sent=len(getattr(response, "content", b"") or b""),
            )
            return response

        return wrapped

    return decorator


def _dump_django(response: HttpResponse) -> tuple[int, str, str]:
    return response.status_code, response.get("Content-Type", ""), response.content.decode("utf-8", "replace")


def _load_django(receipt: InboundReceipt) -> HttpResponse:
    return HttpResponse(receipt.body, status=receipt.status, content_type=receipt.content_type or None)


# --- Django REST framework --------------------------------------------------------


class PeerSignatureAuthentication(BaseAuthentication):
    """DRF authentication by request signature; the view's ``peer`` attribute (optional) names
    the only peer allowed. Use it alone on peer endpoints: a request without the headers is
    refused (``missing_signature``), not passed on to another scheme."""

    def authenticate(self, request):
        view = (request.parser_context or {}).get("view")
        try:
            credential = authenticate(request._request, peer=getattr(view, "peer", None))
        except InboundRefused as refusal:
            if refusal.status == 403:
                raise exceptions.PermissionDenied(refusal.message, code=refusal.code) from None
            raise exceptions.AuthenticationFailed(refusal.message, code=refusal.code) from None
        return (credential.user or AnonymousUser(), credential)

    def authenticate_header(self, request):
        return 'HMAC-SHA256 realm="peers"'


class IsPeer(BasePermission):
    """Only requests authenticated by a peer's key."""

    def has_permission(self, request, view):
        return isinstance(request.auth, PeerCredential)


class PeerAPIView(APIView):
    """Base of inbound API views: signature authentication, peers only, each call logged."""

    authentication_classes = [PeerSignatureAuthentication]
    permission_classes = [IsPeer]
    peer: str | None = None

    def initial(self, request, *args, **kwargs):
        self._inbound_started = time.monotonic()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        credential = getattr(request, "_auth", None)
        if isinstance(credential, PeerCredential):
            status = response.status_code
            _log(
                request._request,
                credential.peer,
                status,
                getattr(self, "_inbound_started", time.monotonic()),
                "" if status < 400 else f"HTTP {status}",
            )
        return response


def deduplicated(external_id: str | Callable):
    """Decorate a DRF handler (``def post(self, request)``): once per external id of the caller.

    ``external_id`` names a field of ``request.data`` or is a function of the request.
    """

    def decorator(method):
        @wraps(method)
        def wrapper(self, request, *args, **kwargs):
            credential = request.auth
            if not isinstance(credential, PeerCredential):
                raise exceptions.NotAuthenticated()
            identifier = _external_id(request, external_id, data=request.data)
            if not identifier:
                return Response(
                    {"error": {"code": "missing_external_id", "message": _message("missing_external_id")}},
                    status=400,
                )
            return once(
                scope=credential.scope,
                external_id=identifier,
                body=request._request.body,
                handler=lambda: method(self, request, *args, **kwargs),
                dump=_dump_drf,
                load=_load_drf,
                conflict=lambda: Response(
                    {"error": {"code": "external_id_reused", "message": _message("external_id_reused")}},
                    status=409,
                ),
            )

        return wrapper

    return decorator


def _dump_drf(response: Response) -> tuple[int, str, str]:
    return (
        response.status_code,
        "application/json",
        json.dumps(response.data, cls=JSONEncoder, ensure_ascii=False),
    )


def _load_drf(receipt: InboundReceipt) -> Response:
    return Response(json.loads(receipt.body) if receipt.body else None, status=receipt.status)
