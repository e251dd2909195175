"""Registering a case: a unified serial number, the hall's records, once per department id."""

import pytest

from applications.models import Case, Origin, ProcessRecord, State
from integrations.departments.models import DepartmentCase
from integrations.models import OutboxMessage
from tests.integrations.departments.conftest import BASE, PERSON_ID, registration

pytestmark = pytest.mark.django_db


def test_a_registered_case_gets_a_serial_number_and_is_submitted(api, system, matter):
    response = api.post(BASE + "cases/", registration(matter))
    assert response.status_code == 201
    answer = response.json()
    case = Case.objects.get()
    assert answer["serial"] == case.serial and case.serial.startswith(matter.implementation_code)
    assert answer["id"] == case.pk and answer["query_code"] == case.query_code
    assert answer["state"]["code"] == State.SUBMITTED
    assert (case.origin, case.external_id, case.channel, case.department) == (
        Origin.DEPARTMENT_SYSTEM,
        "SJ-2026-0001",
        "1",
        system.department,
    )
    submission = case.submission
    assert (submission.applicant_name, submission.applicant_id_number) == ("张三", PERSON_ID)
    assert list(submission.materials.values_list("requirement_name", flat=True)) == ["营业执照复印件"]
    # The same record and provincial message as a case submitted on the portal.
    assert list(ProcessRecord.objects.filter(case=case).values_list("action", flat=True)) == ["submit"]
    assert OutboxMessage.objects.filter(destination="provincial", ordering_key=f"case-{case.pk}").count() == 1


def test_a_replay_gets_the_same_answer_and_no_second_case(api, matter):
    first = api.post(BASE + "cases/", registration(matter))
    again = api.post(BASE + "cases/", registration(matter))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replay"] == "true"
    assert Case.objects.count() == DepartmentCase.objects.count() == 1


def test_the_same_department_id_with_other_data_is_a_conflict(api, matter):
    api.post(BASE + "cases/", registration(matter))
    other = registration(matter)
    other["applicant"]["name"] = "李四"
    response = api.post(BASE + "cases/", other)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "external_id_reused")
    assert Case.objects.count() == 1


def test_an_invalid_id_number_is_named_in_the_400(api, matter):
    body = registration(matter)
    body["applicant"]["id_number"] = PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")
    response = api.post(BASE + "cases/", body)
    assert response.status_code == 400
    assert "身份证号码校验位不正确" in str(response.json()["error"]["fields"])
    assert Case.objects.count() == 0
    # A failed first attempt leaves no receipt: the corrected request goes through.
    assert api.post(BASE + "cases/", registration(matter)).status_code == 201


def test_a_material_of_another_matter_is_refused(api, matter, other_matter):
    from tests import factories

    foreign = factories.MaterialRequirementFactory(matter=other_matter)
    response = api.post(BASE + "cases/", registration(matter, materials=[{"requirement": foreign.pk}]))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_an_enterprise_applicant_is_kept_with_its_agent_as_contact(api, matter):
    from tests import factories

    body = registration(
        matter,
        applicant={
            "name": "张三",
            "id_number": PERSON_ID,
            "org_name": "中山市某某食品有限公司",
            "org_code": factories.make_uscc(77, prefix="91442000"),
        },
    )
    assert api.post(BASE + "cases/", body).status_code == 201
    submission = Case.objects.get().submission
    assert (submission.applicant_type, submission.applicant_name, submission.contact_name) == (
        "2",
        "中山市某某食品有限公司",
        "张三",
    )


def test_the_case_reads_back_by_the_departments_id(api, matter):
    api.post(BASE + "cases/", registration(matter))
    answer = api.get(BASE + "cases/SJ-2026-0001/").json()
    assert answer["external_id"] == "SJ-2026-0001"
    assert [row["action"] for row in answer["records"]] == ["submit"]
