"""The JSON API foundation: root, token login, session auth, one error format, throttling."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from portal.api_support import exception_handler
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def csrf_api():
    """A browser-like client: Django's CSRF check is enforced as in production."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test (DRF reads them once, at import)."""

    def set_rates(**overrides):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **overrides}
        )

    return set_rates


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


# --- Root ------------------------------------------------------------------------


def test_the_root_lists_the_catalogue_endpoints_and_the_docs(api):
    response = api.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    assert body["matters"] == "http://testserver/api/v1/matters/"
    assert body["departments"] == "http://testserver/api/v1/departments/"
    assert body["themes"] == "http://testserver/api/v1/themes/"
    assert body["auth/token"] == "http://testserver/api/v1/auth/token/"
    assert body["schema"] == "http://testserver/api/v1/schema/"
    assert body["docs"] == "http://testserver/api/v1/docs/"


def test_the_root_is_browsable_in_a_browser(api):
    response = api.get("/api/v1/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- Token login -----------------------------------------------------------------


def test_a_user_logs_in_with_username_and_password_and_gets_a_token(api, citizen):
    response = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=citizen).key}


def test_logging_in_twice_gives_the_same_token(api, citizen):
    credentials = {"username": "citizen", "password": factories.PASSWORD}

    first = api.post(TOKEN_URL, credentials, format="json").json()["token"]
    second = api.post(TOKEN_URL, credentials, format="json").json()["token"]

    assert first == second


def test_the_token_authenticates_later_requests(api, citizen):
    token = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api.post(REVOKE_URL).status_code == 204


def test_a_wrong_password_is_refused_with_a_chinese_message(api, citizen):
    response = api.post(TOKEN_URL, {"username": "citizen", "password": "wrong-password"}, format="json")

    assert response.status_code == 400
    assert _error(response) == {"code": "invalid_credentials", "message": "用户名或密码不正确。"}
    assert not Token.objects.exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(api, db):
    response = api.post(TOKEN_URL, {"username": "nobody", "password": "whatever"}, format="json")

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_credentials"


def test_a_disabled_account_gets_no_token(api, citizen):
    citizen.is_active = False
    citizen.save()

    response = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json")

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_credentials"


def test_an_unverified_email_gets_no_token_when_verification_is_mandatory(api, citizen, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    response = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json")

    assert response.status_code == 403
    assert _error(response)["code"] == "email_unverified"
    assert not Token.objects.exists()


def test_a_login_without_password_names_the_missing_field(api, citizen):
    response = api.post(TOKEN_URL, {"username": "citizen"}, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["message"] == "提交的数据有误，请按字段提示修改。"
    assert list(error["fields"]) == ["password"]


def test_token_login_is_throttled_with_a_retry_after(api, citizen, rates):
    rates(token="2/min")
    for _ in range(2):
        api.post(TOKEN_URL, {"username": "citizen", "password": "wrong-password"}, format="json")

    response = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json")

    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "throttled"
    assert 0 < error["retry_after"] <= 60
    assert f"{error['retry_after']} 秒" in error["message"]
    assert response["Retry-After"] == str(error["retry_after"])


def test_repeated_wrong_passwords_for_one_account_are_stopped_like_the_site_login(api, citizen, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/m/ip,2/5m/key"}
    for _ in range(2):
        api.post(TOKEN_URL, {"username": "citizen", "password": "wrong-password"}, format="json")

    response = api.post(TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json")

    assert response.status_code == 429
    assert _error(response) == {
        "code": "too_many_login_attempts",
        "message": "登录失败次数过多，请稍后再试。",
    }


def test_a_revoked_token_no_longer_authenticates(api, citizen):
    token = Token.objects.create(user=citizen)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    api.post(REVOKE_URL)

    response = api.post(REVOKE_URL)

    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_revoking_without_credentials_is_an_authentication_error(api, db):
    response = api.post(REVOKE_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert _error(response)["code"] == "not_authenticated"


# --- Session auth and CSRF -------------------------------------------------------


def test_a_browser_session_must_send_the_csrf_token_to_post(csrf_api, citizen):
    csrf_api.force_login(citizen)

    response = csrf_api.post(REVOKE_URL)

    assert response.status_code == 403
    assert _error(response)["code"] == "csrf_failed"


def test_a_browser_session_with_the_csrf_token_may_post(csrf_api, citizen):
    csrf_api.force_login(citizen)
    csrf_api.get("/api/v1/docs/?script=")  # the docs script embeds the CSRF token
    token = csrf_api.cookies["csrftoken"].value

    response = csrf_api.post(REVOKE_URL, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 204


def test_a_token_client_needs_no_csrf_token(csrf_api, citizen):
    csrf_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=citizen).key}")

    assert csrf_api.post(REVOKE_URL).status_code == 204


def test_the_token_login_needs_no_csrf_token_even_in_a_browser_session(csrf_api, citizen):
    csrf_api.force_login(citizen)

    response = csrf_api.post(
        TOKEN_URL, {"username": "citizen", "password": factories.PASSWORD}, format="json"
    )

    assert response.status_code == 200


# --- One error format ------------------------------------------------------------


def test_an_unknown_api_path_is_a_not_found_error_in_json(api):
    response = api.get("/api/v1/no-such-endpoint/")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_an_api_path_without_its_slash_is_redirected(api):
    response = api.get("/api/v1/matters")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/matters/"


def test_a_wrong_method_is_a_method_not_allowed_error(api, db):
    response = api.get(TOKEN_URL)

    assert response.status_code == 405
    error = _error(response)
    assert error["code"] == "method_not_allowed"
    assert "GET" in error["message"]


def test_a_bad_token_is_an_authentication_error_even_on_public_endpoints(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get("/api/v1/matters/")

    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_anonymous_clients_are_throttled(api, db, rates):
    rates(anon="2/min")
    api.get("/api/v1/themes/")
    api.get("/api/v1/themes/")

    response = api.get("/api/v1/themes/")

    assert response.status_code == 429
    assert _error(response)["retry_after"] > 0


def test_signed_in_users_have_their_own_throttle(api, citizen, rates):
    rates(anon="1/min", user="3/min")
    api.force_authenticate(citizen)

    statuses = [api.get("/api/v1/themes/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def _handle(exc):
    request = APIRequestFactory().get("/api/v1/anything/")
    view = APIView()
    view.request = view.initialize_request(request)
    return exception_handler(exc, {"view": view, "request": view.request})


def test_a_django_validation_error_from_a_service_names_its_fields():
    response = _handle(DjangoValidationError({"promised_limit_days": ["承诺办结时限不能超过法定办结时限。"]}))

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "validation_error",
            "message": "提交的数据有误，请按字段提示修改。",
            "fields": {"promised_limit_days": ["承诺办结时限不能超过法定办结时限。"]},
        }
    }


def test_a_django_validation_error_without_a_field_is_a_non_field_error():
    response = _handle(DjangoValidationError("该事项已撤销，不能申办。"))

    assert response.data["error"]["fields"] == {"non_field_errors": ["该事项已撤销，不能申办。"]}


def test_a_model_clean_error_for_the_whole_row_is_a_non_field_error():
    response = _handle(DjangoValidationError({"__all__": ["同一事项不能重复关联。"]}))

    assert response.data["error"]["fields"] == {"non_field_errors": ["同一事项不能重复关联。"]}


def test_an_unexpected_error_is_a_server_error_in_the_same_format(settings):
    settings.DEBUG = False
    response = _handle(RuntimeError("boom"))

    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in response.data["error"]["message"]


def test_messages_follow_the_requested_language(api, citizen):
    response = api.post(TOKEN_URL, {"username": "citizen"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert _error(response)["fields"]["password"] == ["This field is required."]
