"""A department's case is the applicant's like any other: in 我的办件 when their account is known
from a verified source, otherwise under the service account and found by the progress query."""

import pytest
from django.urls import reverse

from applications import services as app_services
from applications.models import Case
from applications.services import ApplicantData
from integrations.departments.models import DepartmentCase
from tests import factories
from tests.integrations.departments.conftest import BASE, PERSON_ID, registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_citizen(citizen, department, matter, staff):
    """张三, whose identity a window clerk checked when registering a case under his own account."""
    citizen.real_name = "张三"
    citizen.save()
    app_services.register_window_case(
        staff=staff,
        matter=matter,
        data=ApplicantData(name="张三", id_number=PERSON_ID, mobile="13800138000"),
        applicant=citizen,
    )
    return citizen


def test_the_case_of_a_verified_applicant_shows_in_my_cases(api, client, verified_citizen, matter):
    answer = api.post(BASE + "cases/", registration(matter, "SJ-9")).json()
    assert answer["applicant_matched"] is True
    case = Case.objects.get(pk=answer["id"])
    assert case.applicant == verified_citizen
    client.force_login(verified_citizen)
    page = client.get(reverse("applications:my_cases"))
    assert page.status_code == 200 and case.serial in page.content.decode()
    assert client.get(reverse("applications:detail", args=[case.serial])).status_code == 200
    listing = client.get("/api/v1/applications/").json()
    assert case.serial in [row["serial"] for row in listing["results"]]
    # And the applicant gets the same notice as for a case submitted on the portal.
    assert verified_citizen.notifications.filter(template_key="case_submitted").exists()


def test_a_number_typed_into_ones_own_application_is_not_a_verified_identity(api, matter):
    impostor = factories.UserFactory(username="impostor", real_name="张三")
    draft = app_services.create_draft(
        applicant=impostor,
        matter=matter,
        data=ApplicantData(name="张三", id_number=PERSON_ID, mobile="13800138000"),
    )
    app_services.submit(case=draft, actor=impostor, check_completeness=False)
    answer = api.post(BASE + "cases/", registration(matter, "SJ-10")).json()
    assert answer["applicant_matched"] is False
    assert not Case.objects.filter(pk=answer["id"], applicant=impostor).exists()


def test_a_different_name_with_the_same_number_is_not_matched(api, verified_citizen, matter):
    body = registration(matter, "SJ-11")
    body["applicant"]["name"] = "张叁"
    assert api.post(BASE + "cases/", body).json()["applicant_matched"] is False


def test_an_unmatched_case_is_found_by_the_public_progress_query(api, client, matter, system):
    answer = api.post(BASE + "cases/", registration(matter, "SJ-12")).json()
    case = Case.objects.get(pk=answer["id"])
    assert case.applicant == system.account and not DepartmentCase.objects.get().applicant_matched
    response = client.get(f"/api/v1/progress/{answer['serial']}/", {"code": answer["query_code"]})
    assert response.status_code == 200
    assert response.json()["state"]["code"] == "submitted"


def test_the_case_counts_with_the_departments_cases(api, matter, department, staff):
    """Statistics and the back office read cases by department and state: this case is one of them."""
    from applications import selectors

    api.post(BASE + "cases/", registration(matter, "SJ-13"))
    queue = selectors.department_cases(staff)
    assert queue.filter(department=department, state="submitted").count() == 1
