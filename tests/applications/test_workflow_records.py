"""Every transition appends one process record and one outbox message, in one transaction."""

import itertools

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from applications import services
from applications.models import Case, ProcessRecord, ProcessRecordIsAppendOnly, SerialCounter, State
from applications.workflow import TransitionNotAllowed
from integrations import outbox
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_full_journey_leaves_one_record_per_step_in_order(build):
    case = build(State.DELIVERED)
    records = list(ProcessRecord.objects.filter(case=case).order_by("sequence"))
    assert [r.action for r in records] == [
        "submit",
        "sign",
        "accept",
        "start_review",
        "approve",
        "complete",
        "deliver",
    ]
    assert [r.sequence for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.to_state for r in records][-1] == State.DELIVERED
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(records))
    assert Case.objects.get(pk=case.pk).current_record == records[-1]


def test_each_record_has_exactly_one_outbox_message_for_the_province_in_case_order(build):
    case = build(State.DELIVERED)
    messages = list(OutboxMessage.objects.filter(ordering_key=f"case-{case.pk}").order_by("id"))
    records = list(ProcessRecord.objects.filter(case=case).order_by("sequence"))
    assert [m.idempotency_key for m in messages] == [r.key for r in records]
    assert {m.destination for m in messages} == {"provincial"}
    assert [m.payload["action"] for m in messages] == [r.action for r in records]
    assert messages[0].payload["serial"] == case.serial


def test_a_record_says_who_did_what_for_which_department(build, approver):
    case = build(State.DECIDED)
    record = Case.objects.get(pk=case.pk).current_record
    assert record.actor == approver
    assert record.actor_name == "负责人丙"
    assert record.actor_department == case.department
    assert record.opinion == "符合法定条件，准予许可。"
    assert record.action_label == "审批（准予）"
    assert record.details == {"decision": "approved"}


def test_a_refusal_records_the_reason_from_the_list(build):
    case = build(State.REJECTED)
    record = Case.objects.get(pk=case.pk).current_record
    assert record.reason_code == "ineligible"
    assert record.details["reason"] == "申请人不符合受理条件"


def test_an_applicant_step_has_no_department(build):
    case = build(State.SUBMITTED)
    assert Case.objects.get(pk=case.pk).current_record.actor_department is None


def test_the_time_spent_in_the_previous_step_is_recorded(build, clerk, time_machine):
    time_machine.move_to("2026-11-16 09:00 +0800", tick=False)
    case = build(State.SUBMITTED)
    time_machine.move_to("2026-11-16 10:30 +0800", tick=False)
    services.sign(case=case, actor=clerk)
    assert Case.objects.get(pk=case.pk).current_record.step_seconds == 90 * 60


# --- Append-only ------------------------------------------------------------------------


@pytest.fixture
def record(build):
    return Case.objects.get(pk=build(State.ACCEPTED).pk).current_record


def test_a_record_cannot_be_changed(record):
    record.opinion = "改写历史"
    with pytest.raises(ProcessRecordIsAppendOnly):
        record.save()
    assert ProcessRecord.objects.get(pk=record.pk).opinion == ""


def test_a_record_cannot_be_deleted(record):
    with pytest.raises(ProcessRecordIsAppendOnly):
        record.delete()
    assert ProcessRecord.objects.filter(pk=record.pk).exists()


def test_records_cannot_be_updated_or_deleted_in_bulk(record):
    with pytest.raises(ProcessRecordIsAppendOnly):
        ProcessRecord.objects.filter(pk=record.pk).update(opinion="x")
    with pytest.raises(ProcessRecordIsAppendOnly):
        ProcessRecord.objects.filter(case=record.case).delete()
    with pytest.raises(ProcessRecordIsAppendOnly):
        record.case.records.update(opinion="x")
    with pytest.raises(ProcessRecordIsAppendOnly):
        ProcessRecord.objects.bulk_update([record], ["opinion"])
    assert ProcessRecord.objects.filter(case=record.case).count() == 3


def test_a_record_cannot_be_overwritten_through_a_new_object_with_its_key(record):
    forged = ProcessRecord(
        pk=record.pk,
        case=record.case,
        sequence=99,
        action="approve",
        action_label="伪造",
        to_state=State.DECIDED,
        created_at=record.created_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert ProcessRecord.objects.get(pk=record.pk).action == "accept"


def test_a_case_with_a_history_cannot_be_deleted(record):
    with pytest.raises(ProtectedError):
        Case.objects.filter(pk=record.case_id).delete()


# --- Nothing half-done ------------------------------------------------------------------


def test_a_failure_after_the_record_leaves_the_case_as_it_was(build, clerk, monkeypatch):
    case = build(State.PRE_REVIEW)

    def broken(**kwargs):
        raise RuntimeError("outbox table is full")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        services.accept(case=case, actor=clerk)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == State.PRE_REVIEW
    assert fresh.accepted_at is None and fresh.promised_due_date is None
    assert fresh.current_record.action == "sign"
    assert ProcessRecord.objects.filter(case=case).count() == 2


def test_a_failed_submission_gives_back_its_serial_number(build, monkeypatch):
    case = build.draft()
    monkeypatch.setattr(outbox, "enqueue", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("down")))
    with pytest.raises(RuntimeError):
        services.submit(case=case, actor=case.applicant)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == State.DRAFT and fresh.serial is None
    assert not SerialCounter.objects.filter(last_value__gt=0).exists()


def test_an_opinion_is_required_before_anything_changes(build, approver):
    case = build(State.UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.approve(case=case, actor=approver, opinion="   ")
    assert refused.value.code == "opinion_required"
    assert Case.objects.get(pk=case.pk).decision == ""


def test_a_reason_outside_the_list_is_refused(build, clerk):
    case = build(State.PRE_REVIEW)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.reject(case=case, actor=clerk, reason_code="i_dont_like_it", opinion="不予受理")
    assert refused.value.code == "reason_required"
    assert Case.objects.get(pk=case.pk).state == State.PRE_REVIEW


def test_firing_the_same_transition_twice_is_refused_the_second_time(build, clerk):
    case = build(State.PRE_REVIEW)
    services.accept(case=case, actor=clerk)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.accept(case=case, actor=clerk)
    assert refused.value.code == "invalid_state"
    assert ProcessRecord.objects.filter(case=case, action="accept").count() == 1
    assert OutboxMessage.objects.filter(payload__action="accept").count() == 1


def test_payment_and_tracking_histories_share_the_same_guard():
    from integrations.logistics.models import TrackingEvent, TrackingEventIsAppendOnly
    from integrations.payments.models import PaymentEvent, PaymentEventIsAppendOnly

    guarded = ((TrackingEvent, TrackingEventIsAppendOnly), (PaymentEvent, PaymentEventIsAppendOnly))
    for model, error in guarded:
        with pytest.raises(error):
            model.objects.all().update(pk=1)
        with pytest.raises(error):
            model.objects.all().delete()
        with pytest.raises(error):
            model(pk=1).delete()
