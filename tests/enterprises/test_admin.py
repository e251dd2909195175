"""The enterprise back office: find an enterprise by its code and see who acts for it."""

import pytest
from django.urls import reverse

from enterprises.models import Enterprise, EnterpriseMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Enterprise.objects.create(
        name="中山市粤中智造科技有限公司", uscc="91442000MA52K7R32U", legal_representative="林志强"
    )


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_enterprise_list_finds_an_enterprise_by_its_uscc(admin_client, company):
    Enterprise.objects.create(
        name="中山市另一家有限公司", uscc="91442000MA52K7R40N", legal_representative="王五"
    )

    response = admin_client.get(reverse("admin:enterprises_enterprise_changelist"), {"q": company.uscc})

    assert response.status_code == 200
    assert "中山市粤中智造科技有限公司" in response.text
    assert "中山市另一家有限公司" not in response.text


def test_the_enterprise_page_shows_who_acts_for_it(admin_client, company):
    agent = UserFactory(username="agent", real_name="黄晓婷")
    EnterpriseMembership.objects.create(user=agent, enterprise=company, role=EnterpriseMembership.Role.AGENT)

    response = admin_client.get(reverse("admin:enterprises_enterprise_change", args=[company.pk]))

    assert response.status_code == 200
    assert "经办人" in response.text
    assert "黄晓婷" in response.text or "agent" in response.text
