"""窗口登记: a clerk registers an applicant at the counter; the case gets its serial number at once."""

import pytest
from django.urls import reverse

from applications.models import Case, Origin, State
from matters import codes
from tests import factories
from tests.applications.test_admin_helpers import case_url, messages_of, page_text

REGISTER = "admin:applications_case_register"
ID_NUMBER = factories.make_id_number(birth="19850612", serial=321)
WRONG_CHECK_DIGIT = ID_NUMBER[:17] + ("1" if ID_NUMBER[17] == "0" else "0")


def person(matter, **extra) -> dict:
    return {
        "matter": matter.pk,
        "applicant_type": "1",
        "name": "王五",
        "id_number": ID_NUMBER.lower(),
        "mobile": "139 0000 1234",
        **extra,
    }


def test_a_window_registration_gives_the_case_its_serial_number_at_once(client, clerk, matter):
    client.force_login(clerk)
    response = client.post(reverse(REGISTER), person(matter))
    case = Case.objects.get()
    assert case.serial and len(case.serial) == 43
    assert (case.state, case.origin, case.channel) == (
        State.SUBMITTED,
        Origin.WINDOW,
        codes.HandlingForm.WINDOW,
    )
    assert response.url == case_url(case) + "#issued-documents"
    assert f"窗口登记成功，统一申办流水号（受理回执号）：{case.serial}。" in messages_of(response)


def test_the_registered_applicant_is_kept_as_entered(client, clerk, matter):
    client.force_login(clerk)
    client.post(reverse(REGISTER), person(matter))
    submission = Case.objects.get().submission
    assert (submission.applicant_name, submission.applicant_id_number, submission.contact_mobile) == (
        "王五",
        ID_NUMBER,
        "13900001234",
    )


def test_an_enterprise_is_registered_with_its_credit_code_and_agent(client, clerk, matter):
    client.force_login(clerk)
    uscc = factories.make_uscc(77, prefix="91442000")
    client.post(
        reverse(REGISTER), person(matter, applicant_type="2", org_name="中山市某某有限公司", org_code=uscc)
    )
    submission = Case.objects.get().submission
    assert (submission.applicant_type, submission.org_code, submission.contact_name) == ("2", uscc, "王五")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("id_number", WRONG_CHECK_DIGIT, "身份证号码校验位不正确"),
        ("mobile", "12345", "请输入11位手机号码"),
        ("org_code", "91442000000000000X", "统一社会信用代码"),
    ],
)
def test_bad_identity_data_is_refused_next_to_the_field(client, clerk, matter, field, value, message):
    client.force_login(clerk)
    response = client.post(reverse(REGISTER), person(matter, **{field: value}))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not Case.objects.exists()


def test_an_enterprise_registration_needs_the_credit_code(client, clerk, matter):
    client.force_login(clerk)
    response = client.post(reverse(REGISTER), person(matter, applicant_type="2", org_name="某公司"))
    assert "单位申请请填写统一社会信用代码。" in page_text(response)


def test_only_the_clerks_department_matters_can_be_registered(client, clerk, other_department):
    foreign = factories.MatterFactory(department=other_department)
    client.force_login(clerk)
    response = client.post(reverse(REGISTER), person(foreign))
    assert "matter" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_supervisor_cannot_register_a_window_case(client, supervisor, matter):
    client.force_login(supervisor)
    assert client.get(reverse(REGISTER)).status_code == 403


def test_the_registration_page_lists_the_departments_published_matters(client, clerk, matter, department):
    draft = factories.MatterFactory(department=department, name="草稿事项", status=codes.Status.DRAFT)
    client.force_login(clerk)
    choices = [
        label for _value, label in client.get(reverse(REGISTER)).context["form"].fields["matter"].choices
    ]
    assert matter.name in choices and draft.name not in choices


def test_the_registered_case_can_be_accepted_and_its_receipt_printed(client, clerk, matter):
    client.force_login(clerk)
    client.post(reverse(REGISTER), person(matter))
    case = Case.objects.get()
    client.post(
        reverse("admin:applications_case_transition", args=[case.pk, "accept"]), {"accept-opinion": ""}
    )
    page = page_text(client.get(case_url(case)))
    assert "受理回执" in page
    assert reverse("applications:issued_download", args=[case.issued_documents.get().pk]) in page
