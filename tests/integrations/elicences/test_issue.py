"""An approved case of a matter that yields an e-licence is completed: the licence is issued with
a GB/T 36904 identifier, kept in the holder's 资料库 and pushed to the platform exactly once."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import materials
from applications.models import Document, State
from integrations import delivery
from integrations.destinations import Envelope
from integrations.elicences import identifiers, senders, tasks
from integrations.elicences.client import LicenceClient, Result
from integrations.elicences.models import IssuedLicence, LicenceDocument, ResultLicenceType, SandboxLicence
from integrations.models import OutboxMessage
from integrations.sandbox import framework
from tests import factories

from .conftest import MARKET, PERSON

pytestmark = pytest.mark.django_db(transaction=True)
FOOD = "11100000000013127D004"


@pytest.fixture
def yields_licence(matter):
    return ResultLicenceType.objects.create(
        matter=matter, type_code=FOOD, type_name="食品经营许可证", validity_years=5, number_prefix="JY"
    )


def test_completion_issues_the_licence_into_the_holders_store(
    client, sandbox_url, people, build, yields_licence
):
    case = build(State.COMPLETED)
    licence = IssuedLicence.objects.get(case=case)
    parsed = identifiers.parse(licence.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.version) == (FOOD, MARKET[1], 1)
    assert parsed.serial == f"{timezone.localdate().year}000001"
    assert licence.licence_number == f"JY442000{parsed.serial}"
    assert (licence.holder_name, licence.holder_code) == PERSON
    assert licence.issuer_name == MARKET[0] and licence.trust_level == "A"
    assert licence.valid_until.year == timezone.localdate().year + 5
    assert licence.data["事项名称"] == "食品经营许可"

    # The worker's task (eager in the embedded mode, queued with Redis): running it again changes nothing.
    tasks.render_licence.apply(args=[licence.pk])
    first = IssuedLicence.objects.get(pk=licence.pk).document_id
    tasks.render_licence.apply(args=[licence.pk])
    licence.refresh_from_db()
    assert licence.document_id == first
    document = licence.document
    assert document is not None and document.kind == Document.Kind.ELICENCE
    assert document.case_id == case.pk
    assert document in materials.library(people["citizen"])
    assert LicenceDocument.objects.get(document=document).trust_level == "A"
    with document.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"

    client.force_login(people["citizen"])
    page = client.get(reverse("applications:detail", args=[case.serial])).content.decode()
    assert licence.licence_number in page and "可信等级A" in page
    assert client.get(reverse("applications:document_file", args=[document.pk])).status_code == 200
    client.force_login(people["other"])
    assert client.get(reverse("applications:document_file", args=[document.pk])).status_code == 404


def test_the_licence_reaches_the_platform_exactly_once(sandbox_url, build, yields_licence):
    case = build(State.COMPLETED)
    licence = IssuedLicence.objects.get(case=case)
    message = OutboxMessage.objects.get(destination="elicences")
    assert message.idempotency_key == f"elicence-issue-{licence.identifier}"
    assert message.payload["holder_code"] == PERSON[1]

    delivery.drain(destination="elicences")
    delivery.drain(destination="elicences")
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    # A second delivery of the same message (a worker killed after sending) keeps one copy.
    senders.send(
        Envelope(
            id=message.pk,
            topic=message.topic,
            destination="elicences",
            key=message.idempotency_key,
            payload=message.payload,
        )
    )
    assert SandboxLicence.objects.filter(identifier=licence.identifier).count() == 1

    verification = LicenceClient.from_settings().verify(
        number=licence.licence_number, holder_name=PERSON[0], holder_code=PERSON[1]
    )
    assert verification.result == Result.VALID
    assert verification.licence.identifier == licence.identifier


def test_a_timeout_after_the_platform_stored_it_still_leaves_one_copy(
    sandbox_url, settings, build, yields_licence
):
    settings.ELICENCES_TIMEOUT = 0.5
    case = build(State.COMPLETED)
    licence = IssuedLicence.objects.get(case=case)
    framework.configure("elicences", slow_rate=1, slow_seconds=1.2)
    delivery.drain(destination="elicences")
    message = OutboxMessage.objects.get(destination="elicences")
    assert message.state == OutboxMessage.State.PENDING and message.attempts == 1
    assert framework.wait_quiet(timeout=10)
    assert SandboxLicence.objects.filter(identifier=licence.identifier).count() == 1  # it got there anyway

    framework.configure("elicences", slow_rate=0)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    delivery.drain(destination="elicences")
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert SandboxLicence.objects.filter(identifier=licence.identifier).count() == 1


def test_a_denied_case_or_a_matter_without_a_licence_issues_nothing(
    sandbox_url, build, people, yields_licence
):
    denied = build.step(build(State.UNDER_REVIEW), "deny")
    build.step(denied, "complete")
    plain = build(State.COMPLETED, matter=factories.MatterFactory(department=people["department"]))
    assert not IssuedLicence.objects.filter(case__in=[denied, plain]).exists()
    assert not OutboxMessage.objects.filter(destination="elicences").exists()


def test_serials_count_up_per_type_issuer_and_year(sandbox_url, build, yields_licence):
    first, second = build(State.COMPLETED), build(State.COMPLETED)
    serials = [IssuedLicence.objects.get(case=case).serial for case in (first, second)]
    year = timezone.localdate().year
    assert serials == [f"{year}000001", f"{year}000002"]
