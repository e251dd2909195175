"""django-allauth pages (login, signup, logout, password reset, e-mail verification) in the portal layout."""

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.urls import reverse

from portal.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def heading(html: str) -> str:
    """The page's h1 text (allauth's elements wrap it in whitespace)."""
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def assert_in_portal_layout(html: str) -> None:
    assert '<a class="skip-link" href="#main">' in html
    assert 'aria-label="主导航"' in html
    assert '<div class="auth-card' in html
    assert '<footer class="site-footer">' in html


def test_the_login_page_is_in_the_portal_layout_with_labelled_fields(client):
    response = client.get(reverse("account_login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert_in_portal_layout(html)
    assert heading(html) == "登录"
    assert '<label for="id_login">' in html
    assert '<label for="id_password">' in html
    assert re.search(r"<title>\s*登录\s*· 中山市政务服务网</title>", html)


def test_a_wrong_password_is_explained_on_the_login_page(client, citizen):
    response = client.post(reverse("account_login"), {"login": "citizen", "password": "wrong-password"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in html
    assert "您提供的用户名或密码不正确。" in html


def test_signing_in_returns_to_the_home_page(client, citizen):
    response = client.post(reverse("account_login"), {"login": "citizen", "password": factories.PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_signup_page_is_in_the_portal_layout_with_labelled_fields(client):
    html = client.get(reverse("account_signup")).content.decode()

    assert_in_portal_layout(html)
    assert heading(html) == "注册"
    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}">' in html


def test_signup_errors_are_shown_next_to_the_field_they_concern(client):
    response = client.post(
        reverse("account_signup"),
        {
            "username": "wangwu",
            "email": "wangwu@example.cn",
            "password1": "Zs@2026abcd",
            "password2": "Zs@2026abce",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    error = re.search(r'<ul class="errorlist" id="id_password2_error">.*?</ul>', html, re.S)
    assert error and "每次输入的密码必须相同。" in error.group(0)
    field = re.search(r"<input[^>]*id=\"id_password2\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in field
    assert "id_password2_error" in field


def test_signing_up_creates_the_account(client):
    response = client.post(
        reverse("account_signup"),
        {
            "username": "wangwu",
            "email": "wangwu@example.cn",
            "password1": "Zs@2026abcd",
            "password2": "Zs@2026abcd",
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(username="wangwu").exists()


def test_with_mandatory_verification_signup_leads_to_the_verification_page(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    response = client.post(
        reverse("account_signup"),
        {
            "username": "zhaoliu",
            "email": "zhaoliu@example.cn",
            "password1": "Zs@2026abcd",
            "password2": "Zs@2026abcd",
        },
        follow=True,
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    assert_in_portal_layout(html)
    assert heading(html) == "验证您的电子邮箱"
    assert len(mail.outbox) == 1


def test_the_email_confirmation_link_opens_a_confirm_page_in_the_portal_layout(client, citizen):
    address = EmailAddress.objects.create(user=citizen, email=citizen.email, primary=True, verified=False)
    key = EmailConfirmationHMAC(address).key

    response = client.get(reverse("account_confirm_email", args=[key]))

    html = response.content.decode()
    assert response.status_code == 200
    assert_in_portal_layout(html)
    assert heading(html) == "确认电子邮箱"
    assert re.search(r"<button[^>]*>\s*确认\s*</button>", html)


def test_the_logout_page_asks_to_confirm_and_logging_out_works(client, citizen):
    client.force_login(citizen)

    page = client.get(reverse("account_logout")).content.decode()
    response = client.post(reverse("account_logout"))

    assert_in_portal_layout(page)
    assert heading(page) == "退出登录"
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_password_reset_pages_are_in_the_portal_layout(client, citizen):
    form = client.get(reverse("account_reset_password")).content.decode()
    done = client.post(reverse("account_reset_password"), {"email": citizen.email}, follow=True)

    assert_in_portal_layout(form)
    assert '<label for="id_email">' in form
    assert done.redirect_chain[-1][0] == reverse("account_reset_password_done")
    assert_in_portal_layout(done.content.decode())
    assert len(mail.outbox) == 1


def test_the_password_reset_link_lets_the_user_choose_a_new_password(client, citizen):
    uid = user_pk_to_url_str(citizen)
    key = default_token_generator.make_token(citizen)

    page = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key}), follow=True
    )
    html = page.content.decode()
    assert_in_portal_layout(html)
    assert heading(html) == "修改密码"
    assert '<label for="id_password1">' in html

    done = client.post(
        page.redirect_chain[-1][0],
        {"password1": "Zs@2026newpass", "password2": "Zs@2026newpass"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("account_reset_password_from_key_done")
    citizen.refresh_from_db()
    assert citizen.check_password("Zs@2026newpass")


def test_an_invalid_password_reset_link_says_so(client, citizen):
    uid = user_pk_to_url_str(citizen)

    response = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": "bad-token"}), follow=True
    )

    html = response.content.decode()
    assert_in_portal_layout(html)
    assert 'href="/accounts/password/reset/"' in html
