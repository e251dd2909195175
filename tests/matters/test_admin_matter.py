"""The matter back office: the guide form, its rules, publish and withdraw, history."""

import pytest
from django.urls import reverse

from matters import codes
from matters.models import Matter
from tests import factories
from tests.matters.test_admin_helpers import (
    make_department_staff,
    make_editor,
    management_form,
    matter_form_data,
)


def change_url(matter):
    return reverse("admin:matters_matter_change", args=[matter.pk])


@pytest.fixture
def editor(db):
    return make_editor(username="editor", real_name="王编目")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def draft(department):
    return factories.MatterFactory(
        department=department, status=codes.Status.DRAFT, name="食品经营许可证核发"
    )


def new_matter_data(department, **overrides):
    template = factories.MatterFactory.build(department=department, region=department.region, name="出生登记")
    return matter_form_data(template, **overrides)


def test_an_empty_implementation_code_is_computed_from_department_level_and_basic_code(
    editor_client, department
):
    data = new_matter_data(department, implementation_code="", basic_code="442000001000")
    response = editor_client.post(reverse("admin:matters_matter_add"), data)
    assert response.status_code == 302
    matter = Matter.objects.get(name="出生登记")
    assert matter.implementation_code == f"{department.uscc}3442000001000"


def test_a_new_matter_starts_as_a_draft(editor_client, department):
    editor_client.post(reverse("admin:matters_matter_add"), new_matter_data(department))
    assert Matter.objects.get(name="出生登记").status == codes.Status.DRAFT


def test_the_form_explains_how_the_implementation_code_is_computed(editor_client):
    page = editor_client.get(reverse("admin:matters_matter_add")).content.decode()
    assert "留空则按“实施主体统一社会信用代码（18位）+ 行使层级（1位）+ 基本编码（12位）”自动生成。" in page


def test_the_form_states_the_consistency_rules_next_to_the_fields(editor_client):
    page = editor_client.get(reverse("admin:matters_matter_add")).content.decode()
    assert "规则5：不收费的事项不能支持网上支付。" in page
    assert "规则2：到办事现场次数不为0时必填。" in page


def test_a_broken_rule_is_shown_next_to_its_field(editor_client, matter):
    data = matter_form_data(matter, onsite_visits="1", online_depth=str(codes.OnlineDepth.APPLY))
    response = editor_client.post(change_url(matter), data)
    assert response.status_code == 200
    expected = (
        '<ul class="errorlist" id="id_onsite_visits_reason_error">'
        "<li>到办事现场次数不为0时，须填写需到现场的原因。</li>"
    )
    assert expected in response.content.decode()


def test_rule_8_is_checked_over_the_step_rows(editor_client, matter):
    data = matter_form_data(matter)
    data.update(management_form("steps", total=2))
    for i, days in enumerate((6, 5)):
        data.update(
            {
                f"steps-{i}-sort_order": str(i + 1),
                f"steps-{i}-name": f"环节{i}",
                f"steps-{i}-duration_days": str(days),
            }
        )
    response = editor_client.post(change_url(matter), data)
    assert response.status_code == 200
    assert (
        "行政许可事项各环节时限之和（11个工作日）不能超过承诺办结时限（10个工作日）。"
        in response.content.decode()
    )
    assert not matter.steps.exists()


def test_rule_8_counts_the_stored_steps_when_the_promised_limit_is_shortened(editor_client, matter):
    step = factories.MatterStepFactory(matter=matter, duration_days=8)
    data = matter_form_data(matter, promised_limit_days="5")
    data.update(management_form("steps", total=1, initial=1))
    data.update(
        {
            "steps-0-id": str(step.pk),
            "steps-0-matter": str(matter.pk),
            "steps-0-sort_order": "1",
            "steps-0-name": step.name,
            "steps-0-duration_days": "8",
        }
    )
    response = editor_client.post(change_url(matter), data)
    assert (
        "行政许可事项各环节时限之和（8个工作日）不能超过承诺办结时限（5个工作日）。"
        in response.content.decode()
    )
    matter.refresh_from_db()
    assert matter.promised_limit_days == 10


def test_saving_in_the_admin_records_the_editor_in_the_history(editor_client, editor, matter):
    editor_client.post(change_url(matter), matter_form_data(matter, name="食品经营许可（变更）"))
    record = matter.history.order_by("-history_id").first()
    assert (record.name, record.history_user) == ("食品经营许可（变更）", editor)


def test_a_draft_has_a_publish_button(editor_client, draft):
    page = editor_client.get(change_url(draft)).content.decode()
    assert reverse("admin:matters_matter_publish", args=[draft.pk]) in page


def test_the_publish_button_publishes(editor_client, draft):
    response = editor_client.post(reverse("admin:matters_matter_publish", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.status == codes.Status.PUBLISHED
    assert "事项「食品经营许可证核发」已发布。" in response.content.decode()


def test_publishing_a_broken_matter_shows_why(editor_client, draft):
    Matter.objects.filter(pk=draft.pk).update(online_payment=True)
    response = editor_client.post(reverse("admin:matters_matter_publish", args=[draft.pk]), follow=True)
    assert "不收费的事项不能支持网上支付" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == codes.Status.DRAFT


def test_publish_refuses_get(editor_client, draft):
    assert editor_client.get(reverse("admin:matters_matter_publish", args=[draft.pk])).status_code == 405


def test_a_published_matter_has_a_withdraw_button_asking_for_a_reason(editor_client, matter):
    url = reverse("admin:matters_matter_withdraw", args=[matter.pk])
    assert url in editor_client.get(change_url(matter)).content.decode()
    page = editor_client.get(url).content.decode()
    assert "撤销原因" in page


def test_withdrawing_from_the_change_page_keeps_the_reason(editor_client, editor, matter):
    url = reverse("admin:matters_matter_withdraw", args=[matter.pk])
    editor_client.post(url, {"reason": "该事项已取消", "confirm": "1"})
    matter.refresh_from_db()
    assert matter.status == codes.Status.WITHDRAWN
    record = matter.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (editor, "撤销：该事项已取消")


def test_withdrawing_without_a_reason_shows_the_error(editor_client, matter):
    response = editor_client.post(reverse("admin:matters_matter_withdraw", args=[matter.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "该字段是必填项。" in response.content.decode()
    matter.refresh_from_db()
    assert matter.status == codes.Status.PUBLISHED


def test_the_publish_action_publishes_the_selected_drafts(editor_client, draft, department):
    other = factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    data = {"action": "publish_selected", "_selected_action": [draft.pk, other.pk], "index": "0"}
    response = editor_client.post(reverse("admin:matters_matter_changelist"), data, follow=True)
    assert "已发布 2 个事项。" in response.content.decode()
    assert set(Matter.objects.filter(pk__in=[draft.pk, other.pk]).values_list("status", flat=True)) == {
        "published"
    }


def test_the_publish_action_reports_the_matters_it_refuses(editor_client, matter):
    data = {"action": "publish_selected", "_selected_action": [matter.pk], "index": "0"}
    response = editor_client.post(reverse("admin:matters_matter_changelist"), data, follow=True)
    assert "事项「食品经营许可证核发」已经发布。" in response.content.decode()


def test_the_withdraw_action_first_asks_for_the_reason(editor_client, matter):
    data = {"action": "withdraw_selected", "_selected_action": [matter.pk], "index": "0"}
    response = editor_client.post(reverse("admin:matters_matter_changelist"), data)
    page = response.content.decode()
    assert "撤销原因" in page
    assert "食品经营许可证核发" in page
    matter.refresh_from_db()
    assert matter.status == codes.Status.PUBLISHED


def test_the_withdraw_action_withdraws_with_the_reason(editor_client, matter):
    data = {
        "action": "withdraw_selected",
        "_selected_action": [matter.pk],
        "index": "0",
        "reason": "并入其他事项",
        "confirm": "1",
    }
    response = editor_client.post(reverse("admin:matters_matter_changelist"), data, follow=True)
    assert "已撤销 1 个事项。" in response.content.decode()
    matter.refresh_from_db()
    assert matter.status == codes.Status.WITHDRAWN


def test_the_history_page_shows_who_changed_the_matter(editor_client, matter):
    editor_client.post(reverse("admin:matters_matter_withdraw", args=[matter.pk]), {"reason": "暂停办理"})
    page = editor_client.get(reverse("admin:matters_matter_history", args=[matter.pk])).content.decode()
    assert "王编目" in page
    assert "撤销：暂停办理" in page


def test_a_past_version_cannot_be_restored(editor_client, matter):
    version = matter.history.first()
    url = reverse("admin:matters_matter_simple_history", args=[matter.pk, version.history_id])
    assert editor_client.get(url).status_code == 200
    assert editor_client.post(url, matter_form_data(matter)).status_code == 403


def test_the_material_change_log_shows_who_changed_a_material(client, department, matter):
    staff = make_department_staff(department, username="dept-staff", real_name="李文华")
    client.force_login(staff)
    data = matter_form_data(matter)
    data.update(management_form("materials", total=1))
    data.update(
        {
            "materials-0-sort_order": "1",
            "materials-0-name": "食品安全管理制度文本",
            "materials-0-necessity": "required",
            "materials-0-source": "applicant",
            "materials-0-originals": "1",
            "materials-0-copies": "0",
            "materials-0-medium": "paper",
            "materials-0-key_material": "on",
        }
    )
    assert client.post(change_url(matter), data).status_code == 302
    url = (
        reverse("admin:matters_historicalmaterialrequirement_changelist") + f"?matter__id__exact={matter.pk}"
    )
    page = client.get(url).content.decode()
    assert "食品安全管理制度文本" in page
    assert "李文华" in page
