"""Shared pieces of the JSON API: pagination, coded values and one error format for every endpoint.

Every error body looks like::

    {"error": {"code": "validation_error", "message": "提交的数据有误，请按字段提示修改。",
               "fields": {"name": ["该字段是必填项。"]}}}

``code`` is a stable machine-readable string, ``message`` is for people (in the request's
language), ``fields`` appears only on validation errors and names each field at fault
(``non_field_errors`` for the rest); a throttled request also gets ``retry_after`` in
seconds. The mobile app, WeChat and department systems handle every error in one way.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db.models import TextChoices
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("django.request")


class ErrorCode(TextChoices):
    """The stable codes of the error format; APIException codes (``not_found``…) pass through."""

    VALIDATION = "validation_error"
    CSRF = "csrf_failed"
    SERVER = "server_error"


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default from settings; larger than 100 is capped, not refused)."""

    page_size_query_param = "page_size"
    max_page_size = 100


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer for public read-only endpoints: every field is output only."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


# --- Coded values ------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "properties": {"code": {"type": "string"}, "label": {"type": "string"}},
        "required": ["code", "label"],
    }
)
class CodeLabelField(serializers.Field):
    """A value from a code table as ``{"code": "01", "label": "行政许可"}``.

    The label follows the request's language; clients keep the code.
    """

    def __init__(self, choices, **kwargs):
        kwargs["read_only"] = True
        self.labels = dict(choices)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {"code": value, "label": str(self.labels.get(value, value))}


@extend_schema_field(
    {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "label": {"type": "string"}},
        "required": ["code", "label"],
    }
)
class IntegerCodeLabelField(CodeLabelField):
    """Same as ``CodeLabelField`` for integer codes (e.g. 网办深度 1–4)."""


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "label": {"type": "string"}},
            "required": ["code", "label"],
        },
    }
)
class CodeLabelListField(CodeLabelField):
    """A list of codes (a JSON list on the model) as a list of ``{"code", "label"}``."""

    def to_representation(self, value):
        return [super(CodeLabelListField, self).to_representation(code) for code in value or []]


# --- Errors ------------------------------------------------------------------------

# The error body, for the schema (``responses={404: ERROR_RESPONSE}``).
ERROR_RESPONSE = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.JSONField()), required=False
                ),
                "retry_after": serializers.IntegerField(required=False),
            },
        )
    },
)


def error_response(status_code: int, code: str, message: str, **extra) -> Response:
    """An error answered by a view itself (not raised), in the common format."""
    return Response({"error": {"code": code, "message": message, **extra}}, status=status_code)


def conflict(message: str, code: str = "conflict") -> Response:
    """409 for a domain rule that refuses the request (e.g. an invalid transition)."""
    return error_response(status.HTTP_409_CONFLICT, code, message)


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): _flatten(value)
            for key, value in detail.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: _flatten(detail)}


def _flatten(value) -> list:
    """Messages of one field as a list of strings (nested serializers keep their dicts)."""
    if isinstance(value, list):
        out: list = []
        for item in value:
            if isinstance(item, list):
                out.extend(_flatten(item))
            elif isinstance(item, dict):
                out.append(_field_errors(item))
            else:
                out.append(str(item))
        return out
    if isinstance(value, dict):
        return [_field_errors(value)]
    return [str(value)]


def _from_django(exc):
    """Django's own exceptions, raised by services, models and shortcuts, as API exceptions."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        # Never echo Django's internal message ("No Matter matches the given query.").
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return {
            "code": ErrorCode.VALIDATION.value,
            "message": _("提交的数据有误，请按字段提示修改。"),
            "fields": _field_errors(exc.detail),
        }
    if isinstance(exc, exceptions.Throttled):
        body = {"code": "throttled", "message": _("请求过于频繁，请稍后再试。")}
        if exc.wait is not None:
            wait = math.ceil(exc.wait)
            body["message"] = _("请求过于频繁，请在 %(seconds)d 秒后再试。") % {"seconds": wait}
            body["retry_after"] = wait
        return body
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's SessionAuthentication: a browser session posting without the CSRF token.
        return {
            "code": ErrorCode.CSRF.value,
            "message": _("CSRF 校验失败：请刷新页面后重试，或使用令牌（Token）认证。"),
        }
    code = exc.get_codes()
    message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    return {"code": code if isinstance(code, str) else exc.default_code, "message": str(message)}


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the common format.

    Unexpected exceptions become a 500 in the same format, after being logged and signalled
    like Django does (so error reporting and the test client still see them); in DEBUG they
    propagate to Django's technical page.
    """
    exc = _from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"error": _body(exc)}
        return response

    request = context.get("request")
    if request is None or settings.DEBUG:
        return None
    set_rollback()
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": request._request},
    )
    got_request_exception.send(sender=None, request=request._request)
    response = error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR, ErrorCode.SERVER.value, _("服务器内部错误，请稍后再试。")
    )
    response._has_been_logged = True  # logged above, with the traceback
    return response
