"""The base layout: landmarks, large-text mode (适老化), language switch, account links, CSP."""

import re

import pytest
from django.urls import reverse

from portal.context_processors import LARGE_TEXT_COOKIE
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_page_has_a_skip_link_and_the_landmarks(client):
    html = client.get("/matters/").content.decode()

    assert '<a class="skip-link" href="#main">跳到主要内容</a>' in html
    assert '<main id="main"' in html
    assert '<header class="site-header">' in html
    assert '<nav class="main-nav" aria-label="主导航">' in html
    assert '<footer class="site-footer">' in html


def test_the_navigation_marks_the_current_section(client):
    html = client.get("/matters/").content.decode()

    assert '<a href="/matters/" aria-current="page">办事指南</a>' in html


def test_pages_are_chinese_by_default(client):
    html = client.get("/").content.decode()

    assert '<html lang="zh-CN"' in html
    assert (
        '<button type="submit" name="language" value="en" class="tool-button" lang="en">English</button>'
        in html
    )


def test_the_large_text_toggle_sets_a_cookie_and_returns_to_the_page(client):
    response = client.post(reverse("toggle_large_text"), {"next": "/matters/?department=1"})

    assert response.status_code == 302
    assert response["Location"] == "/matters/?department=1"
    cookie = response.cookies[LARGE_TEXT_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] >= 30 * 24 * 3600
    assert cookie["samesite"] == "Lax"


def test_with_the_cookie_pages_are_in_large_text(client):
    client.post(reverse("toggle_large_text"), {"next": "/"})

    html = client.get("/").content.decode()

    assert 'class="large-text"' in html
    assert 'aria-pressed="true">大字版' in html


def test_the_large_text_toggle_switches_back_to_standard_text(client):
    client.post(reverse("toggle_large_text"), {"next": "/"})
    response = client.post(reverse("toggle_large_text"), {"next": "/"})

    assert response.cookies[LARGE_TEXT_COOKIE].value == ""  # deleted
    html = client.get("/").content.decode()
    assert "large-text" not in html.split("<head>")[0]
    assert 'aria-pressed="false">大字版' in html


def test_the_large_text_toggle_never_redirects_to_another_site(client):
    response = client.post(reverse("toggle_large_text"), {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_the_large_text_toggle_only_accepts_post(client):
    assert client.get(reverse("toggle_large_text")).status_code == 405


def test_switching_to_english_sets_the_language_and_the_lang_attribute(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/matters/"})

    assert response.status_code == 302
    assert response["Location"] == "/matters/"
    html = client.get("/matters/").content.decode()
    assert '<html lang="en"' in html
    assert 'value="zh-hans" class="tool-button" lang="zh-CN">简体中文</button>' in html


def test_switching_back_to_chinese(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    assert '<html lang="zh-CN"' in client.get("/").content.decode()


def test_visitors_see_login_and_register_links_that_bring_them_back(client, matter):
    html = client.get(matter.get_absolute_url()).content.decode()

    assert f'href="/accounts/login/?next=%2Fmatters%2F{matter.implementation_code}%2F">登录</a>' in html
    assert 'href="/accounts/signup/">注册</a>' in html


def test_signed_in_users_see_their_name_and_a_logout_button(client, citizen):
    client.force_login(citizen)

    html = client.get("/").content.decode()

    assert "您好，李四" in html
    assert 'action="/accounts/logout/" method="post"' in html
    assert ">登录</a>" not in html
    assert "管理后台" not in html


def test_staff_see_a_link_to_the_back_office(client, department):
    client.force_login(factories.StaffFactory(department=department))

    assert 'href="/admin/">管理后台</a>' in client.get("/").content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/matters/", "/search/?q=食品", "/search/?q=", "/guide/", "/accounts/login/"]
)
def test_pages_have_no_inline_scripts_or_event_handlers(client, matter, path):
    """The CSP (script-src 'self') would block them."""
    html = client.get(path).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_the_guide_page_has_no_inline_scripts_either(client, matter):
    html = client.get(matter.get_absolute_url()).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_pages_are_served_with_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_every_visitor_finds_the_public_progress_query_in_the_navigation(client):
    html = client.get("/").content.decode()
    assert f'href="{reverse("applications:progress")}"' in html


def test_a_signed_in_citizen_reaches_their_cases_messages_and_documents_from_every_page(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("matters:list")).content.decode()
    for name in ("applications:my_cases", "applications:inbox", "applications:documents"):
        assert f'href="{reverse(name)}"' in html


def test_my_cases_is_the_current_section_on_the_personal_pages(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("applications:my_cases")).content.decode()
    assert re.search(rf'href="{reverse("applications:my_cases")}"\s+aria-current="page"', html)
