"""专业信息校验 of each field type: valid answers are cleaned to JSON, invalid ones get a Chinese message."""

import datetime

import pytest
import time_machine

from applications.forms_engine import validate_data
from matters.forms_spec import load_spec
from tests import factories

pytestmark = pytest.mark.django_db

ID_NUMBER = factories.make_id_number("19900101", 2)  # ends in X
USCC = factories.make_uscc(7, prefix="91442000")


def one_field(matter, **field):
    load_spec(matter, {"fields": [{"key": "answer", "label": "答案", **field}]})


def check(matter, value):
    return validate_data(matter, {"answer": value})


def test_a_text_answer_is_kept_trimmed(matter):
    one_field(matter, type="text", max_length=10)
    assert check(matter, "  张三  ") == ({"answer": "张三"}, {})


def test_a_missing_required_answer_asks_to_fill_it_in(matter):
    one_field(matter, type="text")
    assert check(matter, "")[1] == {"answer": ["请填写此项。"]}


def test_an_optional_empty_answer_is_stored_as_none(matter):
    one_field(matter, type="text", required=False)
    assert check(matter, "") == ({"answer": None}, {})


def test_a_too_long_text_says_how_long_it_may_be(matter):
    one_field(matter, type="text", max_length=5)
    assert check(matter, "一二三四五六")[1] == {"answer": ["不能超过5个字（已填6个）。"]}


def test_a_too_short_text_says_how_long_it_must_be(matter):
    one_field(matter, type="textarea", min_length=10)
    assert check(matter, "太短")[1] == {"answer": ["至少填写10个字（已填2个）。"]}


def test_a_text_without_a_set_maximum_still_has_one(matter):
    one_field(matter, type="text")
    assert check(matter, "字" * 501)[1] == {"answer": ["不能超过500个字（已填501个）。"]}


def test_a_pattern_must_match_the_whole_answer_with_its_own_message(matter):
    one_field(matter, type="text", pattern=r"\d{6}", pattern_message="请填写6位邮政编码。")
    assert check(matter, "528400") == ({"answer": "528400"}, {})
    assert check(matter, "5284001")[1] == {"answer": ["请填写6位邮政编码。"]}


def test_an_integer_within_its_range_is_a_number(matter):
    one_field(matter, type="integer", min=1, max=99)
    assert check(matter, "12") == ({"answer": 12}, {})
    assert check(matter, 12) == ({"answer": 12}, {})


def test_an_integer_out_of_range_names_the_limit(matter):
    one_field(matter, type="integer", min=1, max=99)
    assert check(matter, 0)[1] == {"answer": ["不能小于1。"]}
    assert check(matter, 100)[1] == {"answer": ["不能大于99。"]}


def test_a_fraction_is_not_an_integer(matter):
    one_field(matter, type="integer")
    assert check(matter, "3.5")[1] == {"answer": ["请输入整数。"]}


def test_a_decimal_is_stored_as_a_string_with_its_places(matter):
    one_field(matter, type="decimal", min=0, decimal_places=2)
    assert check(matter, "12.5") == ({"answer": "12.50"}, {})
    assert check(matter, 12.5) == ({"answer": "12.50"}, {})


def test_a_decimal_with_too_many_places_is_refused(matter):
    one_field(matter, type="decimal", decimal_places=2)
    assert check(matter, "1.234")[1] == {"answer": ["最多保留2位小数。"]}


def test_a_decimal_below_its_minimum_is_refused(matter):
    one_field(matter, type="decimal", min="0.01")
    assert check(matter, "0")[1] == {"answer": ["不能小于0.01。"]}


def test_a_word_is_not_a_number(matter):
    one_field(matter, type="decimal")
    assert check(matter, "十二")[1] == {"answer": ["请输入数字。"]}


def test_a_date_is_stored_as_an_iso_string(matter):
    one_field(matter, type="date")
    assert check(matter, "2025/3/8") == ({"answer": "2025-03-08"}, {})


def test_an_impossible_date_is_refused(matter):
    one_field(matter, type="date")
    assert check(matter, "2025-02-30")[1] == {"answer": ["请输入有效的日期，例如 2025-01-31。"]}


def test_absolute_date_bounds_are_enforced(matter):
    one_field(matter, type="date", min="2025-01-01", max="2025-12-31")
    assert check(matter, "2024-12-31")[1] == {"answer": ["不能早于2025-01-01。"]}
    assert check(matter, "2026-01-01")[1] == {"answer": ["不能晚于2025-12-31。"]}


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_relative_date_bounds_follow_today(matter):
    one_field(matter, type="date", min="today+1", max="today+30")
    assert check(matter, "2026-03-11") == ({"answer": "2026-03-11"}, {})
    assert check(matter, "2026-03-10")[1] == {"answer": ["不能早于今天起1天后（2026-03-11）。"]}
    assert check(matter, "2026-04-10")[1] == {"answer": ["不能晚于今天起30天后（2026-04-09）。"]}


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_an_age_limit_in_years_is_a_relative_bound(matter):
    one_field(matter, type="date", max="today-18y")
    assert check(matter, "2008-03-10") == ({"answer": "2008-03-10"}, {})
    assert check(matter, "2008-03-11")[1] == {"answer": ["不能晚于18年前的今天（2008-03-10）。"]}


def test_a_single_choice_keeps_the_value(matter):
    one_field(matter, type="choice", options=["personal|个人经营", "family|家庭经营"])
    assert check(matter, "family") == ({"answer": "family"}, {})


def test_a_value_that_is_not_an_option_is_refused(matter):
    one_field(matter, type="choice", options=["个人经营", "家庭经营"])
    assert check(matter, "合伙经营")[1] == {"answer": ["「合伙经营」不是可选项，请从列表中选择。"]}


def test_a_required_choice_asks_to_choose(matter):
    one_field(matter, type="choice", options=["是", "否"])
    assert check(matter, None)[1] == {"answer": ["请选择此项。"]}


def test_a_multiple_choice_is_a_list_of_values(matter):
    one_field(matter, type="multi_choice", options=["热食类", "冷食类", "生食类"], max_items=2)
    assert check(matter, ["热食类", "冷食类"]) == ({"answer": ["热食类", "冷食类"]}, {})


def test_a_multiple_choice_limits_how_many_are_chosen(matter):
    one_field(matter, type="multi_choice", options=["热食类", "冷食类", "生食类"], min_items=2, max_items=2)
    assert check(matter, ["热食类"])[1] == {"answer": ["至少2项。"]}
    assert check(matter, ["热食类", "冷食类", "生食类"])[1] == {"answer": ["最多2项。"]}


def test_a_multiple_choice_answer_must_be_a_list(matter):
    one_field(matter, type="multi_choice", options=["热食类", "冷食类"])
    assert check(matter, "热食类")[1] == {"answer": ["格式不正确，应为选项取值的列表。"]}


def test_a_required_tick_box_must_be_ticked(matter):
    one_field(matter, type="boolean")
    assert check(matter, True) == ({"answer": True}, {})
    assert check(matter, False)[1] == {"answer": ["请勾选此项。"]}


def test_an_id_number_is_normalised_and_checked(matter):
    one_field(matter, type="id_number")
    assert check(matter, ID_NUMBER.lower() + " ") == ({"answer": ID_NUMBER}, {})
    wrong = ID_NUMBER[:-1] + "0"
    assert check(matter, wrong)[1] == {"answer": ["身份证号码校验位不正确，请核对后重新输入。"]}


def test_a_short_id_number_says_its_length(matter):
    one_field(matter, type="id_number")
    assert check(matter, "44200019900101")[1] == {"answer": ["身份证号码应为18位，当前为14位。"]}


def test_a_uscc_is_normalised_and_checked(matter):
    one_field(matter, type="uscc")
    assert check(matter, USCC.lower()) == ({"answer": USCC}, {})
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    assert check(matter, wrong)[1] == {"answer": ["统一社会信用代码校验位不正确，请核对后重新输入。"]}


def test_a_mobile_number_loses_its_country_prefix(matter):
    one_field(matter, type="mobile")
    assert check(matter, "+86 138-0013-8000") == ({"answer": "13800138000"}, {})
    assert check(matter, "12800138000")[1] == {"answer": ["请输入11位手机号码，例如 13800138000。"]}


def test_a_landline_needs_its_area_code(matter):
    one_field(matter, type="phone")
    assert check(matter, "0760-88888888") == ({"answer": "0760-88888888"}, {})
    assert check(matter, "88888888")[1] == {"answer": ["请填写带区号的固定电话，例如 0760-88888888。"]}


def test_an_email_address_is_checked(matter):
    one_field(matter, type="email")
    assert check(matter, "li.si@example.cn") == ({"answer": "li.si@example.cn"}, {})
    assert check(matter, "li.si@")[1] == {"answer": ["请输入有效的电子邮箱地址，例如 name@example.cn。"]}


@pytest.fixture
def towns(db):
    city = factories.RegionFactory()
    factories.RegionFactory(code="442000001000", name="石岐街道", kind="town", parent=city)
    factories.RegionFactory(code="442000100000", name="小榄镇", kind="town", parent=city)
    return city


def test_an_address_names_its_region_in_full(matter, towns):
    one_field(matter, type="address")
    answer = {"region": "442000100000", "detail": "升平中路8号"}
    assert check(matter, answer) == (
        {"answer": {"region": "442000100000", "region_name": "中山市小榄镇", "detail": "升平中路8号"}},
        {},
    )


def test_an_address_needs_both_region_and_detail(matter, towns):
    one_field(matter, type="address")
    assert check(matter, {"region": "442000100000", "detail": ""})[1] == {
        "answer": ["请同时选择所在区域并填写详细地址。"]
    }


def test_an_address_in_an_unknown_region_is_refused(matter, towns):
    one_field(matter, type="address")
    assert check(matter, {"region": "110000000000", "detail": "长安街1号"})[1] == {
        "answer": ["请从列表中选择所在区域。"]
    }


TABLE = {
    "type": "table",
    "min_items": 1,
    "max_items": 3,
    "columns": [
        {"key": "name", "label": "姓名", "type": "text", "max_length": 20},
        {"key": "share", "label": "出资比例（%）", "type": "decimal", "min": 0, "max": 100},
        {"key": "note", "label": "备注", "type": "text", "required": False},
    ],
}


def test_table_rows_are_cleaned_cell_by_cell(matter):
    one_field(matter, **TABLE)
    rows = [{"name": "张三", "share": "60"}, {"name": "李四", "share": 40, "note": "监事"}]
    assert check(matter, rows) == (
        {
            "answer": [
                {"name": "张三", "share": "60.00", "note": None},
                {"name": "李四", "share": "40.00", "note": "监事"},
            ]
        },
        {},
    )


def test_a_bad_cell_is_named_by_row_and_column(matter):
    one_field(matter, **TABLE)
    rows = [{"name": "张三", "share": "60"}, {"name": "", "share": "140"}]
    assert check(matter, rows)[1] == {
        "answer": ["第2行「姓名」：请填写此项。", "第2行「出资比例（%）」：不能大于100。"]
    }


def test_blank_rows_are_ignored(matter):
    one_field(matter, **TABLE)
    rows = [{"name": "张三", "share": "100"}, {"name": "", "share": "", "note": ""}]
    assert check(matter, rows) == ({"answer": [{"name": "张三", "share": "100.00", "note": None}]}, {})


def test_a_table_limits_its_rows(matter):
    one_field(matter, **TABLE)
    rows = [{"name": f"股东{i}", "share": "10"} for i in range(4)]
    assert check(matter, rows)[1] == {"answer": ["最多填写3行。"]}


def test_a_required_table_needs_a_row(matter):
    one_field(matter, **TABLE)
    assert check(matter, [])[1] == {"answer": ["请至少填写一行。"]}


def test_a_row_with_an_unknown_column_is_refused(matter):
    one_field(matter, **TABLE)
    assert check(matter, [{"name": "张三", "share": "1", "age": 30}])[1] == {
        "answer": ["第1行：表格中没有「age」列。"]
    }


def test_an_answer_to_a_question_the_form_does_not_ask_is_an_error(matter):
    one_field(matter, type="text", required=False)
    assert validate_data(matter, {"answer": "", "extra": "1"})[1] == {"extra": ["表单中没有此项。"]}


def test_cleaned_answers_validate_again_unchanged(matter, towns):
    load_spec(
        matter,
        {
            "fields": [
                {"key": "name", "label": "姓名", "type": "text"},
                {"key": "amount", "label": "金额", "type": "decimal"},
                {"key": "day", "label": "日期", "type": "date"},
                {"key": "kinds", "label": "类别", "type": "multi_choice", "options": ["甲", "乙"]},
                {"key": "agree", "label": "承诺", "type": "boolean"},
                {"key": "place", "label": "地址", "type": "address"},
                {"key": "rows", **TABLE, "label": "股东"},
            ]
        },
    )
    data = {
        "name": "张三",
        "amount": "8",
        "day": "2025-1-2",
        "kinds": ["乙"],
        "agree": True,
        "place": {"region": "442000001000", "detail": "孙文中路1号"},
        "rows": [{"name": "张三", "share": "100"}],
    }
    cleaned, errors = validate_data(matter, data)
    assert errors == {}
    assert validate_data(matter, cleaned) == (cleaned, {})
