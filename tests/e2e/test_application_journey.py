"""Journey of issue 3: a citizen applies online, staff ask for a correction in the back office,
the citizen supplies it, staff accept, review, approve and complete, and the citizen downloads
the completion notice. axe checks every page on the way."""

import re

import pytest

from portal.validators import id_number_check_char
from tests.e2e.conftest import log_in, log_out, make_pdf, serious_accessibility_violations

pytestmark = pytest.mark.e2e

MATTER = "个体工商户设立登记"  # 中山市市场监督管理局, where demo-staff is clerk, reviewer and approver
ID_NUMBER = "44200019900307123" + id_number_check_char("44200019900307123")
SERIAL = re.compile(r"^[0-9A-Z]{31}\d{8}\d{4}$")


# Serious violations of Django's own admin chrome, not of our pages: its breadcrumb links are told
# apart from the text by colour only (axe finds the same on Django's app index and password change
# pages), and its search box is labelled by an icon (the markup of Django's admin/search_form.html).
DJANGO_ADMIN_CHROME = {("link-in-text-block", ".breadcrumbs"), ("label-title-only", "#searchbar")}


def assert_accessible(page, name: str) -> None:
    violations = serious_accessibility_violations(page)
    assert violations == [], f"{name}: {violations}"


def _from_django_chrome(rule: str, target: list) -> bool:
    return any(rule == r and str(target[0]).startswith(s) for r, s in DJANGO_ADMIN_CHROME)


def assert_admin_page_accessible(page, name: str) -> None:
    """Our parts of an admin page are clean; Django's own chrome is reported, not ours to fix."""
    ours = []
    for violation in serious_accessibility_violations(page):
        nodes = [n for n in violation["nodes"] if not _from_django_chrome(violation["id"], n)]
        if nodes:
            ours.append({**violation, "nodes": nodes})
    assert ours == [], f"{name}: {ours}"


def material(page, name: str):
    """The block of the materials panel for the requirement whose name contains ``name``."""
    return page.locator("article.material-item").filter(has=page.get_by_role("heading", name=name))


def upload_material(page, name: str, path: str) -> None:
    """Upload a file for a material; htmx swaps the panel, which then marks it 已提交."""
    material(page, name).locator("input[type=file]").set_input_files(path)
    material(page, name).get_by_role("button", name="上传", exact=True).click()
    material(page, name).locator(".badge", has_text="已提交").wait_for()


def apply_online(page, tmp_path) -> str:
    """demo-citizen finds the guide, applies for the matter and reads the receipt: the serial."""
    page.fill("#home-q", "个体工商户设立")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url("**/search/?q=*")
    page.get_by_role("link", name=MATTER, exact=True).first.click()
    page.wait_for_url("**/matters/*/")
    assert page.get_by_role("heading", level=1).inner_text().strip() == MATTER
    assert_accessible(page, "guide page")

    page.get_by_role("link", name="在线办理").first.click()
    page.wait_for_url("**/apply/")
    assert_accessible(page, "apply: who applies")
    page.get_by_label("本人").check()
    assert page.get_by_label("姓名").input_value() == "陈小明"
    page.get_by_label("身份证号码").fill(ID_NUMBER)
    page.get_by_role("button", name="下一步：填写表单").click()
    page.wait_for_url("**/form/")
    assert_accessible(page, "apply: form")

    # Name, ID number and mobile come from the profile and the step before.
    assert page.get_by_label("经营者姓名").input_value() == "陈小明"
    assert page.get_by_label("经营者公民身份号码").input_value() == ID_NUMBER
    page.get_by_label("个体工商户名称").fill("中山市石岐区小明便利店")
    page.get_by_label("个人经营").check()
    page.get_by_label("所在区域").select_option(index=1)
    page.get_by_label("详细地址").fill("孙文中路1号首层")
    page.get_by_label("经营范围").fill("零售日用百货、预包装食品")
    page.get_by_label("资金数额（万元）").fill("5")
    page.get_by_label("从业人员（人）").fill("2")
    page.get_by_label("本人承诺提交的材料真实有效，经营场所符合规定").check()
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/materials/")
    assert_accessible(page, "apply: materials")

    # Every required material is key: none may be promised for later (容缺) on this matter.
    assert page.get_by_text("可容缺受理").count() == 0
    for index, name in enumerate(("登记（备案）申请书", "经营者身份证明", "住所（经营场所）信息申报表")):
        upload_material(page, name, make_pdf(tmp_path / f"material-{index}.pdf", f"material {index}"))
    assert page.get_by_text("材料规范化校验：材料齐全，符合要求。").is_visible()
    page.get_by_role("link", name="下一步：确认提交").click()
    page.wait_for_url("**/review/")
    assert_accessible(page, "apply: review")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url("**/receipt/")
    assert_accessible(page, "receipt")
    serial = page.locator("dt:has-text('统一申办流水号') + dd").inner_text().strip()
    assert SERIAL.match(serial), serial
    query_code = page.locator("dt:has-text('查询码') + dd").inner_text().strip()
    assert query_code
    return serial


def open_case_in_back_office(page, serial: str) -> None:
    """demo-staff: 管理后台 → 办件 (the queue) → search by serial → the case page."""
    page.get_by_role("banner").get_by_role("link", name="管理后台").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="办件", exact=True).first.click()
    page.wait_for_url("**/admin/applications/case/**")
    assert_admin_page_accessible(page, "case queue")
    page.locator("#searchbar").fill(serial)
    page.locator("#changelist-search [type=submit]").click()
    page.wait_for_url("**q=*")
    assert_admin_page_accessible(page, "case queue, searched")
    page.get_by_role("link", name=serial, exact=True).click()
    page.wait_for_url("**/change/")
    assert page.get_by_role("heading", name=f"办件 {serial}").is_visible()


def fire(page, action: str, **fields: str) -> None:
    """One transition on the case page: open its form, fill it in by label, confirm."""
    form = page.locator(".case-actions details").filter(
        has=page.locator("summary").get_by_text(action, exact=True)
    )
    form.locator("summary").click()
    for label, value in fields.items():
        field = form.get_by_label(label)
        if field.get_attribute("type") == "file":
            field.set_input_files(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=f"确认{action}").click()
    page.wait_for_load_state()
    success = page.locator(".messagelist .success")
    assert f"已办理“{action}”" in success.inner_text(), page.locator("#content-main").inner_text()


def case_state(page) -> str:
    return page.locator(".case-facts dt", has_text="状态").locator("xpath=following-sibling::dd").inner_text()


def open_my_case(page, serial: str, *, state: str, link: str = MATTER) -> None:
    """The citizen's list of cases (我的办件 in the main navigation), the row of this case in
    its state, then the row's link."""
    page.locator("nav.main-nav").get_by_role("link", name="我的办件").click()
    page.wait_for_url("**/me/applications/")
    assert_accessible(page, "my cases")
    row = page.locator("li.matter-item").filter(has_text=serial)
    assert state in row.locator("dt:has-text('状态') + dd").inner_text()
    row.get_by_role("link", name=link).click()
    page.wait_for_url(f"**/me/applications/{serial}/**")


def fetch(page, link) -> bytes:
    """Follow a download link with the browser's session: a PDF, served as one."""
    response = page.request.get(link.get_attribute("href"))
    assert response.ok, (link.get_attribute("href"), response.status)
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    return body


def test_a_citizen_applies_staff_ask_for_a_correction_then_approve_and_the_citizen_gets_the_notice(
    page, demo_data, tmp_path
):
    log_in(page, "demo-citizen")
    serial = apply_online(page, tmp_path)
    log_out(page)

    # Pre-review finds two problems: one correction notice, in full (Art. 32).
    log_in(page, "demo-staff")
    open_case_in_back_office(page, serial)
    assert_admin_page_accessible(page, "case page, submitted")
    fire(
        page,
        "补正告知",
        **{
            "需补正的材料或内容": "住所（经营场所）信息申报表未签名\n经营范围表述不规范，请按行业分类填写",
            "办理意见": "请一次性补齐以上两项后重新提交。",
        },
    )
    assert case_state(page) == "待补正"
    assert_admin_page_accessible(page, "case page, correction requested")
    log_out(page)

    # The citizen reads what is asked, uploads the signed form again and supplies the correction.
    log_in(page, "demo-citizen")
    open_my_case(page, serial, state="待补正", link=f"去补正 {MATTER}")
    main = page.locator("main")
    assert "待补正" in main.inner_text()
    for item in ("住所（经营场所）信息申报表未签名", "经营范围表述不规范，请按行业分类填写"):
        assert page.locator("#todo li", has_text=item).is_visible()
    assert page.get_by_role("link", name="下载补正告知书（PDF）").is_visible()
    assert_accessible(page, "my case, correction requested")
    # The notice named that material: it is returned, the citizen must upload it again.
    returned = "《住所（经营场所）信息申报表》需要补正，请重新上传。"
    assert returned in page.locator("#materials-panel").inner_text()
    upload_material(page, "住所（经营场所）信息申报表", make_pdf(tmp_path / "signed.pdf", "signed form"))
    page.get_by_label("补正说明（选填）").fill("已签名的申报表已重新上传。")
    page.get_by_role("button", name="提交补正").click()
    page.wait_for_url(f"**/me/applications/{serial}/")
    assert "补正材料已提交" in main.inner_text()
    log_out(page)

    # Staff accept (a receipt is issued), review, approve and complete with the licence.
    log_in(page, "demo-staff")
    open_case_in_back_office(page, serial)
    fire(page, "受理", 办理意见="材料齐全，符合法定形式，予以受理。")
    assert case_state(page) == "已受理"
    issued = page.locator("#issued-documents tbody tr").filter(has_text="受理回执")
    fetch(page, issued.get_by_role("link", name="下载打印（PDF）"))
    # Correction is a pre-review step: once accepted, the case page no longer offers it.
    assert page.locator(".case-actions summary").get_by_text("补正告知", exact=True).count() == 0
    fire(page, "审查", 办理意见="经审查，申请材料真实有效。")
    fire(page, "审批（准予）", 办理意见="符合登记条件，准予登记。")
    fire(
        page,
        "办结",
        办理意见="已核发营业执照。",
        办理结果文件=make_pdf(tmp_path / "licence.pdf", "business licence"),
    )
    assert case_state(page) == "已办结（准予）"
    assert_admin_page_accessible(page, "case page, completed")
    log_out(page)

    # The citizen sees the result and the whole timeline, and downloads the completion notice.
    log_in(page, "demo-citizen")
    open_my_case(page, serial, state="已办结")
    assert "已办结" in page.locator(".guide-facts").inner_text()
    steps = page.locator("section[aria-labelledby=timeline-heading] tbody th").all_inner_texts()
    assert steps == ["提交申请", "补正告知", "提交补正材料", "受理", "审查", "审批（准予）", "办结"]
    assert "营业执照（准予）" in page.locator("#todo").inner_text()
    assert_accessible(page, "my case, completed")
    fetch(page, page.get_by_role("link", name="下载办理结果：营业执照"))
    fetch(page, page.get_by_role("link", name="下载办结通知书（PDF）"))
