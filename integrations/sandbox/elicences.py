"""Sandbox of the e-licence platform (电子证照库), mounted at ``/sandbox/elicences/``.

The same HTTP contract as ``integrations.elicences.client`` describes, with its own table
(``elicences.SandboxLicence``) and the framework's knobs (``/sandbox/elicences/_control/``).
It verifies (证照验真: identifier syntax and check character, look-up of number and holder,
status and validity), searches a holder's licences of a type, returns data and files, and
stores pushed licences, one copy per ``Idempotency-Key``. When ``ELICENCES_SECRET`` is set it
also checks our HMAC signature. ``POST licences/<identifier>/revoke/`` revokes a licence
(demos and tests). A holder that does not match answers as "not found": the platform does
not tell a stranger which numbers exist.
"""

import base64
import binascii
import datetime
import json
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from integrations import signing
from integrations.elicences import identifiers
from integrations.elicences.models import HolderCodeType, LicenceStatus, SandboxLicence, TrustLevel
from integrations.sandbox import framework

NAME = "elicences"
MAX_FILE_BYTES = 10 * 1024 * 1024


def _clear() -> None:
    SandboxLicence.objects.all().delete()


SANDBOX = framework.register(NAME, _("电子证照库（沙箱）"), reset=_clear)


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "bad_request"):
        super().__init__(message)
        self.code = code


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise BadRequest("请求体应为 JSON 对象") from None
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象")
    return body


def _required(body: dict, *names: str) -> list[str]:
    values = [str(body.get(name) or "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise BadRequest(f"缺少必填字段：{', '.join(missing)}")
    return values


def _signature_refused(request):
    secret = getattr(settings, "ELICENCES_SECRET", "")
    if not secret:
        return None
    headers = request.headers
    try:
        stamp = int(headers.get(signing.HEADER_TIMESTAMP, ""))
    except ValueError:
        return framework.error(401, "missing_signature", "请求未签名")
    if abs(time.time() - stamp) > getattr(settings, "INBOUND_SIGNATURE_WINDOW", 300):
        return framework.error(401, "timestamp_out_of_window", "请求时间超出允许范围")
    if headers.get(signing.HEADER_KEY_ID, "") != getattr(
        settings, "ELICENCES_KEY_ID", ""
    ) or not signing.matches(
        secret,
        headers.get(signing.HEADER_SIGNATURE, ""),
        request.method,
        request.get_full_path(),
        stamp,
        headers.get(signing.HEADER_NONCE, ""),
        request.body,
    ):
        return framework.error(401, "bad_signature", "签名无效")
    return None


def api(view):
    """A sandbox endpoint: knobs, signature (when configured), bad input as a 400 error body."""

    def wrapped(request, *args, **kwargs):
        refused = _signature_refused(request)
        if refused is not None:
            return refused
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return framework.error(400, exc.code, str(exc))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return framework.endpoint(NAME)(wrapped)


def _normal(code: str) -> str:
    return (code or "").strip().upper()


def effective_status(licence: SandboxLicence, today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    if licence.status == LicenceStatus.VALID and licence.valid_until and licence.valid_until < today:
        return LicenceStatus.EXPIRED
    return licence.status


def summary(licence: SandboxLicence, *, with_data: bool = False) -> dict:
    out = {
        "identifier": licence.identifier,
        "licence_number": licence.licence_number,
        "type_code": licence.type_code,
        "type_name": licence.type_name,
        "holder_name": licence.holder_name,
        "holder_code_type": licence.holder_code_type,
        "issuer_name": licence.issuer_name,
        "issuer_code": licence.issuer_code,
        "issue_date": licence.issue_date.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "status": effective_status(licence),
        "trust_level": licence.trust_level,
    }
    if with_data:
        out["data"] = licence.data
    return out


def _holders(holder_code: str, holder_name: str):
    return SandboxLicence.objects.filter(holder_code=_normal(holder_code), holder_name=holder_name.strip())


def _answer(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@require_http_methods(["POST"])
def verify(request):
    """证照验真 by number (证照编号 or identifier) and holder."""
    body = _body(request)
    number, holder_name, holder_code = _required(body, "number", "holder_name", "holder_code")
    number = number.upper()
    if identifiers.looks_like_identifier(number):
        try:
            identifiers.validate_identifier(number)
        except ValidationError as exc:
            raise BadRequest(exc.messages[0], code="invalid_identifier") from None
    licence = (
        _holders(holder_code, holder_name)
        .filter(Q(licence_number=number) | Q(identifier=number))
        .order_by("-issue_date", "-pk")
        .first()
    )
    if licence is None:
        return _answer({"result": "not_found", "licence": None})
    return _answer({"result": effective_status(licence), "licence": summary(licence)})


@require_http_methods(["POST"])
def search(request):
    body = _body(request)
    holder_name, holder_code, type_code = _required(body, "holder_name", "holder_code", "type_code")
    rows = (
        _holders(holder_code, holder_name).filter(type_code=_normal(type_code)).order_by("-issue_date", "-pk")
    )
    return _answer({"licences": [summary(row) for row in rows[:50]]})


@require_http_methods(["POST"])
def fetch(request):
    body = _body(request)
    identifier, holder_name, holder_code = _required(body, "identifier", "holder_name", "holder_code")
    licence = _holders(holder_code, holder_name).filter(identifier=identifier.upper()).first()
    if licence is None:
        return framework.error(404, "not_found", "未找到该持证主体的电子证照")
    return _answer({"licence": summary(licence, with_data=True)})


@require_http_methods(["GET"])
def file(request, identifier: str):
    licence = SandboxLicence.objects.filter(identifier=identifier.upper()).first()
    if licence is None or not licence.file_content:
        return framework.error(404, "not_found", "未找到该电子证照的文件")
    return HttpResponse(bytes(licence.file_content), content_type="application/pdf")


@require_http_methods(["POST"])
def revoke(request, identifier: str):
    updated = SandboxLicence.objects.filter(identifier=identifier.upper()).update(
        status=LicenceStatus.REVOKED
    )
    if not updated:
        return framework.error(404, "not_found", "未找到该电子证照")
    return _answer({"identifier": identifier.upper(), "status": LicenceStatus.REVOKED})


def _parse_push(body: dict) -> dict:
    identifier, number, type_code, type_name, holder_name, holder_code, issuer_name, issuer_code = _required(
        body,
        "identifier",
        "licence_number",
        "type_code",
        "type_name",
        "holder_name",
        "holder_code",
        "issuer_name",
        "issuer_code",
    )
    try:
        parsed = identifiers.parse(identifier)
    except ValidationError as exc:
        raise BadRequest(exc.messages[0], code="invalid_identifier") from None
    if parsed.type_code != _normal(type_code) or parsed.issuer_code != _normal(issuer_code):
        raise BadRequest("证照标识与证照类型代码或签发机构代码不一致", code="invalid_identifier")
    try:
        issue_date = datetime.date.fromisoformat(str(body.get("issue_date")))
        valid_from = datetime.date.fromisoformat(str(body.get("valid_from") or body.get("issue_date")))
        valid_until = datetime.date.fromisoformat(body["valid_until"]) if body.get("valid_until") else None
    except (TypeError, ValueError):
        raise BadRequest("日期格式应为 YYYY-MM-DD") from None
    try:
        content = base64.b64decode(str(body.get("file_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("file_base64 不是有效的 Base64") from None
    if not content.startswith(b"%PDF") or len(content) > MAX_FILE_BYTES:
        raise BadRequest("证照文件应为不超过 10 MB 的 PDF")
    holder_code_type = str(body.get("holder_code_type") or HolderCodeType.USCC)
    trust_level = str(body.get("trust_level") or TrustLevel.A)
    if holder_code_type not in HolderCodeType.values or trust_level not in TrustLevel.values:
        raise BadRequest("holder_code_type 或 trust_level 取值无效")
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise BadRequest("data 应为 JSON 对象")
    return {
        "identifier": str(parsed),
        "licence_number": number,
        "type_code": parsed.type_code,
        "type_name": type_name,
        "holder_name": holder_name,
        "holder_code": _normal(holder_code),
        "holder_code_type": holder_code_type,
        "issuer_name": issuer_name,
        "issuer_code": parsed.issuer_code,
        "issue_date": issue_date,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "trust_level": trust_level,
        "data": data,
        "file_name": f"{parsed.serial}.pdf",
        "file_content": content,
    }


@require_http_methods(["POST"])
def push(request):
    """Store an issued licence: one copy per Idempotency-Key (a repeat gets the same answer)."""
    key = framework.idempotency_key(request)
    if not key:
        raise BadRequest("缺少 Idempotency-Key 请求头", code="missing_idempotency_key")
    existing = SandboxLicence.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _answer({"identifier": existing.identifier, "created": True})
    values = _parse_push(_body(request))
    try:
        with transaction.atomic():
            licence = SandboxLicence.objects.create(idempotency_key=key, **values)
    except IntegrityError:
        existing = SandboxLicence.objects.filter(idempotency_key=key).first()
        if existing is not None:  # the same key, stored meanwhile by a concurrent copy
            return _answer({"identifier": existing.identifier, "created": True})
        return framework.error(409, "identifier_conflict", "该证照标识已存在")
    return _answer({"identifier": licence.identifier, "created": True}, status=201)


urlpatterns = [
    path("licences/", api(push), name="elicences-push"),
    path("licences/verify/", api(verify), name="elicences-verify"),
    path("licences/search/", api(search), name="elicences-search"),
    path("licences/fetch/", api(fetch), name="elicences-fetch"),
    path("licences/<str:identifier>/file/", api(file), name="elicences-file"),
    path("licences/<str:identifier>/revoke/", api(revoke), name="elicences-revoke"),
]
