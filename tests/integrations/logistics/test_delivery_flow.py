"""From "express delivery" on the case page to 送达: the waybill through the outbox, events by
callback and by polling, the case delivered once."""

import pytest

from applications import services as case_services
from applications.models import ProcessRecord, State
from integrations import delivery
from integrations.logistics import services
from integrations.logistics.models import Direction, Shipment, ShipmentState, TrackingEvent
from integrations.models import OutboxMessage
from integrations.sandbox import logistics as sandbox

from .conftest import ask

pytestmark = pytest.mark.django_db(transaction=True)


def dispatched(shipment):
    delivery.drain(destination="logistics")
    shipment.refresh_from_db()
    return shipment


def test_results_of_a_completed_case_get_a_waybill_through_the_outbox(carrier, completed_case):
    shipment = ask(completed_case)
    message = OutboxMessage.objects.get(destination="logistics")
    assert message.idempotency_key == shipment.idempotency_key
    assert "13800138000" not in str(message.payload)  # no personal data in the outbox
    shipment = dispatched(shipment)
    assert shipment.state == ShipmentState.CREATED
    assert shipment.waybill_no == sandbox.SandboxWaybill.objects.get().waybill_no
    stored = sandbox.SandboxWaybill.objects.get()
    assert stored.request["recipient"]["phone"] == "13800138000"
    assert stored.callback_url.endswith("/integrations/logistics/events/")


def test_a_parcel_driven_to_delivered_closes_the_case_once_as_delivered(carrier, completed_case):
    shipment = dispatched(ask(completed_case))
    events = sandbox.advance(shipment.waybill_no, to="delivered")
    assert [e.status for e in events] == ["picked_up", "in_transit", "out_for_delivery", "delivered"]
    shipment.refresh_from_db()
    completed_case.refresh_from_db()
    assert shipment.state == ShipmentState.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment, source="callback").count() == 4
    assert completed_case.state == State.DELIVERED
    record = ProcessRecord.objects.get(case=completed_case, action="deliver")
    assert record.actor is None and record.actor_name == "系统"
    assert record.details == {"method": "express", "tracking_number": shipment.waybill_no}
    # Polling afterwards finds nothing new and changes nothing.
    assert services.poll() == {"waybills": 0, "events": 0, "errors": 0}
    assert ProcessRecord.objects.filter(case=completed_case, action="deliver").count() == 1


def test_polling_fills_the_events_whose_callbacks_were_lost(carrier, completed_case):
    shipment = dispatched(ask(completed_case))
    sandbox.advance(shipment.waybill_no, notify=True)  # picked up: called back
    sandbox.advance(shipment.waybill_no, to="out_for_delivery", notify=False)  # two events lost
    assert shipment.events.count() == 1
    counts = services.poll()
    assert counts == {"waybills": 1, "events": 2, "errors": 0}
    assert [e.status for e in shipment.events.order_by("occurred_at", "pk")] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
    ]
    assert list(shipment.events.values_list("source", flat=True).order_by("pk")) == [
        "callback",
        "poll",
        "poll",
    ]
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.OUT_FOR_DELIVERY and shipment.last_polled_at
    # The delivered event lost too: the next poll closes the case.
    sandbox.advance(shipment.waybill_no, notify=False)
    services.poll()
    completed_case.refresh_from_db()
    assert completed_case.state == State.DELIVERED
    assert ProcessRecord.objects.filter(case=completed_case, action="deliver").count() == 1


def test_the_poll_command_reports_its_counts(carrier, completed_case):
    from io import StringIO

    from django.core.management import call_command

    shipment = dispatched(ask(completed_case))
    sandbox.advance(shipment.waybill_no, notify=False)
    out = StringIO()
    call_command("logistics_poll", stdout=out)
    assert "waybills asked: 1, new events: 1, errors: 0" in out.getvalue()


def test_results_chosen_before_completion_are_posted_when_the_case_is_completed(carrier, build):
    case = build(State.UNDER_REVIEW)
    shipment = ask(case)
    assert shipment.state == ShipmentState.REQUESTED
    assert not OutboxMessage.objects.filter(destination="logistics").exists()
    case = build.step(case, "approve")
    assert not OutboxMessage.objects.filter(destination="logistics").exists()
    build.step(case, "complete")
    assert (
        OutboxMessage.objects.filter(
            destination="logistics", idempotency_key=shipment.idempotency_key
        ).count()
        == 1
    )
    assert dispatched(shipment).waybill_no


def test_a_withdrawn_case_cancels_the_waiting_parcel(build):
    case = build(State.SUBMITTED)
    shipment = ask(case)
    build.step(case, "withdraw")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.CANCELLED and shipment.cancel_reason == "撤回申请"
    assert not OutboxMessage.objects.filter(destination="logistics").exists()


def test_paper_materials_go_to_the_department_at_once_and_their_delivery_does_not_close_the_case(
    carrier, build
):
    case = build(State.ACCEPTED)
    shipment = ask(case, Direction.MATERIALS, address="广东省中山市石岐区民生路 1 号")
    assert shipment.recipient_name == case.department.name
    assert shipment.sender_address == "广东省中山市石岐区民生路 1 号"
    shipment = dispatched(shipment)
    sandbox.advance(shipment.waybill_no, to="delivered")
    shipment.refresh_from_db()
    case.refresh_from_db()
    assert shipment.state == ShipmentState.DELIVERED
    assert case.state == State.ACCEPTED


def test_a_returned_parcel_leaves_the_case_completed(carrier, completed_case):
    shipment = dispatched(ask(completed_case))
    sandbox.advance(shipment.waybill_no, to="returned")
    shipment.refresh_from_db()
    completed_case.refresh_from_db()
    assert shipment.state == ShipmentState.RETURNED
    assert completed_case.state == State.COMPLETED


def test_a_case_delivered_at_the_window_is_not_delivered_again_by_the_parcel(carrier, completed_case, clerk):
    shipment = dispatched(ask(completed_case))
    case_services.deliver(case=completed_case, actor=clerk, details={"method": "window"})
    sandbox.advance(shipment.waybill_no, to="delivered")
    assert ProcessRecord.objects.filter(case=completed_case, action="deliver").count() == 1
    assert Shipment.objects.get(pk=shipment.pk).state == ShipmentState.DELIVERED
