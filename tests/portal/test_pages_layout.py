"""The layout's static parts (portal.context_processors.Layout) are rendered once per process:
what they show must still follow the page, the language and the visitor."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="main-nav".*?</nav>', re.S)


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in English leaves English active in this thread (LocaleMiddleware never
    deactivates): later tests that make no request must not inherit it."""
    yield
    translation.deactivate()


def current_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page">', NAV.search(html).group())


@pytest.mark.parametrize(
    ("url", "current"),
    [("/", "/"), ("/matters/", "/matters/"), ("/guide/", "/guide/"), ("/search/", "/search/")],
)
def test_each_section_marks_only_its_own_link_whichever_page_came_first(client, url, current):
    for other in ("/", "/matters/", "/guide/", "/search/"):
        client.get(other)

    assert current_links(client.get(url).content.decode()) == [current]


def test_a_page_outside_the_sections_marks_no_link(client):
    client.get("/matters/")

    assert current_links(client.get(reverse("account_login")).content.decode()) == []


def test_the_navigation_and_footer_follow_the_language(client):
    client.get("/matters/")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get("/matters/").content.decode()

    assert '<a href="/matters/" aria-current="page">Service guides</a>' in html
    assert "主导航" not in html


def test_pages_load_the_style_sheet_and_the_deferred_scripts(client):
    html = client.get("/").content.decode()
    head = html[: html.index("</head>")]

    assert 'rel="stylesheet" href="/static/css/portal.css"' in head
    assert 'src="/static/vendor/htmx/htmx.min.js" defer' in head
    assert 'src="/static/js/portal.js" defer' in head
