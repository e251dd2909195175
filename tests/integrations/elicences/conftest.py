"""Fixtures of the e-licence tests: the sandbox over a live server, licences in its library."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from integrations.elicences import identifiers
from integrations.elicences.client import LicenceClient
from integrations.elicences.models import HolderCodeType, LicenceStatus, SandboxLicence
from integrations.sandbox import framework
from tests import factories

MARKET = ("中山市市场监督管理局", "11442000070289591B")
BUSINESS = "11100000000013127D001"
ID_CARD = "111000000000133895001"
ENTERPRISE = ("中山市粤中智造科技有限公司", "91442000MA52K7R32U")
PERSON = ("李四", factories.make_id_number())


def small_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buffer, "PDF")
    return buffer.getvalue()


def put_licence(
    *,
    holder=ENTERPRISE,
    type_code=BUSINESS,
    type_name="营业执照",
    serial="2023000101",
    number=None,
    status=LicenceStatus.VALID,
    valid_until=None,
    trust_level="A",
    code_type=HolderCodeType.USCC,
) -> SandboxLicence:
    today = timezone.localdate()
    return SandboxLicence.objects.create(
        identifier=identifiers.build(type_code, MARKET[1], serial, 1),
        licence_number=number or holder[1],
        type_code=type_code,
        type_name=type_name,
        holder_name=holder[0],
        holder_code=holder[1],
        holder_code_type=code_type,
        issuer_name=MARKET[0],
        issuer_code=MARKET[1],
        issue_date=today - datetime.timedelta(days=400),
        valid_from=today - datetime.timedelta(days=400),
        valid_until=valid_until,
        status=status,
        trust_level=trust_level,
        data={"法定代表人": "林志强"},
        file_name="licence.pdf",
        file_content=small_pdf(),
    )


@pytest.fixture
def sandbox_url(live_server, settings, sandbox_quiet):
    url = f"{live_server.url}/sandbox/elicences/"
    settings.ELICENCES_URL = url
    settings.ELICENCES_TIMEOUT = 2.0
    yield url
    framework.wait_quiet(timeout=30)
    framework.reset("elicences")


@pytest.fixture
def licence_client(sandbox_url):
    return LicenceClient.from_settings()


# --- cases ----------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    from matters.models import DepartmentMembership

    Role = DepartmentMembership.Role
    department = factories.DepartmentFactory(name=MARKET[0], uscc=MARKET[1])
    return {
        "department": department,
        "citizen": factories.UserFactory(username="citizen", real_name=PERSON[0]),
        "other": factories.UserFactory(username="other-citizen", real_name="王五"),
        "clerk": factories.StaffFactory(username="clerk", department=department),
        "reviewer": factories.StaffFactory(
            username="reviewer", department=department, department__role=Role.REVIEWER
        ),
        "approver": factories.StaffFactory(
            username="approver", department=department, department__role=Role.APPROVER
        ),
    }


@pytest.fixture
def matter(people):
    return factories.MatterFactory(department=people["department"], name="食品经营许可")


@pytest.fixture
def build(people, matter, monkeypatch):
    """Cases driven through the services (the notices' PDFs are applications' business: skipped)."""
    from applications import tasks
    from tests.applications.conftest import Builder

    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: None)
    return Builder(matter, people["citizen"], people["clerk"], people["reviewer"], people["approver"])
