"""Cases of an express-delivery matter, built through the services, and the carrier's sandbox
on a live server."""

import json

import pytest

from applications.models import State
from integrations import signing
from integrations.logistics import services
from integrations.logistics.models import Direction
from integrations.sandbox import framework
from integrations.sandbox import logistics as sandbox
from tests import factories
from tests.applications.conftest import (  # noqa: F401 - fixtures reused from the cases' tests
    Builder,
    approver,
    clerk,
    other_citizen,
    rendered_documents,
    reviewer,
)

CALLBACK = "/integrations/logistics/events/"


@pytest.fixture
def express_matter(department):
    return factories.MatterFactory(department=department, name="食品经营许可证核发", express_delivery=True)


@pytest.fixture
def build(express_matter, citizen, clerk, reviewer, approver, rendered_documents):  # noqa: F811
    return Builder(express_matter, citizen, clerk, reviewer, approver)


@pytest.fixture
def completed_case(build):
    return build(State.COMPLETED)


def ask(case, direction=Direction.RESULTS, **overrides):
    data = {"name": "李四", "phone": "13800138000", "address": "广东省中山市东区中山三路 88 号"}
    data.update(overrides)
    return services.request_shipment(case=case, actor=case.applicant, direction=direction, **data)


@pytest.fixture
def carrier(live_server, settings, sandbox_quiet):
    """The client and the callbacks both point at the live server's sandbox and portal."""
    settings.LOGISTICS_URL = f"{live_server.url}/sandbox/logistics/"
    settings.LOGISTICS_CALLBACK_URL = f"{live_server.url}{CALLBACK}"
    settings.PEER_READ_TIMEOUT = 5
    yield live_server
    framework.reset(sandbox.NAME)


def signed_post(client, payload, *, key=None, nonce=None, body=None):
    """POST a tracking event to the callback as the carrier's sandbox signs it."""
    key = key or sandbox.callback_key()
    body = body if body is not None else json.dumps(payload).encode()
    headers = signing.signed_headers(key.key_id, key.secret, "POST", CALLBACK, body, nonce=nonce)
    return client.post(CALLBACK, data=body, content_type="application/json", headers=headers)
