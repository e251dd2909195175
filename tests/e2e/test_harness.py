import pytest

from tests.e2e.conftest import serious_accessibility_violations

pytestmark = pytest.mark.e2e


def test_the_browser_opens_the_home_page_with_its_own_assets(page, transactional_db):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto("/")
    assert page.locator("header").first.is_visible()
    assert page.title().endswith("中山市政务服务网")
    assert failed == []


def test_axe_reports_violations_it_finds(page, transactional_db):
    """The checker really checks: an image without alt text is a critical violation."""
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    assert any(v["id"] == "image-alt" for v in serious_accessibility_violations(page))
