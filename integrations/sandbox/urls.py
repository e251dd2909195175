"""URLs of the sandboxes, mounted at /sandbox/ when SANDBOX_ENABLED. Each peer adds its own."""

from django.urls import path

from integrations.sandbox import provincial

app_name = "sandbox"

urlpatterns: list = [
    path("provincial/numbering/", provincial.numbering, name="provincial-numbering"),
    path("provincial/numbering/control/", provincial.numbering_control, name="provincial-numbering-control"),
]
