"""Orders expire (after asking the bank), are renewed on the next 去缴费, are closed when the
case ends unpaid, and are refunded (through the outbox, once at the bank) when it ends paid."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from applications.models import State
from integrations import delivery
from integrations.models import OutboxMessage
from integrations.payments import services
from integrations.payments.models import (
    PaymentOrder,
    Refund,
    SandboxBankNotification,
    SandboxBankOrder,
    SandboxBankRefund,
)
from integrations.sandbox import payments as sandbox_bank
from tests.integrations.payments.conftest import INPUTS
from tests.integrations.payments.test_pay_flow import pay_on_bank_page

pytestmark = pytest.mark.django_db(transaction=True)

LATER = datetime.timedelta(hours=73)


def paid_case(build, client, state=State.ACCEPTED):
    case = build(state)
    pay_on_bank_page(client, case)
    assert sandbox_bank.notify(SandboxBankNotification.objects.get()) == 200
    return case


def test_an_unpaid_order_expires_and_the_next_payment_renews_it(build, bank, client):
    case = build(State.ACCEPTED)
    order = PaymentOrder.objects.get(case=case)
    counts = services.expire_due(now=timezone.now() + LATER)
    assert counts == {"expired": 1, "paid": 0, "skipped": 0}
    order.refresh_from_db()
    assert order.state == PaymentOrder.State.EXPIRED
    assert order.events.last().kind == "expired"
    assert services.payment_outstanding(case)

    pay_on_bank_page(client, case)
    renewed = PaymentOrder.objects.filter(case=case).exclude(pk=order.pk).get()
    assert renewed.state == PaymentOrder.State.PAYING and renewed.amount_fen == order.amount_fen
    assert order.order_number in renewed.events.first().note


def test_expiry_asks_the_bank_first_and_records_a_lost_payment(build, bank, client):
    case = build(State.ACCEPTED)
    pay_on_bank_page(client, case)  # paid at the bank; its notification never arrives
    counts = services.expire_due(now=timezone.now() + LATER)
    assert counts["paid"] == 1 and counts["expired"] == 0
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.PAID


def test_an_expired_order_the_bank_knows_is_closed_there(build, bank, client):
    case = build(State.ACCEPTED)
    client.force_login(case.applicant)
    client.post(f"/integrations/payments/cases/{case.serial}/pay/")  # went to the bank, did not pay
    call_command("payments_expire", verbosity=0)  # not due yet
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.PAYING
    services.expire_due(now=timezone.now() + LATER)
    assert OutboxMessage.objects.filter(topic="payments.close_order").count() == 1
    delivery.drain(destination="payments")
    assert SandboxBankOrder.objects.get().status == "CLOSED"


def test_withdrawing_after_payment_refunds_once_at_the_bank(build, bank, client):
    case = paid_case(build, client)
    build.step(case, "withdraw")
    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.REFUNDING
    refund = Refund.objects.get(order=order)
    message = OutboxMessage.objects.get(topic="payments.refund")
    assert message.idempotency_key == f"refund-{refund.refund_number}"

    delivery.drain(destination="payments")
    order.refresh_from_db()
    refund.refresh_from_db()
    assert refund.state == Refund.State.REFUNDED and refund.bank_refund_id.startswith("RT")
    assert order.state == PaymentOrder.State.REFUNDED and order.refunded_at is not None
    # The message delivered a second time (a worker killed after sending): one refund at the bank.
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.PENDING)
    delivery.drain(destination="payments")
    assert SandboxBankRefund.objects.count() == 1
    assert [e.kind for e in order.events.all()][-2:] == ["refund_requested", "refunded"]


def test_denial_after_payment_refunds(build, bank, client):
    case = paid_case(build, client, State.UNDER_REVIEW)
    build.step(case, "deny")
    delivery.drain(destination="payments")
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.REFUNDED
    assert INPUTS["deny"]["reason"]


def test_withdrawing_an_unpaid_case_closes_its_order(build, bank):
    case = build(State.ACCEPTED)
    build.step(case, "withdraw")
    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.CLOSED
    assert not Refund.objects.exists()
    assert not OutboxMessage.objects.filter(destination="payments").exists()  # the bank never saw it


def test_a_payment_arriving_after_the_case_was_withdrawn_is_refunded(build, bank, client):
    case = build(State.ACCEPTED)
    client.force_login(case.applicant)
    answer = client.post(f"/integrations/payments/cases/{case.serial}/pay/")
    build.step(case, "withdraw")  # while the applicant is on the bank's page
    path = "/" + answer["Location"].split("://", 1)[1].split("/", 1)[1]
    SandboxBankOrder.objects.update(status="WAITING")  # the bank had not processed the close yet
    client.post(path, {"action": "pay"})
    assert sandbox_bank.notify(SandboxBankNotification.objects.get()) == 200
    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.REFUNDING
    delivery.drain(destination="payments")
    order.refresh_from_db()
    assert order.state == PaymentOrder.State.REFUNDED
