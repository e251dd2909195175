"""The transition table is the single source of truth, and it is consistent."""

import pytest

from applications import workflow
from applications.models import CLOSED_STATES, State
from applications.workflow import TRANSITIONS, Actor, TransitionNotAllowed
from portal.notifications import DEFAULT_TEMPLATES

pytestmark = pytest.mark.django_db


def test_every_state_but_the_final_ones_has_a_way_out():
    sources = {state for t in TRANSITIONS.values() for state in t.sources}
    assert set(State.values) - sources == {State.DELIVERED, State.REJECTED, State.WITHDRAWN}


def test_every_state_can_be_reached():
    targets = {t.target for t in TRANSITIONS.values()}
    assert set(State.values) - targets == {State.DRAFT}


def test_closed_cases_only_move_to_delivery():
    leaving_closed = {name for name, t in TRANSITIONS.items() if t.sources & CLOSED_STATES}
    assert leaving_closed == {"deliver"}


def test_every_notice_has_a_default_text():
    for transition in TRANSITIONS.values():
        assert transition.notice in DEFAULT_TEMPLATES, transition.name


def test_staff_transitions_name_the_roles_that_may_fire_them():
    for transition in TRANSITIONS.values():
        if Actor.STAFF in transition.actors:
            assert transition.roles, transition.name


def test_transitions_that_ask_for_a_reason_offer_a_list():
    assert dict(TRANSITIONS["reject"].reasons)["materials_not_corrected"]
    assert dict(TRANSITIONS["begin_special_procedure"].reasons)["expert_review"] == "专家评审"
    assert TRANSITIONS["deny"].reasons and TRANSITIONS["withdraw"].reasons


def test_an_unknown_transition_is_refused_with_a_message():
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.get("approve_everything")
    assert refused.value.code == "unknown_transition"
    assert "未知的办理操作" in refused.value.message


ALL_STATES = list(State.values)
WRONG_STATE_CASES = [
    (name, state) for name, t in TRANSITIONS.items() for state in ALL_STATES if state not in t.sources
]


@pytest.mark.parametrize(
    ("name", "state"), WRONG_STATE_CASES, ids=[f"{n}-from-{s}" for n, s in WRONG_STATE_CASES]
)
def test_a_transition_from_a_state_it_does_not_leave_is_refused(
    name, state, build, approver, immediate_matter
):
    """Checked on an unsaved case in each state: the state rule, whoever asks."""
    transition = TRANSITIONS[name]
    case = build.draft(matter=immediate_matter)
    case.state = state
    actor = None if Actor.SYSTEM in transition.actors else approver
    if Actor.STAFF not in transition.actors and Actor.SYSTEM not in transition.actors:
        actor = case.applicant
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.check(case, transition, actor)
    assert refused.value.code == "invalid_state"
    assert str(State(state).label) in refused.value.message


def test_the_buttons_offered_are_the_transitions_the_user_may_fire(
    build, clerk, reviewer, approver, supervisor
):
    case = build(State.UNDER_REVIEW)
    assert [t.name for t in workflow.allowed(case, approver)] == [
        "begin_special_procedure",
        "extend",
        "approve",
        "deny",
    ]
    assert [t.name for t in workflow.allowed(case, reviewer)] == ["begin_special_procedure"]
    assert workflow.allowed(case, clerk) == []
    assert workflow.allowed(case, supervisor) == []
    assert [t.name for t in workflow.allowed(case, case.applicant)] == ["withdraw"]


def test_immediate_completion_is_only_for_immediate_cases(build, clerk):
    case = build(State.ACCEPTED)
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.require(case, "complete_immediately", clerk)
    assert refused.value.code == "not_immediate"
