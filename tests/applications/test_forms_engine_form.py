"""The web form generated from a spec: inputs, prefill, errors in place, table rows without JavaScript."""

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string

from applications.forms_engine import build_form
from matters.forms_spec import load_spec
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "李四",
    "id_number": factories.make_id_number(),
    "mobile": "13800138000",
    "email": "li.si@example.cn",
    "org_name": "中山市示例餐饮有限公司",
    "org_code": factories.make_uscc(7, prefix="91442000"),
}

APPLICANT_FORM = {
    "intro": "请如实填写。",
    "fields": [
        {"key": "name", "label": "申请人姓名", "type": "text", "prefill": "name", "help": "与身份证件一致"},
        {"key": "id_number", "label": "身份证号码", "type": "id_number", "prefill": "id_number"},
        {"key": "mobile", "label": "联系电话", "type": "mobile", "prefill": "mobile"},
        {"key": "email", "label": "电子邮箱", "type": "email", "prefill": "email", "required": False},
        {"key": "org", "label": "企业名称", "type": "text", "prefill": "org_name"},
        {"key": "uscc", "label": "统一社会信用代码", "type": "uscc", "prefill": "org_code"},
        {"key": "area", "label": "经营面积（平方米）", "type": "decimal", "min": 0, "max": 10000},
        {"key": "staff", "label": "从业人员数", "type": "integer", "min": 1},
        {"key": "opening", "label": "开业日期", "type": "date", "min": "2020-01-01"},
        {
            "key": "mode",
            "label": "经营方式",
            "type": "choice",
            "options": ["个人经营", "家庭经营"],
            "default": "个人经营",
        },
    ],
}


def render(form) -> str:
    return render_to_string("applications/form/form.html", {"form": form})


def post(**values) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def test_the_profile_fills_the_form_in_advance(matter):
    load_spec(matter, APPLICANT_FORM)
    form = build_form(matter, profile=PROFILE)
    assert form["name"].value() == "李四"
    assert form["id_number"].value() == PROFILE["id_number"]
    assert form["mobile"].value() == "13800138000"
    assert form["email"].value() == "li.si@example.cn"
    assert form["org"].value() == "中山市示例餐饮有限公司"
    assert form["uscc"].value() == PROFILE["org_code"]


def test_a_drafts_answers_win_over_the_profile_and_defaults(matter):
    load_spec(matter, APPLICANT_FORM)
    form = build_form(matter, profile=PROFILE, answers={"mobile": "13900139000", "mode": "家庭经营"})
    assert form["mobile"].value() == "13900139000"
    assert form["mode"].value() == "家庭经营"


def test_a_default_fills_an_unanswered_field(matter):
    load_spec(matter, APPLICANT_FORM)
    assert build_form(matter)["mode"].value() == "个人经营"


def test_inputs_have_fitting_types_and_autocomplete(matter):
    load_spec(matter, APPLICANT_FORM)
    html = render(build_form(matter, profile=PROFILE))
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert 'type="email"' in html and 'autocomplete="email"' in html
    assert 'autocomplete="name"' in html
    assert 'autocomplete="organization"' in html
    assert 'type="date"' in html and 'min="2020-01-01"' in html
    assert 'type="number"' in html and 'step="0.01"' in html
    assert 'type="radio"' in html


def test_every_field_has_its_label_and_help_text(matter):
    load_spec(matter, APPLICANT_FORM)
    html = render(build_form(matter))
    assert '<label for="id_name">申请人姓名' in html
    assert "与身份证件一致" in html
    assert "请如实填写。" in html


def test_errors_are_shown_next_to_their_field(matter):
    load_spec(matter, APPLICANT_FORM)
    form = build_form(matter, post(name="李四", id_number="123", mobile="138", area="-1", staff="0"))
    assert not form.is_valid()
    html = render(form)
    assert form.errors["id_number"] == ["身份证号码应为18位，当前为3位。"]
    assert form.errors["area"] == ["不能小于0。"]
    assert 'id="id_id_number_error"' in html
    assert "身份证号码应为18位，当前为3位。" in html
    assert 'aria-invalid="true"' in html


def test_a_valid_form_gives_json_answers(matter):
    load_spec(matter, APPLICANT_FORM)
    data = post(
        name="李四",
        id_number=PROFILE["id_number"],
        mobile="13800138000",
        email="",
        org="中山市示例餐饮有限公司",
        uscc=PROFILE["org_code"],
        area="35.5",
        staff="3",
        opening="2024-06-01",
        mode="家庭经营",
    )
    form = build_form(matter, data)
    assert form.is_valid(), form.errors
    assert form.json_data == {
        "name": "李四",
        "id_number": PROFILE["id_number"],
        "mobile": "13800138000",
        "email": None,
        "org": "中山市示例餐饮有限公司",
        "uscc": PROFILE["org_code"],
        "area": "35.50",
        "staff": 3,
        "opening": "2024-06-01",
        "mode": "家庭经营",
    }
    assert form.version == 1


def test_a_rule_error_lands_on_its_field_in_the_web_form(matter):
    load_spec(
        matter,
        {
            "fields": [
                {"key": "start", "label": "开始日期", "type": "date"},
                {"key": "end", "label": "结束日期", "type": "date"},
            ],
            "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
        },
    )
    form = build_form(matter, post(start="2025-05-02", end="2025-05-01"))
    assert not form.is_valid()
    assert form.errors == {"end": ["「结束日期」应晚于「开始日期」。"]}


def test_a_conditional_requirement_is_explained_in_the_help_text(matter):
    load_spec(
        matter,
        {
            "fields": [
                {"key": "status", "label": "婚姻状况", "type": "choice", "options": ["未婚", "已婚"]},
                {"key": "spouse", "label": "配偶姓名", "type": "text", "required": False},
            ],
            "rules": [{"kind": "required_if", "field": "spouse", "other": "status", "values": ["已婚"]}],
        },
    )
    assert "「婚姻状况」为“已婚”时必填。" in render(build_form(matter))


def test_many_options_are_a_select_and_multiple_choices_are_checkboxes(matter):
    options = [f"选项{i}" for i in range(8)]
    load_spec(
        matter,
        {
            "fields": [
                {"key": "one", "label": "单选", "type": "choice", "options": options},
                {"key": "many", "label": "多选", "type": "multi_choice", "options": options[:3]},
                {"key": "agree", "label": "本人承诺所填信息真实有效", "type": "boolean"},
            ]
        },
    )
    html = render(build_form(matter))
    assert '<select name="one"' in html and "请选择" in html
    assert html.count('type="checkbox" name="many"') == 3
    assert "<legend>多选" in html
    assert 'type="checkbox" name="agree"' in html


@pytest.fixture
def towns(db):
    city = factories.RegionFactory()
    factories.RegionFactory(code="442000001000", name="石岐街道", kind="town", parent=city)
    factories.RegionFactory(code="442000100000", name="小榄镇", kind="town", parent=city)


def test_an_address_is_a_labelled_region_select_and_detail_line(matter, towns):
    load_spec(matter, {"fields": [{"key": "site", "label": "经营场所", "type": "address"}]})
    html = render(build_form(matter))
    assert "<legend>经营场所" in html
    assert '<label for="id_site_region">所在区域</label>' in html
    assert '<option value="442000100000">小榄镇</option>' in html
    assert '<label for="id_site_detail">详细地址</label>' in html
    assert 'autocomplete="street-address"' in html


def test_an_address_posted_from_the_form_is_stored_with_its_region_name(matter, towns):
    load_spec(matter, {"fields": [{"key": "site", "label": "经营场所", "type": "address"}]})
    form = build_form(matter, post(site_region="442000001000", site_detail="孙文中路1号"))
    assert form.is_valid(), form.errors
    assert form.json_data == {
        "site": {"region": "442000001000", "region_name": "中山市石岐街道", "detail": "孙文中路1号"}
    }


FAMILY = {
    "fields": [
        {
            "key": "members",
            "label": "家庭成员",
            "type": "table",
            "max_items": 3,
            "columns": [
                {"key": "name", "label": "姓名", "type": "text"},
                {"key": "relation", "label": "关系", "type": "choice", "options": ["配偶", "子女", "父母"]},
                {"key": "income", "label": "月收入（元）", "type": "decimal", "min": 0, "required": False},
            ],
        }
    ]
}


def test_a_table_starts_with_one_blank_row_and_an_add_button(matter):
    load_spec(matter, FAMILY)
    html = render(build_form(matter))
    assert '<input type="hidden" name="members-rows" value="1">' in html
    assert 'name="members-0-name"' in html
    assert 'aria-label="第1行 姓名"' in html
    assert 'name="members-add"' in html and "增加一行" in html


def test_adding_a_row_shows_the_form_again_with_one_more_row_and_no_errors(matter):
    load_spec(matter, FAMILY)
    data = post(
        **{"members-rows": "1", "members-0-name": "王五", "members-0-relation": "配偶", "members-add": "1"}
    )
    form = build_form(matter, data)
    assert form.adding_row
    assert not form.is_valid()
    assert form.errors == {}
    html = render(form)
    assert 'name="members-rows" value="2"' in html
    assert 'name="members-1-name"' in html
    assert 'value="王五"' in html


def test_no_more_rows_can_be_added_than_allowed(matter):
    load_spec(matter, FAMILY)
    data = post(**{"members-rows": "3", "members-add": "1"})
    html = render(build_form(matter, data))
    assert 'name="members-rows" value="3"' in html
    assert 'name="members-add"' not in html


def test_posted_table_rows_are_cleaned_and_blank_ones_dropped(matter):
    load_spec(matter, FAMILY)
    data = post(
        **{
            "members-rows": "3",
            "members-0-name": "王五",
            "members-0-relation": "配偶",
            "members-0-income": "3500",
            "members-1-name": "",
            "members-1-relation": "",
            "members-2-name": "王小明",
            "members-2-relation": "子女",
        }
    )
    form = build_form(matter, data)
    assert form.is_valid(), form.errors
    assert form.json_data == {
        "members": [
            {"name": "王五", "relation": "配偶", "income": "3500.00"},
            {"name": "王小明", "relation": "子女", "income": None},
        ]
    }


def test_a_bad_cell_is_reported_next_to_the_table(matter):
    load_spec(matter, FAMILY)
    data = post(**{"members-rows": "1", "members-0-name": "王五", "members-0-relation": "兄弟"})
    form = build_form(matter, data)
    assert not form.is_valid()
    assert "第1行「关系」：「兄弟」不是可选项，请从列表中选择。" in render(form)


def test_a_table_is_refilled_from_a_drafts_rows(matter):
    load_spec(matter, FAMILY)
    rows = [{"name": "王五", "relation": "配偶", "income": "3500.00"}, {"name": "王小明", "relation": "子女"}]
    html = render(build_form(matter, answers={"members": rows}))
    assert 'name="members-rows" value="2"' in html
    assert 'value="王小明"' in html
    assert 'value="3500.00"' in html


def test_a_form_can_live_under_a_prefix(matter):
    load_spec(matter, FAMILY)
    data = post(
        **{"form-members-rows": "1", "form-members-0-name": "王五", "form-members-0-relation": "父母"}
    )
    form = build_form(matter, data, prefix="form")
    assert form.is_valid(), form.errors
    assert form.json_data["members"][0]["relation"] == "父母"
