"""The citizen's pages (实名认证, 企业信息核验), the JSON API and the back-office list: who may see
what, Chinese field errors, and a peer that is down never giving a 500."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.identity import services
from integrations.identity.models import RealNameCheck
from integrations.sandbox import framework
from integrations.sandbox import identity as sandbox
from tests import factories

from .conftest import ACTIVE, REVOKED, UNKNOWN_USCC, ZHANG

PAGE = "/me/identity/"
LOOKUP = "/me/identity/enterprise/"
API = "/api/v1/identity/real-name/"


def enterprise_api(uscc):
    return f"/api/v1/identity/enterprises/{uscc}/"


@pytest.fixture
def zhang(db):
    return factories.UserFactory(username="zhang", real_name="张三")


@pytest.fixture
def other(db):
    return factories.UserFactory(username="other", real_name="李四")


def test_the_urls_are_where_the_pages_say():
    assert reverse("identity:real_name") == PAGE
    assert reverse("identity:enterprise_lookup") == LOOKUP


@pytest.mark.parametrize("url", [PAGE, LOOKUP, f"{LOOKUP}?uscc={ACTIVE[0]}"])
def test_anonymous_visitors_are_sent_to_the_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")


def test_anonymous_api_calls_are_refused(client, db):
    assert client.get(API).status_code in (401, 403)
    assert client.post(API, {"name": "张三", "id_number": ZHANG[1]}).status_code in (401, 403)
    assert client.get(enterprise_api(ACTIVE[0])).status_code in (401, 403)


def test_account_settings_link_to_the_real_name_page(client, zhang):
    client.force_login(zhang)
    assert f'href="{PAGE}"' in client.get(reverse("account_change_password")).content.decode()


def test_a_citizen_verifies_and_gets_the_badge_with_its_time(client, zhang, identity):
    client.force_login(zhang)
    page = client.get(PAGE).content.decode()
    assert "未实名" in page and 'value="张三"' in page
    response = client.post(PAGE, {"name": ZHANG[0], "id_number": ZHANG[1]}, follow=True)
    html = response.content.decode()
    check = RealNameCheck.objects.get(user=zhang)
    assert "实名认证成功" in html and "已实名" in html
    assert timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M") in html
    assert check.id_number_masked in html and ZHANG[1] not in html


def test_a_mismatch_is_said_in_chinese_and_kept(client, zhang, identity):
    client.force_login(zhang)
    html = client.post(PAGE, {"name": "张叁", "id_number": ZHANG[1]}).content.decode()
    assert "姓名与身份证号码不一致" in html and "未实名" in html
    assert RealNameCheck.objects.get().result == "mismatched"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "张三", "id_number": "12345"}, "身份证号码应为18位，当前为5位。"),
        (
            {"name": "张三", "id_number": "44200019900101123A"},
            "身份证号码前17位应为数字，最后一位为数字或X。",
        ),
        ({"name": "", "id_number": ZHANG[1]}, "请填写姓名。"),
    ],
)
def test_malformed_input_gets_a_chinese_field_error_and_no_question(client, zhang, identity, data, message):
    client.force_login(zhang)
    response = client.post(PAGE, data)
    assert response.status_code == 200 and message in response.content.decode()
    assert sandbox.queries() == 0


def test_a_peer_that_is_down_is_said_on_the_page_not_a_500(client, zhang, peer_down):
    client.force_login(zhang)
    response = client.post(PAGE, {"name": ZHANG[0], "id_number": ZHANG[1]})
    assert response.status_code == 200
    assert "人口库暂时无法访问" in response.content.decode()


def test_a_failing_peer_is_said_on_the_page(client, zhang, identity):
    framework.configure("identity", fail_rate=1)
    client.force_login(zhang)
    response = client.post(PAGE, {"name": ZHANG[0], "id_number": ZHANG[1]})
    assert response.status_code == 200 and "请稍后再试" in response.content.decode()


def test_one_account_never_sees_another_accounts_checks(client, zhang, other, identity):
    services.check_real_name(user=zhang, name=ZHANG[0], id_number=ZHANG[1])
    masked = RealNameCheck.objects.get().id_number_masked
    client.force_login(other)
    page = client.get(PAGE).content.decode()
    assert masked not in page and "未实名" in page
    answer = client.get(API).json()
    assert answer == {"verified": False, "verified_at": None, "expired": False, "checks": []}


def test_the_api_checks_and_reports_the_callers_own_standing(client, zhang, identity):
    client.force_login(zhang)
    answer = client.post(API, {"name": ZHANG[0], "id_number": ZHANG[1]}, content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["asked"] is True and body["check"]["result"] == {"code": "matched", "label": "一致"}
    assert body["check"]["name"] == "张*" and ZHANG[1] not in answer.content.decode()
    again = client.post(
        API, {"name": ZHANG[0], "id_number": ZHANG[1]}, content_type="application/json"
    ).json()
    assert again["asked"] is False and sandbox.queries() == 1
    standing = client.get(API).json()
    assert standing["verified"] is True and len(standing["checks"]) == 1


def test_the_api_names_the_field_at_fault_in_chinese(client, zhang, identity):
    client.force_login(zhang)
    answer = client.post(API, {"name": "张三", "id_number": "123"}, content_type="application/json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["id_number"] == ["身份证号码应为18位，当前为3位。"]


def test_the_api_says_503_when_the_peer_is_down(client, zhang, peer_down):
    client.force_login(zhang)
    answer = client.post(API, {"name": ZHANG[0], "id_number": ZHANG[1]}, content_type="application/json")
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "peer_unavailable"


def test_the_api_says_429_after_the_daily_limit(client, zhang, identity, settings):
    settings.IDENTITY_CHECK_DAILY_LIMIT = 1
    client.force_login(zhang)
    client.post(API, {"name": "甲", "id_number": ZHANG[1]}, content_type="application/json")
    answer = client.post(API, {"name": "乙", "id_number": ZHANG[1]}, content_type="application/json")
    assert answer.status_code == 429 and answer.json()["error"]["code"] == "too_many_checks"


# --- enterprises --------------------------------------------------------------------


def test_the_enterprise_api_returns_name_representative_and_status(client, zhang, identity):
    client.force_login(zhang)
    answer = client.get(enterprise_api(REVOKED[0].lower()))
    assert answer.status_code == 200
    assert answer.json() == {
        "uscc": REVOKED[0],
        "name": REVOKED[1],
        "legal_representative": REVOKED[2],
        "status": {"code": "revoked", "label": "吊销"},
    }


def test_enterprise_answers_are_cached_for_a_while(client, zhang, identity):
    client.force_login(zhang)
    for _ in range(3):
        assert client.get(enterprise_api(ACTIVE[0])).status_code == 200
    assert sandbox.queries(sandbox.SandboxIdentityQuery.Kind.ENTERPRISE) == 1


def test_the_enterprise_api_errors(client, zhang, identity):
    client.force_login(zhang)
    missing = client.get(enterprise_api(UNKNOWN_USCC))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.get(enterprise_api("91442000MA52K7R32A"))
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["uscc"] == ["统一社会信用代码校验位不正确，请核对后重新输入。"]
    short = client.get(enterprise_api("9144"))
    assert short.json()["error"]["fields"]["uscc"] == ["统一社会信用代码应为18位，当前为4位。"]


def test_the_enterprise_api_says_503_when_the_peer_is_down(client, zhang, peer_down):
    client.force_login(zhang)
    answer = client.get(enterprise_api(ACTIVE[0]))
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "peer_unavailable"


def test_the_enterprise_page(client, zhang, identity):
    client.force_login(zhang)
    html = client.get(LOOKUP, {"uscc": ACTIVE[0]}).content.decode()
    assert ACTIVE[1] in html and ACTIVE[2] in html and "存续" in html
    html = client.get(LOOKUP, {"uscc": UNKNOWN_USCC}).content.decode()
    assert "法人库中没有该统一社会信用代码的登记信息" in html
    html = client.get(LOOKUP, {"uscc": "ABC"}).content.decode()
    assert "统一社会信用代码应为18位，当前为3位。" in html
    assert "请填写统一社会信用代码。" in client.get(LOOKUP, {"uscc": ""}).content.decode()


def test_the_enterprise_page_when_the_peer_is_down(client, zhang, peer_down):
    client.force_login(zhang)
    response = client.get(LOOKUP, {"uscc": ACTIVE[0]})
    assert response.status_code == 200 and "法人库暂时无法访问" in response.content.decode()


# --- back office ----------------------------------------------------------------------

ADMIN_LIST = "/admin/identity/realnamecheck/"


@pytest.fixture
def checked(zhang, identity):
    check, _ = services.check_real_name(user=zhang, name=ZHANG[0], id_number=ZHANG[1])
    return check


@pytest.mark.parametrize("who", ["superuser", "supervisor"])
def test_superusers_and_supervisors_read_the_checks_masked(client, checked, supervisor, who):
    viewer = (
        supervisor
        if who == "supervisor"
        else factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    )
    client.force_login(viewer)
    html = client.get(ADMIN_LIST).content.decode()
    assert checked.id_number_masked in html and "张*" in html and ZHANG[1] not in html
    detail = client.get(f"{ADMIN_LIST}{checked.pk}/change/")
    assert detail.status_code == 200 and ZHANG[1] not in detail.content.decode()
    assert client.post(f"{ADMIN_LIST}{checked.pk}/delete/", {"post": "yes"}).status_code == 403


def test_department_staff_cannot_read_the_checks(client, checked, staff):
    client.force_login(staff)
    assert client.get(ADMIN_LIST).status_code == 403
    assert client.get(f"{ADMIN_LIST}{checked.pk}/change/").status_code in (302, 403)
    assert "realnamecheck" not in client.get("/admin/").content.decode()
