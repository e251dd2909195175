"""seed_demo fills the identity sandbox so that the demo accounts can verify in `make run`."""

import pytest

from applications import demo as application_demo
from enterprises.models import Enterprise
from integrations.identity import demo
from integrations.identity.hashing import id_number_hash
from integrations.identity.models import SandboxEnterprise, SandboxPerson
from matters.management.commands.seed_demo import DEMO_ENTERPRISE
from tests import factories


@pytest.mark.django_db
def test_the_demo_registers():
    Enterprise.objects.create(
        uscc=factories.make_uscc(11, "91442000"),
        name="中山市吊销演示有限公司",
        legal_representative="甲",
        status="revoked",
    )
    people, enterprises = demo.seed()
    assert people == SandboxPerson.objects.count() == len(demo.demo_people()) + 1
    _username, _name, sex, birth, region = application_demo.DEMO_CITIZEN
    citizen = SandboxPerson.objects.get(
        id_number_hash=id_number_hash(application_demo.id_number(birth, region, sex, 301))
    )
    assert (citizen.name, citizen.alive) == ("陈小明", True)
    assert not SandboxPerson.objects.get(id_number_hash=id_number_hash(demo.DECEASED[1])).alive
    assert enterprises == SandboxEnterprise.objects.count() == 4
    assert SandboxEnterprise.objects.get(uscc=DEMO_ENTERPRISE["uscc"]).status == "存续"
    assert SandboxEnterprise.objects.get(uscc=factories.make_uscc(11, "91442000")).status == "吊销"
    # Run again: nothing doubles.
    assert demo.seed() == (people, enterprises)
    assert "442000199203157038" in demo.__doc__
