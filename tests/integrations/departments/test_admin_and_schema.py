"""Connecting a department system in the admin (secret shown once), and the OpenAPI description."""

import pytest
from django.contrib.auth import get_user_model

from integrations.departments.models import DepartmentSystem
from integrations.models import PeerCredential
from matters.models import DepartmentMembership

pytestmark = pytest.mark.django_db


def test_adding_a_system_creates_its_service_account_and_shows_the_secret_once(admin_client, department):
    response = admin_client.post(
        "/admin/department_systems/departmentsystem/add/", {"department": department.pk, "name": "审批系统"}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    system = DepartmentSystem.objects.get()
    key = PeerCredential.objects.get(user=system.account)
    assert key.peer == "departments" and key.key_id in response.content.decode()
    account = get_user_model().objects.get(pk=system.account_id)
    assert not account.has_usable_password()
    roles = set(DepartmentMembership.objects.filter(user=account).values_list("department_id", "role"))
    assert roles == {(department.pk, "clerk"), (department.pk, "reviewer"), (department.pk, "approver")}
    # The list never shows the secret again.
    listing = admin_client.get("/admin/department_systems/departmentsystem/").content.decode()
    assert "peer-secret" not in listing


def test_the_schema_documents_the_endpoints_and_their_signature_headers(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/department-systems/cases/"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Key-Id", "X-Timestamp", "X-Nonce", "X-Signature"}
    assert operation["security"] == [{"PeerSignature": []}]
    assert "PeerSignature" in schema["components"]["securitySchemes"]
