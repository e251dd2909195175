"""Fixtures of the payment tests: a fee matter, cases driven through the services, and the
sandbox bank on the live server sharing the merchant key with the hall."""

import pytest
from django.urls import reverse

from integrations.payments.models import MatterFee
from integrations.sandbox import framework
from integrations.sandbox import payments as sandbox_bank
from tests import factories
from tests.applications.conftest import (  # noqa: F401 - fixtures
    INPUTS,
    Builder,
    approver,
    clerk,
    other_citizen,
    rendered_documents,
    reviewer,
)

FEE_FEN = 1000


@pytest.fixture
def fee_matter(department):
    matter = factories.MatterFactory(
        department=department,
        name="机动车驾驶证换证",
        fee_required=True,
        fee_basis="《机动车驾驶证申领和使用规定》",
        fee_standard="机动车驾驶证工本费每证10元。",
        online_payment=True,
    )
    MatterFee.objects.create(
        matter=matter, item_name="机动车驾驶证工本费", amount_fen=FEE_FEN, basis="工本费标准"
    )
    return matter


@pytest.fixture
def build(fee_matter, citizen, clerk, reviewer, approver, rendered_documents):  # noqa: F811
    return Builder(fee_matter, citizen, clerk, reviewer, approver)


@pytest.fixture
def bank(live_server, settings, credential, sandbox_quiet):
    """The sandbox bank on the live server, holding the hall's merchant key; notifications are
    sent by the test (``sandbox_bank.notify``)."""
    key, secret = credential
    settings.SANDBOX_BASE_URL = f"{live_server.url}/sandbox/"
    settings.PAYMENTS_URL = ""
    settings.PAYMENTS_SANDBOX_KEY_ID = key.key_id
    settings.PAYMENTS_SANDBOX_SECRET = secret
    settings.PAYMENTS_SANDBOX_NOTIFY = "none"
    settings.PAYMENTS_NOTIFY_URL = f"{live_server.url}{reverse('payments:notify')}"
    framework.reset("payments")
    yield live_server
    assert sandbox_bank.wait_notifications()
