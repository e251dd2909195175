"""A department with its own system connected (service account + key), and a signed client."""

import json

import pytest
from django.test.client import encode_multipart

from integrations import signing
from integrations.departments import services
from tests import factories

BASE = "/api/v1/department-systems/"
BOUNDARY = "DeptSystemBoundary7MA4YWxkTrZu0gW"
PERSON_ID = factories.make_id_number("19850612", 321)


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    """Issued PDFs are applications.pdf's business (rendered after commit)."""
    from applications import tasks

    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: None)


@pytest.fixture
def system(department):
    system, credential, secret = services.create_system(department=department, name="市场监管审批系统")
    system.key, system.secret = credential, secret
    return system


@pytest.fixture
def other_system(other_department):
    system, credential, secret = services.create_system(department=other_department, name="公安业务系统")
    system.key, system.secret = credential, secret
    return system


@pytest.fixture
def other_matter(other_department):
    return factories.MatterFactory(department=other_department, name="户口迁移")


class SignedClient:
    """Django's test client, signing every request like a department system would."""

    def __init__(self, client, key_id: str, secret: str):
        self.client, self.key_id, self.secret = client, key_id, secret

    def _send(self, method, path, body: bytes, content_type: str | None, headers=None):
        signed = signing.signed_headers(self.key_id, self.secret, method.upper(), path, body)
        signed.update(headers or {})
        kwargs = {"headers": signed}
        if method != "get":
            kwargs.update(data=body, content_type=content_type)
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, **kwargs):
        return self._send("get", path, b"", None, **kwargs)

    def post(self, path, payload, **kwargs):
        return self._send("post", path, json.dumps(payload).encode(), "application/json", **kwargs)

    def post_multipart(self, path, fields: dict, **kwargs):
        body = encode_multipart(BOUNDARY, fields)
        return self._send("post", path, body, f"multipart/form-data; boundary={BOUNDARY}", **kwargs)


@pytest.fixture
def api(client, system):
    return SignedClient(client, system.key.key_id, system.secret)


@pytest.fixture
def other_api(client, other_system):
    return SignedClient(client, other_system.key.key_id, other_system.secret)


def registration(matter, external_id="SJ-2026-0001", **extra) -> dict:
    body = {
        "external_id": external_id,
        "matter": matter.implementation_code,
        "applicant": {"name": "张三", "id_number": PERSON_ID, "mobile": "13800138000"},
        "form": {},
        "materials": [{"name": "营业执照复印件"}],
        "channel": "1",
    }
    body.update(extra)
    return body
