"""matters.services: the only writers of a matter's catalogue state."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from matters import codes, services
from tests import factories
from tests.matters.test_admin_helpers import make_department_staff, make_editor, make_supervisor


@pytest.fixture
def editor(db):
    return make_editor(username="editor")


@pytest.fixture
def supervisor(db):
    return make_supervisor(username="supervisor")


@pytest.fixture
def department_staff(department):
    return make_department_staff(department, username="dept-staff")


@pytest.fixture
def draft(department):
    return factories.MatterFactory(
        department=department, status=codes.Status.DRAFT, name="个体工商户设立登记"
    )


def latest_history(matter):
    return matter.history.order_by("-history_date", "-history_id").first()


def test_publishing_a_draft_puts_it_on_the_catalogue(draft, editor):
    services.publish(matter=draft, actor=editor)
    draft.refresh_from_db()
    assert draft.status == codes.Status.PUBLISHED
    assert draft.published_at is not None


def test_publishing_updates_the_callers_instance(draft, editor):
    services.publish(matter=draft, actor=editor)
    assert draft.status == codes.Status.PUBLISHED


def test_the_history_records_who_published_and_why(draft, editor):
    services.publish(matter=draft, actor=editor)
    record = latest_history(draft)
    assert record.history_user == editor
    assert record.history_change_reason == "发布"
    assert record.status == codes.Status.PUBLISHED


def test_publishing_a_published_matter_is_refused(matter, editor):
    with pytest.raises(services.TransitionNotAllowed) as error:
        services.publish(matter=matter, actor=editor)
    assert "已经发布" in str(error.value)


def test_publishing_a_matter_that_breaks_a_rule_is_refused_with_the_reason(draft, editor):
    draft.__class__.objects.filter(pk=draft.pk).update(
        online_payment=True
    )  # rule 5, written around the checks
    with pytest.raises(services.MatterNotPublishable) as error:
        services.publish(matter=draft, actor=editor)
    assert "不收费的事项不能支持网上支付" in str(error.value)
    draft.refresh_from_db()
    assert draft.status == codes.Status.DRAFT


def test_publishing_a_licence_whose_steps_exceed_the_promised_limit_is_refused(draft, editor):
    factories.MatterStepFactory(matter=draft, duration_days=8)
    factories.MatterStepFactory(matter=draft, duration_days=8)
    with pytest.raises(services.MatterNotPublishable) as error:
        services.publish(matter=draft, actor=editor)
    assert "各环节时限之和（16个工作日）不能超过承诺办结时限（10个工作日）" in str(error.value)


def test_publishing_a_matter_with_an_invalid_material_is_refused(draft, editor):
    factories.MaterialRequirementFactory(
        matter=draft, name="营业执照", source="elicence", licence_type_code=""
    )
    with pytest.raises(services.MatterNotPublishable) as error:
        services.publish(matter=draft, actor=editor)
    assert "申请材料「营业执照」" in str(error.value)


def test_withdrawing_a_published_matter_records_the_reason(matter, editor):
    services.withdraw(matter=matter, actor=editor, reason="事项已取消")
    matter.refresh_from_db()
    assert matter.status == codes.Status.WITHDRAWN
    record = latest_history(matter)
    assert record.history_user == editor
    assert record.history_change_reason == "撤销：事项已取消"


def test_withdrawing_a_draft_is_refused(draft, editor):
    with pytest.raises(services.TransitionNotAllowed) as error:
        services.withdraw(matter=draft, actor=editor, reason="重复")
    assert "只有已发布的事项可以撤销" in str(error.value)


def test_withdrawing_without_a_reason_is_refused(matter, editor):
    with pytest.raises(services.CatalogueError) as error:
        services.withdraw(matter=matter, actor=editor, reason="  ")
    assert str(error.value) == "撤销事项须填写撤销原因。"


def test_a_withdrawal_reason_longer_than_the_history_keeps_is_refused(matter, editor):
    with pytest.raises(services.CatalogueError) as error:
        services.withdraw(matter=matter, actor=editor, reason="因" * 91)
    assert "撤销原因不能超过90个字" in str(error.value)


def test_a_withdrawn_matter_can_be_published_again(matter, editor):
    services.withdraw(matter=matter, actor=editor, reason="暂停办理")
    services.publish(matter=matter, actor=editor)
    matter.refresh_from_db()
    assert matter.status == codes.Status.PUBLISHED


def test_department_staff_publish_their_own_departments_matter(draft, department_staff):
    services.publish(matter=draft, actor=department_staff)
    assert latest_history(draft).history_user == department_staff


def test_staff_of_another_department_cannot_publish(draft, other_department):
    outsider = make_department_staff(other_department)
    with pytest.raises(PermissionDenied):
        services.publish(matter=draft, actor=outsider)


def test_a_supervisor_cannot_withdraw(matter, supervisor):
    with pytest.raises(PermissionDenied):
        services.withdraw(matter=matter, actor=supervisor, reason="监督检查")


def test_the_system_may_publish_without_a_person(draft):
    services.publish(matter=draft, actor=None)
    assert latest_history(draft).history_user is None


def test_saving_fills_an_empty_implementation_code(department, editor):
    matter = factories.MatterFactory.build(
        department=department, region=department.region, implementation_code=""
    )
    services.save_matter(matter=matter, actor=editor)
    assert matter.implementation_code == codes.build_implementation_code(
        department.uscc, matter.level, matter.basic_code
    )


def test_a_new_matter_is_saved_as_a_draft_whatever_its_status_says(department, editor):
    matter = factories.MatterFactory.build(department=department, region=department.region)
    services.save_matter(matter=matter, actor=editor)
    matter.refresh_from_db()
    assert matter.status == codes.Status.DRAFT


def test_saving_does_not_change_the_status(matter, editor):
    matter.status = codes.Status.WITHDRAWN
    services.save_matter(matter=matter, actor=editor)
    matter.refresh_from_db()
    assert matter.status == codes.Status.PUBLISHED


def test_saving_records_the_editor_in_the_history(matter, editor):
    matter.name = "食品经营许可（新办）"
    services.save_matter(matter=matter, actor=editor, reason="按省级目录调整名称")
    record = latest_history(matter)
    assert (record.name, record.history_user, record.history_change_reason) == (
        "食品经营许可（新办）",
        editor,
        "按省级目录调整名称",
    )


def test_saving_refuses_a_broken_rule(matter, editor):
    matter.onsite_visits = 2
    with pytest.raises(ValidationError) as error:
        services.save_matter(matter=matter, actor=editor)
    assert "onsite_visits_reason" in error.value.message_dict


def test_saving_checks_rule_8_over_the_given_steps(matter, editor):
    with pytest.raises(ValidationError):
        services.save_matter(
            matter=matter, actor=editor, steps=[factories.MatterStepFactory.build(duration_days=11)]
        )


def test_department_staff_cannot_move_a_matter_to_another_department(
    matter, department_staff, other_department
):
    matter.department = other_department
    matter.implementation_code = codes.build_implementation_code(
        other_department.uscc, matter.level, matter.basic_code
    )
    with pytest.raises(PermissionDenied):
        services.save_matter(matter=matter, actor=department_staff)


def test_department_staff_cannot_take_another_departments_matter(
    department, other_department, department_staff
):
    foreign = factories.MatterFactory(department=other_department)
    foreign.department = department
    foreign.implementation_code = codes.build_implementation_code(
        department.uscc, foreign.level, foreign.basic_code
    )
    with pytest.raises(PermissionDenied):
        services.save_matter(matter=foreign, actor=department_staff)
