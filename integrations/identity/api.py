"""The identity peer in the JSON API (registered on ``portal.api``'s router):

* ``GET  /api/v1/identity/enterprises/<uscc>/``: the legal-person register's record of a USCC
  (name, legal representative, status) for any signed-in user;
* ``GET  /api/v1/identity/real-name/``: the caller's own real-name standing and recent checks;
* ``POST /api/v1/identity/real-name/`` ``{"name", "id_number"}``: 实名核验 of the caller.

Nobody reads another account's checks: there is no id in any URL here. Errors in the common
format: 400 ``validation_error`` with Chinese field messages, 404 ``not_found``, 409
``id_number_taken``, 429 ``too_many_checks``, 503 ``peer_unavailable``.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations.errors import PeerError
from integrations.identity import selectors, services
from integrations.identity.models import RealNameCheck
from portal.api_support import ERROR_RESPONSE, CodeLabelField, error_response


class EnterpriseRecordSerializer(serializers.Serializer):
    uscc = serializers.CharField(label=_("统一社会信用代码"))
    name = serializers.CharField(label=_("企业名称"))
    legal_representative = serializers.CharField(label=_("法定代表人"))
    status = serializers.SerializerMethodField()

    def get_status(self, record) -> dict:
        return {"code": record.status, "label": record.status_text}


class RealNameCheckSerializer(serializers.ModelSerializer):
    result = CodeLabelField(RealNameCheck.Result.choices)
    name = serializers.CharField(source="masked_name", read_only=True)

    class Meta:
        model = RealNameCheck
        fields = ["name", "id_number_masked", "result", "checked_at"]
        read_only_fields = fields


class RealNameRequestSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("姓名"), required=False, allow_blank=True, max_length=100)
    id_number = serializers.CharField(
        label=_("居民身份证号码"), required=False, allow_blank=True, max_length=30
    )


def _unavailable(what: str) -> Response:
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "peer_unavailable",
        _("%(what)s暂时无法访问，请稍后再试。") % {"what": what},
    )


class EnterpriseLookupViewSet(viewsets.ViewSet):
    """企业信息核验: look an enterprise up in the legal-person register by its USCC."""

    permission_classes = [IsAuthenticated]
    lookup_field = "uscc"
    lookup_value_regex = "[^/]{1,40}"

    @extend_schema(
        summary=_("按统一社会信用代码查询企业"),
        responses={
            200: EnterpriseRecordSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        tags=["identity"],
    )
    def retrieve(self, request, uscc=None):
        try:
            record = services.lookup_enterprise(uscc)
        except PeerError:
            return _unavailable(_("法人库"))
        if record is None:
            raise NotFound(_("法人库中没有该统一社会信用代码的登记信息。"))
        return Response(EnterpriseRecordSerializer(record).data)


class RealNameViewSet(viewsets.ViewSet):
    """实名认证 of the signed-in account."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=_("我的实名认证状态"),
        responses={
            200: inline_serializer(
                name="RealNameStatus",
                fields={
                    "verified": serializers.BooleanField(),
                    "verified_at": serializers.DateTimeField(allow_null=True),
                    "expired": serializers.BooleanField(),
                    "checks": RealNameCheckSerializer(many=True),
                },
            ),
            401: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
        },
        tags=["identity"],
    )
    def list(self, request):
        current = selectors.real_name_status(request.user)
        return Response(
            {
                "verified": current.verified,
                "verified_at": current.verified_at,
                "expired": current.expired,
                "checks": RealNameCheckSerializer(
                    selectors.checks_of(request.user, limit=10), many=True
                ).data,
            }
        )

    @extend_schema(
        summary=_("实名核验"),
        request=RealNameRequestSerializer,
        responses={
            200: inline_serializer(
                name="RealNameResult",
                fields={"check": RealNameCheckSerializer(), "asked": serializers.BooleanField()},
            ),
            400: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
            429: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        tags=["identity"],
    )
    def create(self, request):
        data = RealNameRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            check, asked = services.check_real_name(
                user=request.user,
                name=data.validated_data.get("name", ""),
                id_number=data.validated_data.get("id_number", ""),
            )
        except services.RealNameRefused as refused:
            code = (
                status.HTTP_429_TOO_MANY_REQUESTS
                if refused.code == "too_many_checks"
                else status.HTTP_409_CONFLICT
            )
            return error_response(code, refused.code, refused.message)
        if check.result == RealNameCheck.Result.UNAVAILABLE:
            return _unavailable(_("人口库"))
        return Response({"check": RealNameCheckSerializer(check).data, "asked": asked})


def register(router) -> None:
    """The viewsets of this module on the API's one router (``portal.api``)."""
    router.register("identity/enterprises", EnterpriseLookupViewSet, basename="identity-enterprise")
    router.register("identity/real-name", RealNameViewSet, basename="identity-real-name")
