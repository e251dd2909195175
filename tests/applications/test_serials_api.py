"""GET /api/v1/serials/validate/<serial>: well-formed? whose case? No personal data."""

import pytest
from django.utils import timezone

from applications.models import State

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]

CODE = "12441500196720244T3442199806003"


def url(serial: str) -> str:
    return f"/api/v1/serials/validate/{serial}"


def test_a_well_formed_serial_without_a_case_is_valid_but_unknown(client):
    response = client.get(url(f"{CODE}202206230068"))
    assert response.status_code == 200
    assert response.json() == {
        "serial": f"{CODE}202206230068",
        "well_formed": True,
        "implementation_code": CODE,
        "date": "2022-06-23",
        "sequence": 68,
        "exists": False,
        "case": None,
    }


def test_an_existing_serial_names_the_matter_department_and_state_without_personal_data(client, build):
    case = build(State.UNDER_REVIEW)
    response = client.get(url(case.serial.lower()))
    body = response.json()
    assert response.status_code == 200
    assert body["exists"] is True
    assert body["case"] == {
        "matter": {"implementation_code": case.matter.implementation_code, "name": case.matter.name},
        "department": {"name": case.department.name, "uscc": case.department.uscc},
        "state": {"code": "under_review", "label": "审查中"},
        "submitted_on": timezone.localtime(case.submitted_at).date().isoformat(),
    }
    text = response.content.decode()
    for private in ("李四", case.submission.applicant_id_number, "13800138000", case.query_code):
        assert private not in text


def test_the_trailing_slash_is_optional(client):
    assert client.get(url(f"{CODE}202206230068") + "/").status_code == 200


def test_a_malformed_serial_gets_a_400_naming_the_field(client):
    response = client.get(url(f"{CODE}202602300068"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"serial": ["统一申办流水号中的日期不存在。"]}


def test_a_serial_with_a_wrong_uscc_check_character_is_refused(client):
    response = client.get(url(f"{CODE[:17]}X{CODE[18:]}202206230068"))
    assert response.status_code == 400
    assert "校验位不正确" in response.json()["error"]["fields"]["serial"][0]


def test_a_short_string_is_told_its_length(client):
    response = client.get(url("12345"))
    assert response.json()["error"]["fields"]["serial"] == ["统一申办流水号应为43位，当前为5位。"]


def test_the_endpoint_is_in_the_api_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/serials/validate/{serial}" in schema
