"""Journey of issue 4: a fee-charging matter — the citizen applies, pays in the bank's sandbox,
staff complete the case in the back office, the citizen chooses express delivery of the
result, and the parcel's timeline reaches 已签收 while the case becomes 已送达. axe checks our
pages on the way.

Everything runs as in the embedded mode: the outbox delivers in its background threads, the
bank and the carrier are the sandboxes of this very server, and the carrier's tracking events
come back through the signed callback."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from matters.models import Matter
from portal.validators import id_number_check_char
from tests.e2e.conftest import log_in, log_out, make_pdf
from tests.e2e.test_application_journey import (
    assert_accessible,
    assert_admin_page_accessible,
    case_state,
    fire,
    open_case_in_back_office,
    open_my_case,
    upload_material,
)

pytestmark = pytest.mark.e2e

MATTER = "居民身份证换领"  # 中山市公安局: a 20-yuan fee, online payment, express delivery
ID_NUMBER = "44200019900307123" + id_number_check_char("44200019900307123")
WAYBILL = re.compile(r"\d{13}")


@pytest.fixture
def peers(live_server, settings):
    """The bank and the carrier are this server's sandboxes; they call this server back."""
    settings.SANDBOX_BASE_URL = f"{live_server.url}/sandbox/"
    settings.PAYMENTS_NOTIFY_URL = f"{live_server.url}{reverse('payments:notify')}"
    settings.LOGISTICS_CALLBACK_URL = f"{live_server.url}{reverse('logistics:events')}"
    return live_server


def apply_for_the_new_card(page, tmp_path) -> str:
    matter = Matter.objects.get(name=MATTER)
    page.goto(reverse("matters:detail", args=[matter.implementation_code]))
    page.get_by_role("link", name="在线办理").first.click()
    page.wait_for_url("**/apply/")
    page.get_by_label("本人").check()
    page.get_by_label("身份证号码").fill(ID_NUMBER)
    page.get_by_role("button", name="下一步：填写表单").click()
    page.wait_for_url("**/form/")
    page.get_by_label("有效期满").check()
    page.get_by_label("邮寄送达").check()
    page.get_by_label("所在区域").select_option(index=1)
    page.get_by_label("详细地址").fill("中山三路88号3栋502房")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/materials/")
    for index, name in enumerate(("原居民身份证", "居民身份证申领登记表")):
        upload_material(page, name, make_pdf(tmp_path / f"material-{index}.pdf", f"material {index}"))
    page.get_by_role("link", name="下一步：确认提交").click()
    page.wait_for_url("**/review/")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url("**/receipt/")
    return page.locator("dt:has-text('统一申办流水号') + dd").inner_text().strip()


def test_a_citizen_pays_a_fee_case_and_gets_the_result_by_express(page, demo_data, peers, tmp_path):
    log_in(page, "demo-citizen")
    serial = apply_for_the_new_card(page, tmp_path)
    log_out(page)

    # Acceptance makes the payment order.
    log_in(page, "demo-police")
    open_case_in_back_office(page, serial)
    fire(page, "受理", 办理意见="材料齐全，予以受理。")
    log_out(page)

    # The citizen pays on the bank's page and comes back to the case.
    log_in(page, "demo-citizen")
    open_my_case(page, serial, state="已受理", link=MATTER)
    page.locator("#pay-button").click()
    page.wait_for_url("**/sandbox/payments/**")
    page.locator("#bank-pay").click()
    page.wait_for_url(f"**/me/applications/{serial}/**")
    for _attempt in range(20):
        if page.locator("#payment-state").get_attribute("data-state") == "paid":
            break
        page.wait_for_timeout(250)
        page.reload()
    assert page.locator("#payment-state").get_attribute("data-state") == "paid"
    log_out(page)

    # Staff review, approve and complete with the result.
    log_in(page, "demo-police")
    open_case_in_back_office(page, serial)
    fire(page, "审查", 办理意见="经审查，登记信息无误。")
    fire(page, "审批（准予）", 办理意见="准予换领。")
    fire(page, "办结", 办理意见="证件已制作完成。", 办理结果文件=make_pdf(tmp_path / "card.pdf", "id card"))
    assert case_state(page).startswith("已办结")
    log_out(page)

    # The citizen chooses express delivery; the address of the application is already there.
    log_in(page, "demo-citizen")
    open_my_case(page, serial, state="已办结", link=MATTER)
    express = page.locator("#express-results")
    assert "中山三路88号3栋502房" in express.get_by_label("收件地址").input_value()
    assert express.get_by_label("收件人手机号码").input_value() == "13800138000"
    assert_accessible(page, "my case, express delivery offered")
    express.get_by_role("button", name="确认快递送达").click()
    page.wait_for_url(f"**/me/applications/{serial}/**")
    assert "已选择快递送达" in page.locator("main").inner_text()

    # The outbox orders the waybill in the background; the page shows its number once it is back.
    parcel = page.locator("#express .parcel").first
    for _attempt in range(40):
        if WAYBILL.search(parcel.locator("dt:has-text('运单号') + dd").inner_text()):
            break
        page.wait_for_timeout(250)
        page.reload()
    waybill = WAYBILL.search(parcel.locator("dt:has-text('运单号') + dd").inner_text()).group()
    assert "138****8000" in parcel.inner_text()
    assert_accessible(page, "my case, waybill ordered")

    # The carrier (its sandbox page) picks the parcel up and delivers it; each step calls us back.
    page.goto(f"/sandbox/logistics/waybills/{waybill}/page/")
    page.get_by_role("button", name="推进一步").click()
    page.get_by_role("button", name="直接签收").click()
    expect(page.locator("main")).to_contain_text("已签收")

    page.goto(reverse("applications:detail", args=[serial]))
    parcel = page.locator("#express .parcel").first
    assert parcel.locator("[data-shipment-state]").get_attribute("data-shipment-state") == "delivered"
    statuses = parcel.locator("tbody th").all_inner_texts()
    assert statuses == ["已签收", "派送中", "运输中", "已揽收"]
    assert "已送达" in page.locator(".guide-facts").inner_text()
    steps = page.locator("section[aria-labelledby=timeline-heading] tbody th").all_inner_texts()
    assert steps[-1] == "送达"
    assert_accessible(page, "my case, delivered")
    log_out(page)

    # Staff see the same timeline on the back office case page.
    log_in(page, "demo-police")
    open_case_in_back_office(page, serial)
    assert "已签收" in page.locator("#parcels").inner_text()
    assert waybill in page.locator("#parcels").inner_text()
    assert_admin_page_accessible(page, "case page, parcel delivered")
