"""Cases in every state, built through the services (never by writing ``state`` directly)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from applications import services, tasks
from applications.models import Document, State
from applications.services import ApplicantData
from matters import codes
from matters.models import DepartmentMembership
from portal.notifications import LocmemSMSBackend
from tests import factories

Role = DepartmentMembership.Role

APPLICANT = ApplicantData(name="李四", id_number=factories.make_id_number(), mobile="13800138000")


@pytest.fixture
def rendered_documents(monkeypatch):
    """PDFs are applications.pdf's business: the workflow tests only see which were scheduled.

    Not autouse: other modules of this folder render real PDFs.
    """
    scheduled: list[int] = []
    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: scheduled.append(issued_id))
    return scheduled


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "portal.notifications.LocmemSMSBackend"
    LocmemSMSBackend.outbox = []
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox = []


@pytest.fixture
def other_citizen(db):
    return factories.UserFactory(username="other-citizen", real_name="王五")


@pytest.fixture
def clerk(department):
    return factories.StaffFactory(username="clerk", real_name="窗口甲", department=department)


@pytest.fixture
def reviewer(department):
    return factories.StaffFactory(
        username="reviewer", real_name="审核乙", department=department, department__role=Role.REVIEWER
    )


@pytest.fixture
def approver(department):
    return factories.StaffFactory(
        username="approver", real_name="负责人丙", department=department, department__role=Role.APPROVER
    )


@pytest.fixture
def other_department_approver(other_department):
    """The strongest role, but in another department."""
    return factories.StaffFactory(
        username="other-approver", department=other_department, department__role=Role.APPROVER
    )


@pytest.fixture
def catalogue_staff(department):
    """Staff of the handling department who edit the catalogue and do not handle cases."""
    return factories.StaffFactory(
        username="catalogue", department=department, department__role=Role.CATALOGUE
    )


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def immediate_matter(department):
    return factories.MatterFactory(
        department=department,
        name="个体工商户名称变更登记",
        promised_limit_days=0,
        legal_limit_days=0,
        case_type=codes.CaseType.IMMEDIATE,
        review_type=codes.ReviewType.IMMEDIATE,
    )


@pytest.fixture
def trust_online_matter(department):
    return factories.MatterFactory(department=department, name="高龄津贴申领", trust_online_review=True)


def result_document(owner, kind=Document.Kind.RESULT) -> Document:
    return Document.objects.create(
        owner=owner,
        kind=kind,
        title="食品经营许可证",
        original_name="许可证.pdf",
        file="issued/test.pdf",
        extension=".pdf",
        content_type="application/pdf",
        size=1024,
        sha256="0" * 64,
    )


# The path of services that leads to each state, from a draft.
PATHS = {
    State.DRAFT: [],
    State.SUBMITTED: ["submit"],
    State.PRE_REVIEW: ["submit", "sign"],
    State.CORRECTION_REQUESTED: ["submit", "sign", "request_correction"],
    State.REJECTED: ["submit", "sign", "reject"],
    State.ACCEPTED: ["submit", "sign", "accept"],
    State.UNDER_REVIEW: ["submit", "sign", "accept", "start_review"],
    State.SPECIAL_PROCEDURE: ["submit", "sign", "accept", "start_review", "begin_special_procedure"],
    State.DECIDED: ["submit", "sign", "accept", "start_review", "approve"],
    State.COMPLETED: ["submit", "sign", "accept", "start_review", "approve", "complete"],
    State.DELIVERED: ["submit", "sign", "accept", "start_review", "approve", "complete", "deliver"],
    State.WITHDRAWN: ["submit", "withdraw"],
}


class Builder:
    """Drives a case through the services with the right people."""

    def __init__(self, matter, applicant, clerk, reviewer, approver):
        self.matter = matter
        self.applicant = applicant
        self.clerk = clerk
        self.reviewer = reviewer
        self.approver = approver

    def step(self, case, name):
        people = {
            "submit": case.applicant,
            "supply_correction": case.applicant,
            "withdraw": case.applicant,
            "start_review": self.reviewer,
            "begin_special_procedure": self.reviewer,
            "end_special_procedure": self.reviewer,
            "extend": self.approver,
            "approve": self.approver,
            "deny": self.approver,
        }
        actor = people.get(name, self.clerk)
        if name == "submit":
            return services.submit(case=case, actor=actor)
        if name == "supply_correction":
            return services.supply_correction(case=case, actor=actor, note="已补交")
        return services.perform(case, name, actor, **INPUTS.get(name, {}))

    def draft(self, matter=None, applicant=None):
        return services.create_draft(
            applicant=applicant or self.applicant, matter=matter or self.matter, data=APPLICANT
        )

    def __call__(self, state=State.SUBMITTED, *, matter=None, applicant=None):
        case = self.draft(matter=matter, applicant=applicant)
        for name in PATHS[state]:
            case = self.step(case, name)
        assert case.state == state
        return case


# Valid input of every transition (what a staff form or an API body would carry).
INPUTS = {
    "request_correction": {"items": ["身份证复印件不清晰", "缺少营业场所证明"]},
    "reject": {"reason": "ineligible", "opinion": "申请人不符合受理条件。"},
    "begin_special_procedure": {"reason": "expert_review", "opinion": "组织专家评审。"},
    "end_special_procedure": {"opinion": "专家评审结束。"},
    "extend": {"opinion": "案情复杂，经负责人批准延长。"},
    "approve": {"opinion": "符合法定条件，准予许可。"},
    "deny": {"reason": "conditions_not_met", "opinion": "经营场所不符合要求。"},
    "withdraw": {"reason": "no_longer_needed"},
}


@pytest.fixture
def build(matter, citizen, clerk, reviewer, approver, rendered_documents):
    return Builder(matter, citizen, clerk, reviewer, approver)
