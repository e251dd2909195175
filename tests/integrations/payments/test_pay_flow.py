"""The whole flow: acceptance makes the order, 办结 waits for payment, the applicant pays on the
bank's page, the bank's signed notification marks the order paid, the case can be completed."""

import pytest

from applications import services
from applications.models import State
from applications.workflow import TransitionNotAllowed
from integrations.payments.models import PaymentEvent, PaymentOrder, SandboxBankNotification
from integrations.sandbox import payments as sandbox_bank
from tests import factories
from tests.applications.conftest import Builder
from tests.integrations.payments.conftest import FEE_FEN

pytestmark = pytest.mark.django_db(transaction=True)


def pay_on_bank_page(client, case, action="pay"):
    """The applicant clicks 去缴费 and then a button on the bank's page (as a browser would)."""
    client.force_login(case.applicant)
    answer = client.post(f"/integrations/payments/cases/{case.serial}/pay/")
    assert answer.status_code == 302, answer
    pay_url = answer["Location"]
    assert "/sandbox/payments/cashier/" in pay_url
    path = pay_url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert "¥10.00" in page.content.decode()
    back = client.post(f"/{path}", {"action": action})
    assert back.status_code == 302
    return back["Location"]


def test_acceptance_creates_the_order_and_completion_waits_for_payment(build, bank):
    case = build(State.DECIDED)
    order = PaymentOrder.objects.get(case=case)
    assert order.amount_fen == FEE_FEN
    assert order.state == PaymentOrder.State.CREATED
    assert list(order.events.values_list("kind", flat=True)) == ["created"]
    with pytest.raises(TransitionNotAllowed) as refusal:
        build.step(case, "complete")
    assert refusal.value.code == "payment_required"
    assert "尚未缴费" in refusal.value.message


def test_paying_on_the_bank_page_lets_the_case_complete(build, bank, client):
    case = build(State.UNDER_REVIEW)
    returned = pay_on_bank_page(client, case)
    assert "/integrations/payments/orders/" in returned and "status=SUCCESS" in returned

    notification = SandboxBankNotification.objects.get()
    assert sandbox_bank.notify(notification) == 200

    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.PAID
    assert order.paid_at is not None and order.bank_transaction_id.startswith("TX")
    paid = order.events.get(kind="paid")
    assert paid.source == PaymentEvent.Source.BANK
    assert paid.data["notify_id"] == notification.notify_id

    case = build.step(case, "approve")
    case = services.complete(case=case, actor=build.clerk, opinion="准予换证")
    assert case.state == State.COMPLETED


def test_the_return_page_asks_the_bank_when_the_notification_is_late(build, bank, client):
    case = build(State.ACCEPTED)
    returned = pay_on_bank_page(client, case)
    page = client.get(returned.split("testserver", 1)[-1], follow=True)
    assert page.status_code == 200
    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.PAID
    assert order.events.get(kind="paid").source == PaymentEvent.Source.SYSTEM
    assert "缴费成功" in page.content.decode()
    # The notification arriving afterwards changes nothing.
    assert sandbox_bank.notify(SandboxBankNotification.objects.get()) == 200
    assert order.events.filter(kind="paid").count() == 1


def test_the_case_page_shows_the_order_and_the_pay_button(build, bank, client):
    case = build(State.ACCEPTED)
    client.force_login(case.applicant)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="payment"' in page and 'id="pay-button"' in page
    assert "¥10.00" in page and "待缴费" in page


def test_a_failed_payment_can_be_paid_again(build, bank, client):
    case = build(State.ACCEPTED)
    pay_on_bank_page(client, case, action="fail")
    sandbox_bank.notify(SandboxBankNotification.objects.get())
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.FAILED
    pay_on_bank_page(client, case)
    sandbox_bank.notify(SandboxBankNotification.objects.order_by("-pk").first())
    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.PAID
    assert [e.kind for e in order.events.all()] == ["created", "paying", "failed", "paying", "paid"]


def test_no_order_for_a_matter_without_an_online_fee(
    department, citizen, clerk, reviewer, approver, rendered_documents
):
    free = factories.MatterFactory(department=department, name="个体工商户设立登记")
    case = Builder(free, citizen, clerk, reviewer, approver)(State.DECIDED)
    assert not PaymentOrder.objects.filter(case=case).exists()
    case = services.complete(case=case, actor=clerk)
    assert case.state == State.COMPLETED
