"""The working-day clock of a case (Administrative Licensing Law; STANDARDS.md).

Dates are written out by hand from the 2026 official schedule: National Day 1–7 October
off and Saturday 10 October worked; Spring Festival 15–23 February off and Saturdays 14
and 28 February worked. The matter promises 10 working days; the law allows 20.
"""

import datetime

import pytest

from applications import services
from applications.models import Case, State
from applications.workflow import TransitionNotAllowed
from portal.models import CalendarDay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]

D = datetime.date


@pytest.fixture
def at(time_machine):
    def move(moment: str):
        time_machine.move_to(f"{moment} +0800", tick=False)

    return move


def accepted_on(build, clerk, at, moment):
    at(moment)
    case = build(State.PRE_REVIEW)
    return services.accept(case=case, actor=clerk)


def test_due_dates_count_working_days_after_the_day_of_acceptance(build, clerk, at):
    case = accepted_on(build, clerk, at, "2026-11-16 09:00")  # a Monday
    assert case.promised_due_date == D(2026, 11, 30)
    assert case.legal_due_date == D(2026, 12, 14)
    assert case.current_record.details == {"promised_due_date": "2026-11-30", "legal_due_date": "2026-12-14"}


def test_acceptance_on_a_friday_evening_still_does_not_count_that_friday(build, clerk, at):
    case = accepted_on(build, clerk, at, "2026-11-20 17:55")
    assert case.promised_due_date == D(2026, 12, 4)


def test_the_national_day_holiday_is_skipped_and_the_adjusted_saturday_counted(build, clerk, at):
    case = accepted_on(build, clerk, at, "2026-09-30 10:00")
    assert case.promised_due_date == D(2026, 10, 20)
    assert case.legal_due_date == D(2026, 11, 3)


def test_the_pre_review_period_runs_over_the_spring_festival(build, at):
    at("2026-02-13 10:00")  # Friday before the holiday
    case = build(State.SUBMITTED)
    # Saturday 14 Feb is worked, 15–23 are off: 14, 24, 25, 26, 27.
    assert case.pre_review_due_date == D(2026, 2, 27)


def test_a_period_crossing_into_2027_falls_back_to_monday_to_friday(build, clerk, at):
    case = accepted_on(build, clerk, at, "2026-12-24 10:00")
    # 25, 28, 29, 30, 31 December; 1 (no official schedule yet: a Friday counts), 4, 5, 6, 7 January.
    assert case.promised_due_date == D(2027, 1, 7)


def test_a_holiday_added_in_the_admin_moves_the_next_due_date(build, clerk, at):
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    case = accepted_on(build, clerk, at, "2026-12-24 10:00")
    assert case.promised_due_date == D(2027, 1, 8)


def test_remaining_working_days_count_down_to_the_due_date_and_below(build, clerk, at):
    case = accepted_on(build, clerk, at, "2026-11-16 09:00")
    assert services.remaining_workdays(case, today=D(2026, 11, 16)) == 10
    assert services.remaining_workdays(case, today=D(2026, 11, 30)) == 0
    assert services.remaining_workdays(case, today=D(2026, 12, 2)) == -2
    assert services.remaining_workdays(build(State.SUBMITTED)) is None


# --- Correction (补正) ---------------------------------------------------------------------


def test_a_correction_stops_the_clock_and_the_pre_review_period_restarts_on_supply(build, clerk, at):
    at("2026-11-16 09:00")
    case = build(State.PRE_REVIEW)
    at("2026-11-17 10:00")
    case = services.request_correction(case=case, actor=clerk, items=["身份证复印件不清晰"])
    assert case.clock_stopped_at is not None
    at("2026-11-27 15:00")
    case = services.supply_correction(case=case, actor=case.applicant, note="已上传清晰复印件")
    assert case.state == State.SUBMITTED
    assert case.clock_stopped_at is None
    # 18, 19, 20, 23, 24, 25, 26, 27 November: eight working days stood still.
    assert case.current_record.details == {"stopped_workdays": 8, "pre_review_due_date": "2026-12-04"}
    assert case.pre_review_due_date == D(2026, 12, 4)
    at("2026-11-30 09:00")
    case = services.accept(case=case, actor=clerk)
    assert case.promised_due_date == D(2026, 12, 14)  # from acceptance: the wait is not charged
    assert case.deemed_accepted is False


def test_missing_materials_are_notified_once_and_in_full(build, clerk):
    case = build(State.CORRECTION_REQUESTED)
    case = services.supply_correction(case=case, actor=case.applicant)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_correction(case=case, actor=clerk, items=["又发现一项"])
    assert refused.value.code == "correction_once"
    assert "一次性告知" in refused.value.message


def test_a_correction_notice_lists_every_item(build, clerk):
    case = build(State.PRE_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_correction(case=case, actor=clerk, items=["  ", ""])
    assert refused.value.code == "items_required"
    case = services.request_correction(case=case, actor=clerk, items=["缺少营业执照", " 照片不清晰 "])
    assert case.current_record.details == {"items": ["缺少营业执照", "照片不清晰"]}
    assert case.current_record.opinion == "缺少营业执照；照片不清晰"


def test_no_correction_can_be_asked_after_the_pre_review_period(build, clerk, at):
    at("2026-11-16 09:00")
    case = build(State.PRE_REVIEW)
    at("2026-11-23 17:00")  # the fifth working day: still in time
    assert services.request_correction(case=case, actor=clerk, items=["缺少营业执照"]).state == (
        State.CORRECTION_REQUESTED
    )
    at("2026-11-16 09:00")
    late = build(State.PRE_REVIEW)
    at("2026-11-24 09:00")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_correction(case=late, actor=clerk, items=["缺少营业执照"])
    assert refused.value.code == "pre_review_expired"
    assert "视为受理" in refused.value.message


# --- Deemed acceptance (Art. 32) --------------------------------------------------------


def test_a_case_not_handled_within_five_working_days_counts_as_accepted_on_receipt(build, at):
    at("2026-11-16 09:00")
    case = build(State.SUBMITTED)
    at("2026-11-23 23:00")
    assert services.apply_deemed_acceptance(case=case) is None  # the last day of the period
    at("2026-11-24 00:05")
    case = services.apply_deemed_acceptance(case=case)
    assert case.state == State.ACCEPTED
    assert case.deemed_accepted is True
    assert case.accepted_at == case.submitted_at
    assert case.promised_due_date == D(2026, 11, 30)
    record = case.current_record
    assert record.actor is None and record.actor_name == "系统"
    assert record.details["deemed"] is True
    assert "第三十二条" in record.opinion and "视为受理" in record.opinion


def test_staff_accepting_after_the_period_accept_as_of_receipt(build, clerk, at):
    at("2026-11-16 09:00")
    case = build(State.PRE_REVIEW)
    at("2026-11-26 09:00")
    case = services.accept(case=case, actor=clerk, opinion="材料齐全")
    assert case.deemed_accepted is True
    assert case.accepted_at == case.submitted_at
    assert case.current_record.opinion.startswith("材料齐全\n")


def test_a_case_deemed_accepted_can_no_longer_be_refused_acceptance(build, clerk, at):
    at("2026-11-16 09:00")
    case = build(State.PRE_REVIEW)
    at("2026-11-25 09:00")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.reject(case=case, actor=clerk, reason_code="ineligible", opinion="不符合条件")
    assert refused.value.code == "pre_review_expired"


def test_a_case_with_a_correction_notice_is_not_deemed_accepted(build, at):
    at("2026-11-16 09:00")
    case = build(State.CORRECTION_REQUESTED)
    case = services.supply_correction(case=case, actor=case.applicant)
    at("2026-12-31 09:00")
    assert services.apply_deemed_acceptance(case=case) is None
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_the_periodic_job_accepts_only_the_due_cases(build, at):
    at("2026-11-16 09:00")
    due = [build(State.SUBMITTED), build(State.PRE_REVIEW)]
    at("2026-11-20 09:00")
    fresh = build(State.SUBMITTED)
    at("2026-11-24 01:00")
    assert services.apply_deemed_acceptance_to_due_cases() == (2, 0)
    assert {c.state for c in Case.objects.filter(pk__in=[c.pk for c in due])} == {State.ACCEPTED}
    assert Case.objects.get(pk=fresh.pk).state == State.SUBMITTED
    assert services.apply_deemed_acceptance_to_due_cases() == (0, 0)  # idempotent


# --- Special procedures and extension ---------------------------------------------------


@pytest.fixture
def under_review(build, clerk, reviewer, at):
    at("2026-11-16 09:00")
    case = services.accept(case=build(State.PRE_REVIEW), actor=clerk)
    at("2026-11-17 09:00")
    return services.start_review(case=case, actor=reviewer)


def test_a_special_procedure_stops_the_clock_and_moves_the_due_dates(under_review, reviewer, at):
    at("2026-11-18 10:00")
    case = services.begin_special_procedure(
        case=under_review, actor=reviewer, kind="expert_review", opinion="组织专家评审"
    )
    assert case.current_record.details == {"special_procedure_type": "2", "reason": "专家评审"}
    at("2026-11-30 10:00")
    assert services.remaining_workdays(case) == 8  # stands still at the day it stopped
    at("2026-11-25 16:00")
    case = services.end_special_procedure(case=case, actor=reviewer, opinion="评审通过")
    # 19, 20, 23, 24, 25 November.
    assert case.stopped_workdays == 5
    assert case.promised_due_date == D(2026, 12, 7)
    assert case.legal_due_date == D(2026, 12, 21)
    assert case.current_record.details == {
        "stopped_workdays": 5,
        "promised_due_date": "2026-12-07",
        "legal_due_date": "2026-12-21",
    }


def test_time_stopped_adds_up_over_several_special_procedures(under_review, reviewer, at):
    case = under_review
    for start, end in (("2026-11-18", "2026-11-20"), ("2026-11-23", "2026-11-24")):
        at(f"{start} 10:00")
        case = services.begin_special_procedure(case=case, actor=reviewer, kind="testing", opinion="送检")
        at(f"{end} 10:00")
        case = services.end_special_procedure(case=case, actor=reviewer, opinion="检测完成")
    assert case.stopped_workdays == 3
    assert case.promised_due_date == D(2026, 12, 3)


def test_an_extension_is_granted_once_with_a_reason_for_the_applicant(under_review, approver, at):
    at("2026-11-20 10:00")
    case = services.extend(case=under_review, actor=approver, opinion="需现场核查，经负责人批准延长")
    assert case.extended_days == 10
    assert case.promised_due_date == D(2026, 12, 14)
    assert case.legal_due_date == D(2026, 12, 28)
    assert case.current_record.details["days"] == 10
    assert case.current_record.details["special_procedure_type"] == "1"
    with pytest.raises(TransitionNotAllowed) as refused:
        services.extend(case=case, actor=approver, opinion="再延长")
    assert refused.value.code == "extend_once"
    assert Case.objects.get(pk=case.pk).extended_days == 10


def test_an_extension_needs_a_reason(under_review, approver):
    with pytest.raises(TransitionNotAllowed) as refused:
        services.extend(case=under_review, actor=approver, opinion="")
    assert refused.value.code == "opinion_required"


def test_an_extension_cannot_exceed_the_matters_configured_days(under_review, approver):
    with pytest.raises(TransitionNotAllowed) as refused:
        services.extend(case=under_review, actor=approver, opinion="延长", days=11)
    assert refused.value.code == "extend_days"
    assert services.extend(case=under_review, actor=approver, opinion="延长", days=5).extended_days == 5


def test_a_matter_without_extension_cannot_be_extended(under_review, approver):
    under_review.matter.extension_days = 0
    under_review.matter.save()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.extend(case=under_review, actor=approver, opinion="延长")
    assert refused.value.code == "extend_days"


def test_no_extension_once_the_legal_period_is_over(under_review, approver, at):
    at("2026-12-15 09:00")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.extend(case=under_review, actor=approver, opinion="延长")
    assert refused.value.code == "extend_too_late"


def test_withdrawal_during_a_special_procedure_closes_the_clock(under_review, reviewer, at):
    at("2026-11-18 10:00")
    case = services.begin_special_procedure(case=under_review, actor=reviewer, kind="hearing", opinion="听证")
    at("2026-11-20 10:00")
    case = services.withdraw(case=case, actor=case.applicant, reason_code="no_longer_needed")
    assert case.clock_stopped_at is None
    assert case.stopped_workdays == 2
    assert case.completed_at is not None
    assert case.current_record.details == {"stopped_workdays": 2, "reason": "不再需要办理"}
