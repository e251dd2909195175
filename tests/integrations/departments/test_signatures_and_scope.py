"""Only a department's own system, correctly signed, reaches its own matters and cases."""

import pytest

from applications.models import Case
from integrations import credentials
from integrations.models import PeerRequestLog
from tests.integrations.departments.conftest import BASE, SignedClient, registration

pytestmark = pytest.mark.django_db


def code(response):
    return response.status_code, response.json()["error"]["code"]


def test_an_unsigned_call_is_refused(client, system, matter):
    response = client.post(BASE + "cases/", registration(matter), content_type="application/json")
    assert code(response) == (401, "missing_signature")
    assert Case.objects.count() == 0


def test_a_call_signed_with_the_wrong_secret_is_refused_and_logged(client, system, matter):
    forged = SignedClient(client, system.key.key_id, "not-the-secret")
    assert code(forged.post(BASE + "cases/", registration(matter))) == (401, "bad_signature")
    assert Case.objects.count() == 0
    assert PeerRequestLog.objects.filter(peer="departments", status=401, error="bad_signature").exists()


def test_a_rotated_secret_stops_working_at_once(client, system, matter):
    old = SignedClient(client, system.key.key_id, system.secret)
    credentials.rotate(system.key)
    assert code(old.get(BASE + "matters/")) == (401, "bad_signature")


def test_another_peers_key_is_not_a_department_system(client, matter):
    bank, secret = credentials.create(peer="payments", name="银行")
    assert code(SignedClient(client, bank.key_id, secret).get(BASE + "matters/")) == (403, "wrong_peer")


def test_a_departments_key_without_a_system_is_refused(client, matter):
    loose, secret = credentials.create(peer="departments", name="无账号")
    assert code(SignedClient(client, loose.key_id, secret).get(BASE + "matters/")) == (
        403,
        "not_a_department_system",
    )


def test_a_suspended_system_is_refused(api, system, matter):
    from integrations.departments import services

    services.set_active(system, False)
    assert code(api.get(BASE + "matters/")) == (401, "unknown_key")


def test_another_departments_matter_cannot_be_registered(api, other_matter):
    response = api.post(BASE + "cases/", registration(other_matter))
    assert code(response) == (404, "matter_not_found")
    assert Case.objects.count() == 0


def test_the_catalogue_lists_the_departments_own_matters_only(api, matter, other_matter):
    response = api.get(BASE + "matters/")
    assert response.status_code == 200
    assert [row["implementation_code"] for row in response.json()] == [matter.implementation_code]
    assert api.get(BASE + f"matters/{other_matter.implementation_code}/").status_code == 404


def test_a_guide_gives_the_material_ids_to_refer_to(api, matter):
    from tests import factories

    requirement = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    guide = api.get(BASE + f"matters/{matter.implementation_code}/").json()
    assert guide["materials"][0]["id"] == requirement.pk
    assert guide["form_schema_url"].endswith(f"/api/v1/matters/{matter.implementation_code}/form-schema/")


def test_another_systems_case_is_not_found(api, other_api, other_matter):
    assert other_api.post(BASE + "cases/", registration(other_matter, "GA-1")).status_code == 201
    assert code(api.get(BASE + "cases/GA-1/")) == (404, "case_not_found")
    response = api.post(BASE + "cases/GA-1/transitions/", {"event_id": "E1", "transition": "accept"})
    assert code(response) == (404, "case_not_found")
