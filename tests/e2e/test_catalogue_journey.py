"""Journey of issue 2: home → search → service guide → English → large-text mode, with axe."""

import pytest

from tests.e2e.conftest import serious_accessibility_violations

pytestmark = pytest.mark.e2e


def assert_accessible(page, name: str) -> None:
    violations = serious_accessibility_violations(page)
    assert violations == [], f"{name}: {violations}"


def test_a_citizen_finds_a_guide_reads_it_in_english_and_in_large_text(page, demo_data):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert_accessible(page, "home")

    # Search with everyday words: 办身份证 is a synonym of 居民身份证.
    page.fill("#home-q", "身份证")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url("**/search/?q=*")
    first_result = page.locator("ol.matter-list .matter-item a").first
    assert "身份证" in first_result.inner_text()
    assert_accessible(page, "search results")

    # Pinyin initials find the same matters.
    page.goto("/search/?q=sfz")
    assert "身份证" in page.locator("main").inner_text()

    page.goto("/search/?q=身份证")
    page.get_by_role("link", name="居民身份证换领").first.click()
    page.wait_for_url("**/matters/*/")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "居民身份证换领"
    main_text = page.locator("main").inner_text()
    for section in ("受理条件", "申请材料", "办理流程", "承诺"):
        assert section in main_text
    assert_accessible(page, "guide page")
    guide_url = page.url

    # Switch to English: the page chrome changes, the language attribute too.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(guide_url)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="简体中文").is_visible()
    assert_accessible(page, "guide page in English")

    # Large-text mode persists across pages for this browser.
    base_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.locator("form[action$='/a11y/large-text/'] button").click()
    page.wait_for_url(guide_url)
    assert "large-text" in (page.locator("html").get_attribute("class") or "")
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large_size > base_size
    page.goto("/")
    assert "large-text" in (page.locator("html").get_attribute("class") or "")
    assert_accessible(page, "home in large text")
