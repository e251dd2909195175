"""Helpers shared by the back-office tests of cases (no tests here)."""

import io

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.models import Case

QUEUE = "admin:applications_case_changelist"


def queue_url(query: str = "") -> str:
    return reverse(QUEUE) + (f"?{query}" if query else "")


def case_url(case: Case) -> str:
    return reverse("admin:applications_case_change", args=[case.pk])


def transition_url(case: Case, name: str) -> str:
    return reverse("admin:applications_case_transition", args=[case.pk, name])


def post_transition(client, case: Case, name: str, data: dict | None = None, files: dict | None = None):
    """Post one transition form of the case page (its fields carry the transition's prefix)."""
    payload = {f"{name}-{key}": value for key, value in (data or {}).items()}
    payload.update({f"{name}-{key}": value for key, value in (files or {}).items()})
    return client.post(transition_url(case, name), payload)


def reload(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def pdf_upload(name: str = "食品经营许可证.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def page_text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    """The admin messages of a response (shown on the page, or queued for the redirect's target)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> list[str]:
    """The serial numbers of the queue's rows on this page."""
    return [case.serial for case in response.context["cl"].result_list]
