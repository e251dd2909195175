from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language

LARGE_TEXT_COOKIE = "large_text"

# The fixed URLs of the layout (``layout_urls.<key>`` in templates): reversed once per process
# and URLconf, not on every page.
LAYOUT_URL_NAMES = {
    "home": "home",
    "search": "search",
    "matters": "matters:list",
    "guide": "guide:start",
    "large_text": "toggle_large_text",
    "set_language": "set_language",
    "login": "account_login",
    "signup": "account_signup",
    "logout": "account_logout",
    "account": "account_email",
    "admin": "admin:index",
    "progress": "applications:progress",
    "my_cases": "applications:my_cases",
    "inbox": "applications:inbox",
    "documents": "applications:documents",
}


def site(request):
    """Site name, the elderly-friendly large-text mode (适老化) kept in a cookie per browser,
    the login link that brings the visitor back to the page they were on, the layout's fixed
    URLs and its static fragments."""
    urls = layout_urls()
    login_url = urls["login"]
    if request.path != "/" and not request.path.startswith("/accounts/"):
        login_url = f"{login_url}?{urlencode({'next': request.get_full_path()})}"
    return {
        "SITE_NAME": site_name(),
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "login_url": login_url,
        "layout_urls": urls,
        "layout": Layout(request),
    }


def site_name() -> str:
    """The portal's name in the current language (the Chinese name is the official one)."""
    if (get_language() or "").startswith("en") and settings.PORTAL_SITE_NAME_EN:
        return settings.PORTAL_SITE_NAME_EN
    return settings.PORTAL_SITE_NAME


# --- per-process memos of what only code, settings and translations decide --------------------

_urls: dict[tuple, dict[str, str]] = {}
_fragments: dict[tuple, SafeString] = {}


def _urlconf_key() -> tuple:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return (getattr(urlconf, "__name__", urlconf), get_script_prefix())


def layout_urls() -> dict[str, str]:
    key = _urlconf_key()
    urls = _urls.get(key)
    if urls is None:
        urls = _urls[key] = {key: reverse(name) for key, name in LAYOUT_URL_NAMES.items()}
    return urls


def _fragment(key: tuple, template: str, **context) -> SafeString:
    """A layout fragment that only code, settings and translations decide, rendered once per
    process for each language and URLconf (``key``) and variant (``context``)."""
    memo_key = (key, template, *context.values())
    html = _fragments.get(memo_key)
    if html is None:
        context.update(SITE_NAME=site_name(), layout_urls=layout_urls())
        html = _fragments[memo_key] = render_to_string(template, context)
    return html


def _forget(**kwargs) -> None:
    # Tests override settings and URLconfs; a deployment never does.
    _urls.clear()
    _fragments.clear()


setting_changed.connect(_forget, dispatch_uid="portal.layout.forget")


class Layout:
    """The static parts of base.html, each rendered on first use in a process."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def _key(self) -> tuple:
        return (get_language(), _urlconf_key())

    @cached_property
    def head(self) -> SafeString:
        return _fragment(self._key, "includes/site_head.html")

    @cached_property
    def welcome(self) -> SafeString:
        return _fragment(self._key, "includes/site_welcome.html")

    @cached_property
    def brand(self) -> SafeString:
        return _fragment(self._key, "includes/site_brand.html")

    @cached_property
    def header_search(self) -> SafeString:
        return _fragment(self._key, "includes/site_search.html")

    @cached_property
    def nav(self) -> SafeString:
        match = getattr(self.request, "resolver_match", None)
        url_name = getattr(match, "url_name", None) or ""
        app_name = getattr(match, "app_name", None) or ""
        # aria-current marks the section the page belongs to.
        if url_name == "home":
            section = "home"
        elif app_name in ("matters", "guide"):
            section = app_name
        elif url_name == "search":
            section = "search"
        elif url_name == "progress":
            section = "progress"
        elif app_name == "applications":
            section = "mine"
        else:
            section = ""
        return _fragment(self._key, "includes/site_nav.html", section=section)

    @cached_property
    def footer(self) -> SafeString:
        return _fragment(self._key, "includes/site_footer.html")
