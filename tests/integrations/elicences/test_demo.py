"""The demo: matters that yield e-licences, and the demo accounts' licences in the sandbox."""

import pytest

from integrations.elicences import demo, identifiers, pdf
from integrations.elicences.models import ResultLicenceType, SandboxLicence
from tests import factories

from .conftest import small_pdf


@pytest.mark.django_db
def test_seeding_twice_gives_the_demo_licences_once(monkeypatch):
    monkeypatch.setattr(pdf, "render", lambda licence: small_pdf())  # the PDF itself: test_issue
    factories.MatterFactory(name="食品经营许可")
    demo.seed()
    demo.seed()
    assert ResultLicenceType.objects.get().type_name == "食品经营许可证"
    licences = SandboxLicence.objects.all()
    assert licences.count() == len(demo.demo_licences())
    assert {"营业执照", "居民身份证", "食品经营许可证"} <= set(licences.values_list("type_name", flat=True))
    assert all(identifiers.is_valid(licence.identifier) for licence in licences)
    assert all(bytes(licence.file_content).startswith(b"%PDF") for licence in licences)
    statuses = {licence.type_name: demo.LicenceStatus(licence.status) for licence in licences}
    assert statuses["药品经营许可证"] == "revoked"
