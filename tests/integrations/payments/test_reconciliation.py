"""Daily reconciliation finds each kind of mismatch between the bank's file and our books."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from applications.models import State
from integrations import delivery
from integrations.payments import reconciliation
from integrations.payments.models import (
    PaymentOrder,
    ReconciliationMismatch,
    ReconciliationRun,
    SandboxBankNotification,
    SandboxBankOrder,
    SandboxBankRefund,
)
from integrations.sandbox import framework
from integrations.sandbox import payments as sandbox_bank
from tests.integrations.payments.test_pay_flow import pay_on_bank_page

pytestmark = pytest.mark.django_db(transaction=True)
Kind = ReconciliationMismatch.Kind


def paid(build, client):
    case = build(State.ACCEPTED)
    pay_on_bank_page(client, case)
    sandbox_bank.notify(SandboxBankNotification.objects.order_by("-pk").first())
    return case, PaymentOrder.objects.get(case=case)


def test_a_day_whose_books_agree_is_balanced(build, bank, client):
    paid(build, client)
    case, _order = paid(build, client)
    build.step(case, "withdraw")
    delivery.drain(destination="payments")
    run = reconciliation.run(timezone.localdate())
    assert run.state == ReconciliationRun.State.BALANCED, list(run.mismatches.values())
    assert run.bank_count == 3 and run.local_count == 3
    assert run.bank_amount_fen == run.local_amount_fen == 1000
    assert "#统一网上缴费商户对账单" in run.statement


def test_reconciliation_reports_every_kind_of_mismatch(build, bank, client):
    today = timezone.localdate()
    _case, amount_differs = paid(build, client)
    SandboxBankOrder.objects.filter(order_number=amount_differs.order_number).update(amount_fen=999)

    _case, missing_at_bank = paid(build, client)
    SandboxBankOrder.objects.filter(order_number=missing_at_bank.order_number).delete()

    case = build(State.ACCEPTED)  # paid at the bank, notification lost, expired here
    pay_on_bank_page(client, case)
    state_differs = PaymentOrder.objects.get(case=case)
    PaymentOrder.objects.filter(pk=state_differs.pk).update(state=PaymentOrder.State.EXPIRED)

    bank_only = SandboxBankOrder.objects.create(
        order_number="ZW-NOT-OURS",
        bank_order_id="BO-X",
        subject="?",
        amount_fen=500,
        notify_url="http://127.0.0.1:9/",
        status="SUCCESS",
        transaction_id="TX-X",
        paid_at=timezone.now(),
        expires_at=timezone.now(),
    )
    SandboxBankRefund.objects.create(
        refund_number="RF-NOT-OURS", order=bank_only, amount_fen=500, refund_id="RT-X"
    )

    call_command("payments_reconcile", date=today.isoformat(), verbosity=0)
    run = ReconciliationRun.objects.get()
    assert run.state == ReconciliationRun.State.MISMATCHED
    found = {(m.kind, m.transaction_type, m.order_number) for m in run.mismatches.all()}
    assert found == {
        (Kind.AMOUNT, "PAY", amount_differs.order_number),
        (Kind.MISSING_BANK, "PAY", missing_at_bank.order_number),
        (Kind.STATE, "PAY", state_differs.order_number),
        (Kind.MISSING_LOCAL, "PAY", "ZW-NOT-OURS"),
        (Kind.MISSING_LOCAL, "REFUND", "ZW-NOT-OURS"),
    }
    amount = run.mismatches.get(kind=Kind.AMOUNT)
    assert (amount.bank_amount_fen, amount.local_amount_fen) == (999, 1000)
    assert run.mismatch_count == 5


def test_a_bank_that_cannot_be_reached_makes_a_failed_run(bank):
    framework.configure("payments", fail_rate=1.0)
    with pytest.raises(CommandError):
        call_command("payments_reconcile", date="2026-01-05", verbosity=0)
    run = ReconciliationRun.objects.get()
    assert run.state == ReconciliationRun.State.FAILED and "PeerUnavailable" in run.error


def test_the_default_day_is_yesterday(bank):
    call_command("payments_reconcile", verbosity=0)
    run = ReconciliationRun.objects.get()
    assert run.statement_date == timezone.localdate() - datetime.timedelta(days=1)
    assert run.state == ReconciliationRun.State.BALANCED
