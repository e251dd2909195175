"""Applicant-facing pages. Each concern's views live in applications/views/<concern>.py."""

from django.urls import path

from applications.views import issued as issued_views
from applications.views import verify as verify_views

app_name = "applications"

urlpatterns: list = [
    # Helpers append their routes below this line, one block per views module.
    # Issued documents (i4): the public verification page of a QR code, the permission-checked download.
    path("verify/<str:token>/", verify_views.verify, name="verify"),
    path("issued/<int:pk>/download/", issued_views.download, name="issued_download"),
]
