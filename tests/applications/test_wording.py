"""What the applicant reads for each state: built-in defaults, a default row, a matter's own row."""

import pytest
from django.contrib.admin.sites import AdminSite

# Imported when the module is collected, before any URLconf is built: the admin registers these
# models at import time (applications.admin imports this module).
from applications import wording
from applications.admin_wording import StateWordingAdmin, StateWordingForm
from applications.models import State, StateWording

pytestmark = pytest.mark.django_db


def test_every_state_has_a_built_in_title_and_next_step():
    for state in State:
        text = wording.default_text(state)
        assert text.title and text.next_step, state


def test_without_rows_the_built_in_wording_is_used(build):
    case = build(State.CORRECTION_REQUESTED)
    title, next_step = wording.wording_for(case)
    assert title == "待补正：需要您补充材料"
    assert "一次性补齐" in next_step


def test_a_default_row_replaces_the_built_in_wording(build):
    StateWording.objects.create(state=State.SUBMITTED, title="已收到", next_step="请耐心等待。")
    assert wording.wording_for(build(State.SUBMITTED)) == ("已收到", "请耐心等待。")


def test_a_wording_saved_or_deleted_shows_at_once_though_the_rows_are_cached(build):
    case = build(State.SUBMITTED)
    assert wording.wording_for(case).title == wording.default_text(State.SUBMITTED).title  # now cached
    row = StateWording.objects.create(state=State.SUBMITTED, title="已收到", next_step="")
    assert wording.wording_for(case).title == "已收到"
    row.title = "材料已收到"
    row.save()
    assert wording.wording_for(case).title == "材料已收到"
    row.delete()
    assert wording.wording_for(case).title == wording.default_text(State.SUBMITTED).title


def test_a_matters_own_row_wins_over_the_default_row(build, matter, department):
    from tests import factories

    other = factories.MatterFactory(department=department)
    StateWording.objects.create(state=State.SUBMITTED, title="已收到", next_step="")
    StateWording.objects.create(matter=matter, state=State.SUBMITTED, title="食品许可已收到", next_step="")
    assert wording.wording_for(build(State.SUBMITTED)).title == "食品许可已收到"
    assert wording.wording_for(build(State.SUBMITTED, matter=other)).title == "已收到"


def test_the_next_step_names_the_cases_dates(build):
    case = build(State.ACCEPTED)
    StateWording.objects.create(
        state=State.ACCEPTED, title="已受理", next_step="请于{due_date}后领取，流水号{serial}。{nonsense}"
    )
    assert (
        wording.wording_for(case).next_step
        == f"请于{case.promised_due_date:%Y-%m-%d}后领取，流水号{case.serial}。"
    )


def test_a_page_of_cases_gets_its_wording_in_one_query(build, django_assert_num_queries):
    cases = [build(State.SUBMITTED), build(State.ACCEPTED), build(State.DRAFT)]
    for case in cases:
        case.matter, case.department  # noqa: B018 -- loaded, as the list's select_related does
    with django_assert_num_queries(1):
        texts = wording.wordings_for(cases)
    assert [texts[c.pk].title for c in cases] == ["已提交，等待预审", "已受理", "草稿，尚未提交"]


def test_the_list_and_the_progress_page_use_the_configured_wording(client, citizen, build):
    case = build(State.SUBMITTED)
    StateWording.objects.create(state=State.SUBMITTED, title="材料已送达窗口", next_step="")
    client.force_login(citizen)
    assert "材料已送达窗口" in client.get("/me/applications/").content.decode()
    assert "材料已送达窗口" in client.get(case.get_absolute_url()).content.decode()
    client.logout()
    response = client.post("/progress/", {"serial": case.serial, "method": "code", "proof": case.query_code})
    assert "材料已送达窗口" in response.content.decode()


# --- The back office ------------------------------------------------------------------------


@pytest.fixture
def wording_admin():
    return StateWordingAdmin(StateWording, AdminSite())


def test_department_staff_see_only_their_own_matters_wording(
    rf, wording_admin, staff, matter, other_department
):
    from tests import factories

    theirs = factories.MatterFactory(department=other_department)
    mine = StateWording.objects.create(matter=matter, state=State.SUBMITTED, title="我的")
    StateWording.objects.create(matter=theirs, state=State.SUBMITTED, title="别人的")
    StateWording.objects.create(state=State.SUBMITTED, title="默认")
    request = rf.get("/admin/")
    request.user = staff
    assert list(wording_admin.get_queryset(request)) == [mine]


def test_only_catalogue_editors_may_leave_the_matter_blank(rf, wording_admin, staff):
    from tests import factories

    editor = factories.CatalogueEditorFactory(username="editor")
    request = rf.get("/admin/")
    matter_field = StateWording._meta.get_field("matter")
    request.user = staff
    assert wording_admin.formfield_for_foreignkey(matter_field, request).required
    request.user = editor
    assert not wording_admin.formfield_for_foreignkey(matter_field, request).required


def test_the_change_page_shows_the_built_in_wording(wording_admin):
    row = StateWording(state=State.CORRECTION_REQUESTED, title="x")
    assert "待补正：需要您补充材料" in wording_admin.built_in(row)


def test_a_second_default_for_the_same_state_is_refused_in_plain_words():
    StateWording.objects.create(state=State.SUBMITTED, title="默认")
    form = StateWordingForm({"state": State.SUBMITTED, "title": "另一条默认"})
    assert not form.is_valid()
    assert form.errors["state"] == ["所有事项（默认）的这个状态已有说明，请直接修改已有的那一条。"]
