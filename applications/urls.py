"""Applicant-facing pages. Each concern's views live in applications/views/<concern>.py."""

from django.urls import path  # noqa: F401

app_name = "applications"

urlpatterns: list = [
    # Helpers append their routes below this line, one block per views module.
]
