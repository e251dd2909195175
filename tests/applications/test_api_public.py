"""What the API answers without logging in: the progress query (proofs, one answer for a wrong
proof and an unknown serial, rate limits shared with the /progress/ page) and a matter's form schema."""

import jsonschema
import pytest
from rest_framework.test import APIClient

from applications.models import State
from matters import codes
from tests import factories
from tests.applications.test_api_support import ANSWERS, error, setup_matter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


def progress(serial: str, **proof):
    return APIClient().get(f"/api/v1/progress/{serial}", proof, REMOTE_ADDR=proof.pop("ip", "127.0.0.1"))


@pytest.fixture
def case(build):
    case = build(State.ACCEPTED)
    case.submission.refresh_from_db()
    return case


def test_the_query_code_shows_the_state_and_the_timeline(case):
    response = progress(case.serial, code=case.query_code.lower())
    answer = response.json()
    assert response.status_code == 200
    assert answer["serial"] == case.serial
    assert answer["state"] == {"code": "accepted", "label": "已受理"}
    assert answer["status"]["title"] == "已受理"
    assert [step["label"] for step in answer["timeline"]] == ["提交申请", "签收预审", "受理"]
    assert answer["matter"]["name"] == case.matter.name


def test_the_applicants_name_proves_it_too(case):
    assert progress(case.serial, name=case.submission.applicant_name).status_code == 200


def test_the_last_six_characters_of_the_id_number_prove_it_too(case):
    assert progress(case.serial, id_tail=case.submission.applicant_id_number[-6:]).status_code == 200


def test_the_answer_has_no_personal_data_and_no_opinions(build):
    case = build(State.REJECTED)
    response = progress(case.serial, code=case.query_code)
    text = response.content.decode()
    assert response.json()["applicant"] == "李*"
    for private in (
        "李四",
        case.submission.applicant_id_number,
        "13800138000",
        "窗口甲",
        "申请人不符合受理条件。",
    ):
        assert private not in text
    assert set(response.json()["timeline"][0]) == {"label", "who", "at"}


def test_a_wrong_proof_and_an_unknown_serial_get_the_same_answer(case):
    wrong = progress(case.serial, code="ZZZZZZ")
    unknown = progress(case.serial[:-4] + "9999", code=case.query_code)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert error(wrong)["code"] == "not_found"


def test_exactly_one_proof_is_asked_for(case):
    assert progress(case.serial).status_code == 400
    both = progress(case.serial, code=case.query_code, name="李四")
    assert both.status_code == 400
    assert list(error(both)["fields"]) == ["non_field_errors"]


def test_a_malformed_proof_is_named(case):
    response = progress(case.serial, id_tail="123")
    assert response.status_code == 400
    assert error(response)["fields"] == {"id_tail": ["请填写身份证号码的后6位。"]}


def test_a_draft_cannot_be_queried(build):
    draft = build(State.DRAFT)
    assert progress("None", code=draft.query_code).status_code == 404


def test_more_than_ten_queries_a_minute_from_one_address_are_refused(case):
    for _ in range(10):
        progress(case.serial, code="ZZZZZZ")
    response = progress(case.serial, code=case.query_code)
    assert response.status_code == 429
    assert error(response)["code"] == "throttled"
    assert error(response)["retry_after"] > 0
    assert case.matter.name not in response.content.decode()


def test_the_api_and_the_page_share_one_budget_per_address(case, client):
    for _ in range(10):
        client.post("/progress/", {"serial": case.serial, "method": "code", "proof": "ZZZZZZ"})
    assert progress(case.serial, code=case.query_code).status_code == 429


def test_another_address_is_counted_separately(case):
    for _ in range(10):
        progress(case.serial, code="ZZZZZZ", ip="10.0.0.1")
    assert progress(case.serial, code=case.query_code, ip="10.0.0.2").status_code == 200


def test_a_serial_with_too_many_wrong_answers_is_locked_for_everyone(case, settings):
    settings.PROGRESS_FAILURES_PER_SERIAL = 3
    for number in range(3):
        progress(case.serial, name=f"猜{number}", ip=f"10.0.1.{number}")
    assert progress(case.serial, code=case.query_code, ip="10.0.2.1").status_code == 429


# --- The form schema ---------------------------------------------------------------------------


def test_the_form_schema_validates_good_answers_and_lists_the_materials(matter):
    licence, floor_plan = setup_matter(matter)
    response = APIClient().get(f"/api/v1/matters/{matter.implementation_code}/form-schema/")
    schema = response.json()
    assert response.status_code == 200
    assert schema["required"] == ["shop_name"]
    jsonschema.validate(ANSWERS, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**ANSWERS, "area": "lots"}, schema)
    assert [(m["id"], m["upload_field"], m["key_material"]) for m in schema["x-materials"]] == [
        (licence.pk, f"material_{licence.pk}", True),
        (floor_plan.pk, f"material_{floor_plan.pk}", False),
    ]


def test_a_matter_without_a_form_has_an_empty_schema(matter):
    schema = APIClient().get(f"/api/v1/matters/{matter.implementation_code}/form-schema/").json()
    assert schema["properties"] == {}


def test_an_unpublished_matter_has_no_form_schema(department):
    matter = factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    response = APIClient().get(f"/api/v1/matters/{matter.implementation_code}/form-schema/")
    assert response.status_code == 404
