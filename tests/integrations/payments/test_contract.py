"""The bank client against the sandbox bank over real HTTP: answers, error bodies, timeouts."""

import datetime

import pytest
from django.utils import timezone

from integrations.errors import PeerRejected, PeerUnavailable
from integrations.http import PeerClient, SigningKey
from integrations.payments import client as bankapi
from integrations.payments import statement
from integrations.payments.models import SandboxBankOrder, SandboxBankRefund
from integrations.sandbox import framework

pytestmark = pytest.mark.django_db(transaction=True)


def register(number="ZW20260101000000AAAA0001", amount=1000, **kwargs):
    return bankapi.client(**kwargs).create_order(
        order_number=number,
        subject="机动车驾驶证换证：工本费",
        amount_fen=amount,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
        notify_url="http://127.0.0.1:9/notify/",
        return_url="http://127.0.0.1:9/return/",
    )


def test_an_order_is_registered_once_per_order_number(bank):
    first = register()
    again = register()
    assert first["bank_order_id"] == again["bank_order_id"]
    assert first["status"] == "WAITING"
    assert first["pay_url"].startswith(bank.url) and "/cashier/" in first["pay_url"]
    assert SandboxBankOrder.objects.count() == 1


def test_query_answers_the_order_and_an_unknown_one_is_a_404_with_its_code(bank):
    register()
    answer = bankapi.client().query_order("ZW20260101000000AAAA0001")
    assert answer["status"] == "WAITING" and answer["amount_fen"] == 1000
    with pytest.raises(PeerRejected) as refusal:
        bankapi.client().query_order("ZW-NOT-THERE")
    assert refusal.value.status == 404 and refusal.value.code == "order_not_found"


def test_a_bad_order_is_a_400_naming_the_fields(bank):
    with pytest.raises(PeerRejected) as refusal:
        register(amount=0)
    assert refusal.value.status == 400 and refusal.value.code == "invalid_order"


def test_the_same_number_with_another_amount_is_a_conflict(bank):
    register()
    with pytest.raises(PeerRejected) as refusal:
        register(amount=2000)
    assert refusal.value.status == 409 and refusal.value.code == "order_conflict"


def test_a_request_signed_with_another_key_is_refused_with_its_error_body(bank, settings):
    http = PeerClient(
        peer="payments", base_url=bank.url + "/sandbox/payments/", signing=SigningKey("x", "wrong")
    )
    with pytest.raises(PeerRejected) as refusal:
        http.get("orders/ANY/")
    assert refusal.value.status == 401 and refusal.value.code == "bad_signature"


def test_a_failing_bank_is_unavailable(bank):
    framework.configure("payments", fail_rate=1.0)
    with pytest.raises(PeerUnavailable) as failure:
        register()
    assert failure.value.status == 503 and failure.value.code == "sandbox_failure"


def test_a_slow_bank_times_out_and_keeps_the_order_for_the_retry(bank):
    framework.configure("payments", slow_rate=1.0, slow_seconds=1.5)
    with pytest.raises(PeerUnavailable):
        register(read_timeout=0.5)
    framework.reset("payments")
    framework.wait_quiet()
    assert register()["status"] == "WAITING"
    assert SandboxBankOrder.objects.count() == 1


def test_a_refund_is_kept_once_per_idempotency_key(bank):
    register()
    SandboxBankOrder.objects.update(status="SUCCESS", transaction_id="TX1", paid_at=timezone.now())
    kwargs = {
        "order_number": "ZW20260101000000AAAA0001",
        "refund_number": "RF1",
        "amount_fen": 1000,
        "reason": "撤回",
        "idempotency_key": "refund-RF1",
    }
    first = bankapi.client().refund(**kwargs)
    second = bankapi.client().refund(**kwargs)
    assert first["refund_id"] == second["refund_id"] and first["status"] == "SUCCESS"
    refund = SandboxBankRefund.objects.get()
    assert refund.requests == 2


def test_a_refund_of_an_unpaid_order_is_refused(bank):
    register()
    with pytest.raises(PeerRejected) as refusal:
        bankapi.client().refund(
            order_number="ZW20260101000000AAAA0001",
            refund_number="RF2",
            amount_fen=1000,
            reason="",
            idempotency_key="k",
        )
    assert refusal.value.code == "order_not_paid"


def test_the_statement_is_a_csv_in_yuan_read_back_in_fen(bank):
    register(amount=1234)
    SandboxBankOrder.objects.update(status="SUCCESS", transaction_id="TX9", paid_at=timezone.now())
    text = bankapi.client().statement(timezone.localdate())
    assert "交易金额" in text and "12.34" in text
    [row] = statement.parse(text)
    assert row.amount_fen == 1234 and row.type == statement.PAY and row.transaction_id == "TX9"


def test_a_statement_of_a_future_day_is_not_ready(bank):
    with pytest.raises(PeerRejected) as refusal:
        bankapi.client().statement(timezone.localdate() + datetime.timedelta(days=1))
    assert refusal.value.code == "statement_not_ready"


@pytest.mark.parametrize("text", ["1.234", "-1.00", "abc"])
def test_an_amount_that_is_not_yuan_with_two_decimals_is_unreadable(text):
    with pytest.raises(statement.StatementUnreadable):
        statement.to_fen(text)
