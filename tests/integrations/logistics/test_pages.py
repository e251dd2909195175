"""The applicant's case page: choose express delivery, follow the parcel; nobody else sees it.
The back office case page shows the timeline to the case's department."""

import pytest
from django.urls import reverse

from applications.models import State
from integrations.logistics import services
from integrations.logistics.models import Direction, Shipment, ShipmentState
from integrations.models import OutboxMessage

from .conftest import ask

pytestmark = pytest.mark.django_db


def express_url(case, direction="results"):
    return reverse("applications:express", args=[case.serial, direction])


def form(direction="results", **values):
    data = {"name": "李四", "phone": "138 0013 8000", "address": "广东省中山市东区中山三路 88 号"}
    data.update(values)
    return {f"{direction}-{key}": value for key, value in data.items()}


def test_the_case_page_offers_express_delivery_prefilled_from_the_application(client, completed_case):
    client.force_login(completed_case.applicant)
    page = client.get(completed_case.get_absolute_url()).content.decode()
    assert "选择快递送达办理结果" in page
    assert 'value="13800138000"' in page  # the contact mobile of the application
    assert "快递寄送纸质材料" not in page  # a completed case needs no paper materials


def test_choosing_express_on_a_completed_case_orders_the_waybill(client, completed_case):
    client.force_login(completed_case.applicant)
    response = client.post(express_url(completed_case), form())
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert (shipment.direction, shipment.recipient_phone) == (Direction.RESULTS, "13800138000")
    assert shipment.requested_by == completed_case.applicant
    assert OutboxMessage.objects.filter(destination="logistics").count() == 1
    page = client.get(completed_case.get_absolute_url()).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert "选择快递送达办理结果" not in page  # asked once


def test_a_bad_mobile_is_shown_in_place_and_nothing_is_ordered(client, completed_case):
    client.force_login(completed_case.applicant)
    response = client.post(express_url(completed_case), form(phone="12345"))
    assert response.status_code == 400
    assert "请输入11位手机号码" in response.content.decode()
    assert not Shipment.objects.exists()


def test_a_matter_without_express_delivery_refuses(client, build, department):
    from tests import factories

    matter = factories.MatterFactory(department=department, express_delivery=False)
    case = build(State.SUBMITTED, matter=matter)
    client.force_login(case.applicant)
    assert "选择快递送达办理结果" not in client.get(case.get_absolute_url()).content.decode()
    client.post(express_url(case), form())
    assert not Shipment.objects.exists()


def test_paper_materials_can_be_sent_while_the_case_is_examined(client, build):
    case = build(State.ACCEPTED)
    client.force_login(case.applicant)
    client.post(express_url(case, "materials"), form("materials"))
    shipment = Shipment.objects.get()
    assert shipment.direction == Direction.MATERIALS
    assert shipment.recipient_name == case.department.name


def test_another_user_gets_404_on_the_case_the_form_and_the_parcel(client, completed_case, other_citizen):
    shipment = ask(completed_case)
    client.force_login(other_citizen)
    assert client.get(completed_case.get_absolute_url()).status_code == 404
    assert client.post(express_url(completed_case), form()).status_code == 404
    parcel = reverse("applications:parcel", args=[completed_case.serial, shipment.pk])
    assert client.get(parcel).status_code == 404
    assert Shipment.objects.count() == 1


def test_the_applicant_sees_the_parcel_page(client, completed_case):
    shipment = services.record_waybill(shipment_id=ask(completed_case).pk, waybill_no="9812345678901")
    client.force_login(completed_case.applicant)
    page = client.get(reverse("applications:parcel", args=[completed_case.serial, shipment.pk]))
    assert page.status_code == 200
    assert "9812345678901" in page.content.decode()


def test_an_unknown_direction_is_a_404(client, completed_case):
    client.force_login(completed_case.applicant)
    assert client.post(express_url(completed_case, "drones"), form()).status_code == 404


def test_the_back_office_case_page_shows_the_parcel_to_its_department_only(
    client, completed_case, clerk, other_staff
):
    shipment = services.record_waybill(shipment_id=ask(completed_case).pk, waybill_no="9812345678901")
    url = reverse("admin:applications_case_change", args=[completed_case.pk])
    client.force_login(clerk)
    page = client.get(url).content.decode()
    assert "快递寄送" in page and "9812345678901" in page and "138****8000" in page
    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    shipments = reverse("admin:logistics_shipment_change", args=[shipment.pk])
    assert client.get(shipments).status_code in (302, 403, 404)
    assert shipment.state == ShipmentState.CREATED
