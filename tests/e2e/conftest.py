"""Browser journeys: Playwright driving the system Chromium against pytest-django's live server.

Every module here sets ``pytestmark = pytest.mark.e2e``. Run with `make e2e` (CI runs it
too). Needs Debian's chromium (`apt-get install chromium`); never `playwright install`,
which downloads a browser and fails on these machines.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures in that same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_data(transactional_db, settings):
    """The demo catalogue and accounts, as `make run` shows them (without the 300 demo cases,
    which each journey would otherwise reseed: they have their own tests)."""
    from django.core.management import call_command

    settings.DEMO_CASE_COUNT = 0
    call_command("seed_demo", verbosity=0)


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core violations of impact serious or critical on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


DEMO_PASSWORD = "Demo@2026"


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page, as a person would: the header's 登录 link, then the form."""
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="登录", exact=True).click()
    page.wait_for_url("**/accounts/login/**")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_out(page) -> None:
    """The 退出登录 button of the header (the portal's, or the admin's); it is gone afterwards."""
    from playwright.sync_api import expect

    logout = page.get_by_role("banner").get_by_role("button", name="退出登录")
    logout.click()
    expect(logout).to_have_count(0)


def make_pdf(path, text: str = "申请材料") -> str:
    """A small, real one-page PDF (Pillow): passes the upload checks by content and page count."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(image).text((60, 80), text.encode("ascii", "replace").decode(), fill="black")
    image.save(path, "PDF", resolution=72.0)
    return str(path)


@pytest.fixture
def sample_pdf(tmp_path):
    return make_pdf(tmp_path / "申请书.pdf", "application form")
