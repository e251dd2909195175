"""Shared pieces of the JSON API: pagination and one error format for every endpoint.

Every error body looks like::

    {"error": {"code": "validation_error", "message": "提交的数据有误。",
               "fields": {"name": ["该字段是必填项。"]}}}

so the mobile app, WeChat and department systems handle errors in one way.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(value) -> list:
    if isinstance(value, list):
        out: list = []
        for item in value:
            out.extend(
                _flatten(item) if isinstance(item, list) else [item if isinstance(item, dict) else str(item)]
            )
        return out
    if isinstance(value, dict):
        return [_field_errors(value)]
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "validation_error",
            "message": _("提交的数据有误，请按字段提示修改。"),
            "fields": _field_errors(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", "")
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {"code": code if isinstance(code, str) else "error", "message": str(detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after_seconds"] = int(exc.wait)
    response.data = {"error": body}
    return response


def conflict(message: str, code: str = "conflict") -> Response:
    """409 for a domain rule that refuses the request (e.g. an invalid transition)."""
    return Response({"error": {"code": code, "message": message}}, status=status.HTTP_409_CONFLICT)
