"""Pages of the identity peer, mounted at /me/identity/ (namespace ``identity``)."""

from django.urls import path

from integrations.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.real_name, name="real_name"),
    path("enterprise/", views.enterprise_lookup, name="enterprise_lookup"),
]
