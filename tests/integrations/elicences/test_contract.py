"""Contract: the real client against the sandbox over real HTTP (live server), errors and timeouts."""

import datetime

import pytest
from django.utils import timezone

from integrations.elicences import identifiers
from integrations.elicences.client import Result
from integrations.elicences.models import LicenceStatus, SandboxLicence
from integrations.errors import PeerAnswerUnreadable, PeerRejected, PeerUnavailable
from integrations.http import PeerClient
from integrations.models import PeerRequestLog
from integrations.sandbox import framework

from .conftest import ENTERPRISE, MARKET, put_licence, small_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def verify(client, number, holder=ENTERPRISE):
    return client.verify(number=number, holder_name=holder[0], holder_code=holder[1])


def test_a_valid_licence_verifies_as_valid_by_number_and_by_identifier(licence_client):
    licence = put_licence()
    by_number = verify(licence_client, licence.licence_number)
    assert by_number.result == Result.VALID and by_number.valid
    assert by_number.licence.identifier == licence.identifier
    assert by_number.licence.trust_level == "A"
    assert verify(licence_client, licence.identifier).result == Result.VALID


def test_a_licence_past_its_end_date_verifies_as_expired(licence_client):
    licence = put_licence(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    verification = verify(licence_client, licence.licence_number)
    assert verification.result == Result.EXPIRED
    assert verification.licence.status == "expired"


def test_a_revoked_licence_verifies_as_revoked(licence_client):
    licence = put_licence(status=LicenceStatus.REVOKED)
    assert verify(licence_client, licence.licence_number).result == Result.REVOKED


def test_an_unknown_number_or_another_holder_is_not_found(licence_client):
    licence = put_licence()
    assert verify(licence_client, "91442000MA00000000").result == Result.NOT_FOUND
    stranger = ("别人家的公司", "91442000MA52K7R32U")
    verification = verify(licence_client, licence.licence_number, holder=stranger)
    assert verification.result == Result.NOT_FOUND and verification.licence is None


def test_an_identifier_with_a_wrong_check_character_is_refused_with_an_error_body(licence_client):
    licence = put_licence()
    wrong = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    with pytest.raises(PeerRejected) as error:
        verify(licence_client, wrong)
    assert error.value.status == 400 and error.value.code == "invalid_identifier"


def test_missing_fields_are_a_400_in_the_api_error_format(sandbox_url):
    raw = PeerClient(peer="elicences", base_url=sandbox_url)
    with pytest.raises(PeerRejected) as error:
        raw.post("licences/verify/", json={"number": "1"})
    assert error.value.status == 400 and error.value.code == "bad_request"
    assert "holder_name" in str(error.value)


def test_search_fetch_and_file_give_the_holders_licence(licence_client):
    licence = put_licence()
    put_licence(holder=("王五", "440000199001011234"), serial="X1", number="N1")
    found = licence_client.search(
        holder_name=ENTERPRISE[0], holder_code=ENTERPRISE[1], type_code=licence.type_code
    )
    assert [row.identifier for row in found] == [licence.identifier]
    record = licence_client.fetch(
        identifier=licence.identifier, holder_name=ENTERPRISE[0], holder_code=ENTERPRISE[1]
    )
    assert record.data == {"法定代表人": "林志强"} and record.issuer_name == MARKET[0]
    assert licence_client.file(licence.identifier).startswith(b"%PDF")


def test_fetching_another_holders_licence_is_404_not_found(licence_client):
    licence = put_licence()
    with pytest.raises(PeerRejected) as error:
        licence_client.fetch(
            identifier=licence.identifier, holder_name="别人", holder_code="91440000MA00000000"
        )
    assert error.value.status == 404 and error.value.code == "not_found"
    with pytest.raises(PeerRejected) as error:
        licence_client.file(licence.identifier[:-3] + "999.X")
    assert error.value.status == 404


def _metadata(serial="2026000001"):
    identifier = identifiers.build("11100000000013127D004", MARKET[1], serial, 1)
    today = timezone.localdate().isoformat()
    return {
        "identifier": identifier,
        "licence_number": f"JY442000{serial}",
        "type_code": "11100000000013127D004",
        "type_name": "食品经营许可证",
        "holder_name": ENTERPRISE[0],
        "holder_code": ENTERPRISE[1],
        "holder_code_type": "uscc",
        "issuer_name": MARKET[0],
        "issuer_code": MARKET[1],
        "issue_date": today,
        "valid_from": today,
        "valid_until": None,
        "trust_level": "A",
    }


def test_a_pushed_licence_is_stored_once_per_idempotency_key(licence_client):
    metadata = _metadata()
    first = licence_client.push(metadata, content=small_pdf(), idempotency_key="k-1")
    again = licence_client.push(metadata, content=small_pdf(), idempotency_key="k-1")
    assert first == again == {"identifier": metadata["identifier"], "created": True}
    assert SandboxLicence.objects.filter(identifier=metadata["identifier"]).count() == 1
    assert verify(licence_client, metadata["licence_number"]).result == Result.VALID


def test_the_same_identifier_under_another_key_is_a_409(licence_client):
    metadata = _metadata()
    licence_client.push(metadata, content=small_pdf(), idempotency_key="k-1")
    with pytest.raises(PeerRejected) as error:
        licence_client.push(metadata, content=small_pdf(), idempotency_key="k-2")
    assert error.value.status == 409 and error.value.code == "identifier_conflict"


def test_a_push_that_is_not_a_pdf_or_has_a_bad_identifier_is_refused(licence_client):
    with pytest.raises(PeerRejected) as error:
        licence_client.push(_metadata(), content=b"not a pdf", idempotency_key="k-3")
    assert error.value.status == 400
    broken = {**_metadata(), "identifier": _metadata()["identifier"][:-1] + "0"}
    if broken["identifier"] == _metadata()["identifier"]:
        broken["identifier"] = broken["identifier"][:-1] + "1"
    with pytest.raises(PeerRejected) as error:
        licence_client.push(broken, content=small_pdf(), idempotency_key="k-4")
    assert error.value.code == "invalid_identifier"


def test_a_slow_platform_is_a_timeout_and_the_request_is_logged(licence_client, settings):
    settings.ELICENCES_TIMEOUT = 0.5
    from integrations.elicences.client import LicenceClient

    client = LicenceClient.from_settings()
    framework.configure("elicences", slow_rate=1, slow_seconds=1.5)
    with pytest.raises(PeerUnavailable) as error:
        verify(client, "91442000MA52K7R32U")
    assert "no answer within" in str(error.value)
    logged = PeerRequestLog.objects.filter(peer="elicences", ok=False)
    assert logged.count() == 2  # a look-up is retried once
    assert not any("91442000MA52K7R32U" in row.url for row in logged)


def test_a_failing_platform_answers_503_and_garbage_is_unreadable(licence_client):
    framework.configure("elicences", fail_rate=1)
    with pytest.raises(PeerUnavailable) as error:
        verify(licence_client, "x")
    assert error.value.status == 503 and error.value.code == "sandbox_failure"
    framework.configure("elicences", fail_rate=0, garbage_rate=1)
    with pytest.raises(PeerAnswerUnreadable):
        verify(licence_client, "x")


def test_a_signed_client_is_checked_when_a_secret_is_configured(sandbox_url, settings):
    from integrations.elicences.client import LicenceClient

    put_licence()
    settings.ELICENCES_KEY_ID, settings.ELICENCES_SECRET = "portal", "s3cret-value"
    assert verify(LicenceClient.from_settings(), ENTERPRISE[1]).result == Result.VALID
    unsigned = LicenceClient(base_url=sandbox_url)
    with pytest.raises(PeerRejected) as error:
        verify(unsigned, ENTERPRISE[1])
    assert error.value.status == 401
