"""The bank's signed notification: replays change nothing, a forged one is refused and logged."""

import json

import pytest

from integrations.models import InboundReceipt, PeerRequestLog
from integrations.payments.models import PaymentOrder, SandboxBankNotification
from integrations.sandbox import payments as sandbox_bank
from tests.integrations.payments.test_pay_flow import pay_on_bank_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_notification_replayed_five_times_and_a_forged_one_make_one_payment(build, bank, client):
    case = build(pytest.importorskip("applications.models").State.ACCEPTED)
    pay_on_bank_page(client, case)
    notification = SandboxBankNotification.objects.get()

    statuses = [sandbox_bank.notify(notification) for _ in range(6)]
    assert statuses == [200] * 6
    forged = sandbox_bank.notify(notification, secret="not-the-merchant-key")
    assert forged == 401

    order = PaymentOrder.objects.get(case=case)
    assert order.state == PaymentOrder.State.PAID
    assert order.events.filter(kind="paid").count() == 1
    assert InboundReceipt.objects.filter(external_id=notification.notify_id).count() == 1
    refusals = PeerRequestLog.objects.filter(peer="payments", direction="in", ok=False)
    assert list(refusals.values_list("error", flat=True)) == ["bad_signature"]
    assert PeerRequestLog.objects.filter(peer="payments", direction="in", ok=True).count() == 6


def test_a_notification_for_an_unknown_order_is_a_404_and_may_come_again(bank, build, client):
    case = build(pytest.importorskip("applications.models").State.ACCEPTED)
    pay_on_bank_page(client, case)
    notification = SandboxBankNotification.objects.get()
    body = json.loads(notification.body)
    body["order_number"] = "ZW-UNKNOWN"
    SandboxBankNotification.objects.filter(pk=notification.pk).update(body=json.dumps(body))
    notification.refresh_from_db()
    assert sandbox_bank.notify(notification) == 404
    assert not InboundReceipt.objects.filter(external_id=notification.notify_id).exists()


def test_a_notification_with_another_amount_is_refused(bank, build, client):
    case = build(pytest.importorskip("applications.models").State.ACCEPTED)
    pay_on_bank_page(client, case)
    notification = SandboxBankNotification.objects.get()
    body = json.loads(notification.body)
    body["amount_fen"] = 1
    SandboxBankNotification.objects.filter(pk=notification.pk).update(body=json.dumps(body))
    notification.refresh_from_db()
    assert sandbox_bank.notify(notification) == 400
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.PAYING


def test_the_background_sender_delivers_the_notification(bank, build, client, settings):
    settings.PAYMENTS_SANDBOX_NOTIFY = "thread"
    case = build(pytest.importorskip("applications.models").State.ACCEPTED)
    pay_on_bank_page(client, case)
    assert sandbox_bank.wait_notifications(timeout=30)
    assert PaymentOrder.objects.get(case=case).state == PaymentOrder.State.PAID
    assert SandboxBankNotification.objects.get().delivered_at is not None
