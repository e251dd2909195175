"""The one JSON API at /api/v1/: the router every app registers its viewsets on, token login,
the OpenAPI schema and its docs page.

Browsers use their session (CSRF enforced on unsafe methods); the mobile app and other
clients get a token from ``POST auth/token/`` and send ``Authorization: Token <key>``.
Errors, pagination and throttling are set once in ``REST_FRAMEWORK`` (portal.api_support).
"""

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.utils import has_verified_email
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from applications import api as applications_api
from integrations.identity import api as identity_api
from matters import api as matters_api
from portal import bench_views
from portal.api_support import ERROR_RESPONSE, error_response

# --- Token login -------------------------------------------------------------------


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(
        label=_("密码"),
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenLoginView(APIView):
    """Exchange a username (or e-mail) and password for the account's API token."""

    # Credentials are the proof here: no session, so no CSRF and no token lookup.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    serializer_class = TokenLoginSerializer

    @extend_schema(
        summary=_("令牌登录"),
        request=TokenLoginSerializer,
        responses={200: TokenSerializer, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            # allauth's adapter: the site login's rate limits on failures (per IP and per
            # account, counted together with the login page), then Django's authenticate().
            user = get_adapter(request._request).authenticate(
                request._request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
            )
        except DjangoValidationError:
            return error_response(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "too_many_login_attempts",
                str(_("登录失败次数过多，请稍后再试。")),
            )
        if user is None or not user.is_active:
            # One answer for an unknown user, a wrong password and a disabled account.
            return error_response(
                status.HTTP_400_BAD_REQUEST, "invalid_credentials", str(_("用户名或密码不正确。"))
            )
        if _email_must_be_verified() and not has_verified_email(user):
            # The same rule as the site's login: no way around e-mail verification.
            return error_response(
                status.HTTP_403_FORBIDDEN, "email_unverified", str(_("请先到邮箱中完成验证，再登录。"))
            )
        token, _created = Token.objects.get_or_create(user=user)
        update_last_login(None, user)
        return Response({"token": token.key})


def _email_must_be_verified() -> bool:
    return account_settings.EMAIL_VERIFICATION == account_settings.EmailVerificationMethod.MANDATORY


class TokenRevokeView(APIView):
    """Log out from the API: the token stops working; the next login issues a new one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=_("令牌注销"),
        request=None,
        responses={204: None, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        tags=["auth"],
    )
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Router ------------------------------------------------------------------------


class PortalAPIRootView(APIRootView):
    """政务服务网 API. Lists the endpoints; the schema and the docs page describe each one."""

    name = _("接口目录")
    extra_links = {"auth/token": "api-token", "schema": "api-schema", "docs": "api-docs"}

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for key, url_name in self.extra_links.items():
            try:
                response.data[key] = reverse(url_name, request=request, format=kwargs.get("format"))
            except NoReverseMatch:  # pragma: no cover - only if a route is removed
                continue
        return response


class PortalRouter(DefaultRouter):
    APIRootView = PortalAPIRootView


router = PortalRouter()
router.register("matters", matters_api.MatterViewSet, basename="matter")
router.register("departments", matters_api.DepartmentViewSet, basename="department")
router.register("themes", matters_api.ThemeViewSet, basename="theme")
applications_api.register(router)
identity_api.register(router)


class NotFoundView(APIView):
    """Any other path under /api/v1/: a 404 in the API's error format, not the HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(_("接口不存在，请查看 /api/v1/docs/ 中的接口列表。"))

    post = put = patch = delete = get


urlpatterns = [
    path("auth/token/", TokenLoginView.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("applications.api")),
    path("", include("integrations.payments.api")),
    # Departments' own systems (signed calls, integrations.departments).
    path("department-systems/", include("integrations.departments.api")),
    path("", include(router.urls)),
]

if settings.BENCH_ENDPOINTS:
    # `make bench`'s baseline of the submission API: a minimal authenticated view inserting one row.
    urlpatterns.append(path("_bench/insert/", bench_views.minimal_insert, name="bench_insert"))

urlpatterns += [
    # Last. Only paths ending in "/" so that APPEND_SLASH still redirects "…/matters" to "…/matters/".
    re_path(r"^.*/$", NotFoundView.as_view(), name="api-not-found"),
]
