"""Peers' keys in the admin: the secret is shown once, when it is made or rotated, and stored encrypted."""

import re

import pytest
from django.urls import reverse

from integrations import credentials
from integrations.models import PeerCredential
from tests import factories


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operator", is_staff=True, is_superuser=True)


def shown_secret(page: str) -> str:
    return re.search(r'<code class="peer-secret">([^<]+)</code>', page).group(1)


def test_a_new_key_shows_its_secret_once(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("admin:integrations_peercredential_add"),
        {"peer": "payments", "name": "建设银行缴费回调", "is_active": "on", "note": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "仅显示这一次" in page
    assert "no-store" in response["Cache-Control"]
    key = PeerCredential.objects.get()
    secret = shown_secret(page)
    assert key.key_id.startswith("payments_") and key.key_id in page
    assert credentials.secret_of(key) == secret and secret not in key.secret_encrypted
    change_page = client.get(
        reverse("admin:integrations_peercredential_change", args=[key.pk])
    ).content.decode()
    assert secret not in change_page and key.secret_encrypted not in change_page


def test_rotating_a_key_shows_the_new_secret_and_the_old_one_stops_working(client, operator):
    key, old = credentials.create(peer="logistics", name="快递")
    client.force_login(operator)
    response = client.post(
        reverse("admin:integrations_peercredential_changelist"),
        {"action": "rotate_secrets", "_selected_action": [key.pk]},
    )
    new = shown_secret(response.content.decode())
    key.refresh_from_db()
    assert new != old and credentials.secret_of(key) == new
