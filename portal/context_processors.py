from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

LARGE_TEXT_COOKIE = "large_text"


def site(request):
    """Site name, the elderly-friendly large-text mode (适老化) kept in a cookie per browser,
    and the login link that brings the visitor back to the page they were on."""
    login_url = reverse("account_login")
    path = request.get_full_path()
    if request.path != "/" and not request.path.startswith("/accounts/"):
        login_url = f"{login_url}?{urlencode({'next': path})}"
    return {
        "SITE_NAME": site_name(),
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "login_url": login_url,
    }


def site_name() -> str:
    """The portal's name in the current language (the Chinese name is the official one)."""
    if (get_language() or "").startswith("en") and settings.PORTAL_SITE_NAME_EN:
        return settings.PORTAL_SITE_NAME_EN
    return settings.PORTAL_SITE_NAME
