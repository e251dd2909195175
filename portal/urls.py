from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from portal import views

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER
admin.site.index_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("guide/", include("matters.guide_urls")),
    path("matters/", include("matters.urls")),
    path("", include("applications.urls")),
    path("", include("integrations.elicences.urls")),
    path("me/identity/", include("integrations.identity.urls")),
    path("a11y/large-text/", views.toggle_large_text, name="toggle_large_text"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api")),
    path("integrations/logistics/", include("integrations.logistics.urls")),
    path("integrations/payments/", include("integrations.payments.urls")),
]

if settings.SANDBOX_ENABLED:
    # The built-in stand-ins of every external system, speaking their HTTP contracts.
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))

if settings.BENCH_ENDPOINTS:
    urlpatterns.append(path("_bench/minimal/", views.bench_minimal, name="bench_minimal"))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
