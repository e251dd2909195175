"""Who may fire each transition: allowed and refused, per role, through the services.

The expectations are written out here by hand, from the issue's rules, independently of
the table in applications/workflow.py: if the table drifts, these tests say so.
"""

import pytest

from applications import services
from applications.models import Case, ProcessRecord, State
from applications.workflow import TransitionNotAllowed
from integrations.models import OutboxMessage
from tests.applications.conftest import INPUTS, result_document

pytestmark = pytest.mark.django_db

ROLES = (
    "applicant",
    "clerk",
    "reviewer",
    "approver",
    "other_department_approver",
    "catalogue_staff",
    "supervisor",
    "other_citizen",
    "anonymous",
    "system",
)
STAFF_OF_DEPARTMENT = {"clerk", "reviewer", "approver"}
REVIEWERS = {"reviewer", "approver"}

# transition: (the state the case is in, the roles that may fire it, the state it leads to)
EXPECTED = {
    "submit": (State.DRAFT, {"applicant", "system"}, State.SUBMITTED),
    "sign": (State.SUBMITTED, STAFF_OF_DEPARTMENT, State.PRE_REVIEW),
    "accept": (State.PRE_REVIEW, STAFF_OF_DEPARTMENT | {"system"}, State.ACCEPTED),
    "request_correction": (State.PRE_REVIEW, STAFF_OF_DEPARTMENT, State.CORRECTION_REQUESTED),
    "supply_correction": (State.CORRECTION_REQUESTED, {"applicant"}, State.SUBMITTED),
    "reject": (State.PRE_REVIEW, STAFF_OF_DEPARTMENT, State.REJECTED),
    "start_review": (State.ACCEPTED, REVIEWERS, State.UNDER_REVIEW),
    "begin_special_procedure": (State.UNDER_REVIEW, REVIEWERS, State.SPECIAL_PROCEDURE),
    "end_special_procedure": (State.SPECIAL_PROCEDURE, REVIEWERS, State.UNDER_REVIEW),
    "extend": (State.UNDER_REVIEW, {"approver"}, State.UNDER_REVIEW),
    "approve": (State.UNDER_REVIEW, {"approver"}, State.DECIDED),
    "deny": (State.UNDER_REVIEW, {"approver"}, State.DECIDED),
    "complete": (State.DECIDED, STAFF_OF_DEPARTMENT, State.COMPLETED),
    "complete_immediately": (State.ACCEPTED, STAFF_OF_DEPARTMENT, State.COMPLETED),
    "deliver": (State.COMPLETED, STAFF_OF_DEPARTMENT | {"system"}, State.DELIVERED),
    "withdraw": (State.UNDER_REVIEW, {"applicant"}, State.WITHDRAWN),
}

CASES = [(name, role) for name in EXPECTED for role in ROLES]


def fire(case, name, actor):
    if name == "submit":
        return services.submit(case=case, actor=actor)
    if name == "supply_correction":
        return services.supply_correction(case=case, actor=actor, note="补正材料已上传")
    return services.perform(case, name, actor, **INPUTS.get(name, {}))


@pytest.fixture
def people(request, citizen):
    def get(role):
        if role == "applicant":
            return citizen
        if role == "system":
            return None
        return request.getfixturevalue(role)

    return get


@pytest.fixture
def case_for(build, immediate_matter):
    def make(name):
        state = EXPECTED[name][0]
        matter = immediate_matter if name == "complete_immediately" else None
        return build(state, matter=matter)

    return make


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_each_transition_is_allowed_to_its_roles_and_refused_to_everyone_else(name, role, people, case_for):
    state, allowed_roles, target = EXPECTED[name]
    case = case_for(name)
    actor = people(role)
    records_before = ProcessRecord.objects.filter(case=case).count()
    outbox_before = OutboxMessage.objects.count()

    if role in allowed_roles:
        moved = fire(case, name, actor)
        assert moved.state == target
        assert Case.objects.get(pk=case.pk).state == target
        assert ProcessRecord.objects.filter(case=case).count() == records_before + 1
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            fire(case, name, actor)
        assert refused.value.code in {"forbidden", "role_required", "login_required", "window_only"}
        assert refused.value.message  # a sentence for the user, in Chinese
        unchanged = Case.objects.get(pk=case.pk)
        assert unchanged.state == state
        assert unchanged.current_record_id == case.current_record_id
        assert ProcessRecord.objects.filter(case=case).count() == records_before
        assert OutboxMessage.objects.count() == outbox_before


def test_a_stranger_is_told_he_may_not_act_without_learning_the_state(build, other_citizen):
    case = build(State.UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.withdraw(case=case, actor=other_citizen, reason_code="other")
    assert refused.value.code == "forbidden"
    assert "审查中" not in refused.value.message


def test_a_clerk_is_told_which_role_an_approval_needs(build, clerk):
    case = build(State.UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.approve(case=case, actor=clerk, opinion="同意")
    assert refused.value.code == "role_required"
    assert "审批负责人" in refused.value.message


def test_the_anonymous_visitor_is_asked_to_log_in(build, anonymous):
    case = build(State.UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.withdraw(case=case, actor=anonymous, reason_code="other")
    assert refused.value.code == "login_required"


def test_staff_cannot_submit_an_online_draft_of_a_citizen(build, clerk):
    case = build(State.DRAFT)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.submit(case=case, actor=clerk)
    assert refused.value.code == "window_only"


def test_a_staff_member_applying_online_for_his_own_department_acts_as_the_applicant(build, clerk):
    case = build(State.DRAFT, applicant=clerk)
    submitted = services.submit(case=case, actor=clerk)
    assert submitted.state == State.SUBMITTED
    assert submitted.current_record.actor_department is None


def test_a_staff_member_who_is_the_applicant_may_withdraw_his_own_case(build, clerk):
    case = build(State.SUBMITTED, applicant=clerk)
    assert services.withdraw(case=case, actor=clerk, reason_code="wrong_data").state == State.WITHDRAWN


def test_an_inactive_approver_is_refused(build, approver):
    approver.is_active = False
    approver.save()
    case = build(State.UNDER_REVIEW)
    approver.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        services.approve(case=case, actor=approver, opinion="同意")


def test_the_result_document_owner_must_be_the_applicant(
    build, clerk, reviewer, approver, citizen, other_citizen
):
    matter = build.matter
    matter.result_name = "食品经营许可证"
    matter.save()
    case = build(State.DECIDED)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.complete(case=case, actor=clerk, result_document=result_document(other_citizen))
    assert refused.value.code == "result_invalid"
