"""Least privilege: another applicant cannot see or pay an order (404); staff see their
departments' orders only; the applicant reads the order through the API."""

import pytest

from applications.models import State
from integrations.payments.models import PaymentOrder
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_another_applicant_cannot_pay_or_return_to_the_order(build, bank, client, other_citizen):
    case = build(State.ACCEPTED)
    order = PaymentOrder.objects.get(case=case)
    client.force_login(other_citizen)
    assert client.post(f"/integrations/payments/cases/{case.serial}/pay/").status_code == 404
    assert client.get(f"/integrations/payments/orders/{order.order_number}/return/").status_code == 404
    assert client.get(f"/api/v1/applications/{case.serial}/payment/").status_code == 404
    order.refresh_from_db()
    assert order.state == PaymentOrder.State.CREATED and order.events.count() == 1


def test_the_applicant_reads_the_order_in_the_api(build, bank, client):
    case = build(State.ACCEPTED)
    client.force_login(case.applicant)
    answer = client.get(f"/api/v1/applications/{case.serial}/payment/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["amount_fen"] == 1000 and data["state"] == "created" and data["amount"] == "10.00"
    assert data["pay_url"].endswith(f"/integrations/payments/cases/{case.serial}/pay/")


def test_a_case_without_an_order_answers_404_in_the_api(department, citizen, client, db):
    client.force_login(citizen)
    assert client.get("/api/v1/applications/NOPE/payment/").status_code == 404


def test_completing_without_payment_is_a_409_in_the_staff_api(build, bank, client):
    case = build(State.DECIDED)
    client.force_login(build.clerk)
    answer = client.post(
        f"/api/v1/applications/{case.serial}/transitions/",
        {"transition": "complete", "opinion": "办结"},
        content_type="application/json",
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["reason"] == "payment_required"
    assert "尚未缴费" in answer.json()["error"]["message"]


def test_staff_see_only_their_departments_orders_in_the_admin(build, bank, client, other_department):
    case = build(State.ACCEPTED)
    order = PaymentOrder.objects.get(case=case)
    client.force_login(build.clerk)
    page = client.get("/admin/payments/paymentorder/")
    assert page.status_code == 200 and order.order_number in page.content.decode()
    stranger = factories.StaffFactory(username="stranger", department=other_department)
    client.force_login(stranger)
    page = client.get("/admin/payments/paymentorder/")
    assert order.order_number not in page.content.decode()
    assert client.get(f"/admin/payments/paymentorder/{order.pk}/change/").status_code in (302, 404)


def test_the_admin_shows_the_refusal_when_staff_complete_an_unpaid_case(build, bank, client):
    case = build(State.DECIDED)
    client.force_login(build.clerk)
    page = client.post(f"/admin/applications/case/{case.pk}/transition/complete/", {"opinion": "办结"})
    assert page.status_code == 409
    assert "尚未缴费" in page.content.decode()
    case.refresh_from_db()
    assert case.state == State.DECIDED
