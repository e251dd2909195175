"""Applications API. For now: ``GET /api/v1/serials/validate/<serial>``.

Mounted by ``portal.api`` (``path("", include("applications.api"))``); later endpoints of
the applications API add their routes to ``urlpatterns`` here.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import selectors, serials
from portal.api_support import ERROR_RESPONSE

SERIAL_VALIDATION_RESPONSE = inline_serializer(
    name="SerialValidation",
    fields={
        "serial": serializers.CharField(),
        "well_formed": serializers.BooleanField(),
        "implementation_code": serializers.CharField(),
        "date": serializers.DateField(),
        "sequence": serializers.IntegerField(),
        "exists": serializers.BooleanField(),
        "case": inline_serializer(
            name="SerialCase",
            allow_null=True,
            fields={
                "matter": serializers.DictField(),
                "department": serializers.DictField(),
                "state": serializers.DictField(),
                "submitted_on": serializers.DateField(allow_null=True),
            },
        ),
    },
)


class SerialValidationView(APIView):
    """Is this a well-formed unified serial number (统一申办流水号), and whose case is it?

    Well-formed: 43 characters, the 31-character implementation code with a valid USCC
    check character, a real date, a 4-digit sequence from 0001. When a case has the
    number, its matter, department, state and submission date (no personal data).
    """

    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("校验统一申办流水号"),
        parameters=[OpenApiParameter("serial", str, OpenApiParameter.PATH, description=_("统一申办流水号"))],
        responses={200: SERIAL_VALIDATION_RESPONSE, 400: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        tags=["applications"],
    )
    def get(self, request, serial: str):
        try:
            parsed = serials.parse_serial(serial)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"serial": exc.messages}) from None
        case = selectors.case_by_serial(parsed.serial)
        return Response(
            {
                "serial": parsed.serial,
                "well_formed": True,
                "implementation_code": parsed.implementation_code,
                "date": parsed.day.isoformat(),
                "sequence": parsed.sequence,
                "exists": case is not None,
                "case": selectors.public_summary(case) if case is not None else None,
            }
        )


urlpatterns = [
    # With or without the trailing slash: the serial is read from printed receipts and QR codes.
    re_path(
        r"^serials/validate/(?P<serial>[^/]{1,100})/?$",
        SerialValidationView.as_view(),
        name="api-serial-validate",
    ),
]
