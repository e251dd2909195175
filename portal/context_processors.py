from django.conf import settings

LARGE_TEXT_COOKIE = "large_text"


def site(request):
    """Site name and the elderly-friendly large-text mode (适老化), kept in a cookie per browser."""
    return {
        "SITE_NAME": settings.PORTAL_SITE_NAME,
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
    }
