"""Cross-field rules: each kind, with its error attached to the field the applicant must change."""

import pytest

from applications.forms_engine import validate_data
from matters.forms_spec import load_spec

pytestmark = pytest.mark.django_db

PERIOD = {
    "fields": [
        {"key": "start", "label": "开始日期", "type": "date"},
        {"key": "end", "label": "结束日期", "type": "date"},
    ],
    "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
}


def test_an_end_date_before_the_start_is_refused_next_to_the_end(matter):
    load_spec(matter, PERIOD)
    _, errors = validate_data(matter, {"start": "2025-05-01", "end": "2025-04-30"})
    assert errors == {"end": ["「结束日期」应晚于「开始日期」。"]}


def test_an_end_date_after_the_start_passes(matter):
    load_spec(matter, PERIOD)
    assert validate_data(matter, {"start": "2025-05-01", "end": "2025-05-02"})[1] == {}


def test_the_same_day_is_refused_unless_equal_is_allowed(matter):
    load_spec(matter, PERIOD)
    assert validate_data(matter, {"start": "2025-05-01", "end": "2025-05-01"})[1] != {}
    load_spec(matter, {**PERIOD, "rules": [{**PERIOD["rules"][0], "allow_equal": True}]})
    assert validate_data(matter, {"start": "2025-05-01", "end": "2025-05-01"})[1] == {}


def test_numbers_are_compared_as_numbers(matter):
    load_spec(
        matter,
        {
            "fields": [
                {"key": "low", "label": "最低价", "type": "decimal"},
                {"key": "high", "label": "最高价", "type": "integer"},
            ],
            "rules": [{"kind": "less_than", "field": "low", "other": "high", "allow_equal": True}],
        },
    )
    assert validate_data(matter, {"low": "9.5", "high": 10})[1] == {}
    assert validate_data(matter, {"low": "10.5", "high": 10})[1] == {
        "high": ["「最高价」不能小于「最低价」。"]
    }


def test_a_rule_is_not_checked_while_one_of_its_fields_is_invalid(matter):
    load_spec(matter, PERIOD)
    _, errors = validate_data(matter, {"start": "不是日期", "end": "2025-04-30"})
    assert errors == {"start": ["请输入有效的日期，例如 2025-01-31。"]}


def test_a_custom_message_replaces_the_default(matter):
    load_spec(
        matter, {**PERIOD, "rules": [{**PERIOD["rules"][0], "message": "租赁结束日期须晚于起始日期。"}]}
    )
    _, errors = validate_data(matter, {"start": "2025-05-01", "end": "2025-01-01"})
    assert errors == {"end": ["租赁结束日期须晚于起始日期。"]}


MARRIAGE = {
    "fields": [
        {
            "key": "status",
            "label": "婚姻状况",
            "type": "choice",
            "options": ["unmarried|未婚", "married|已婚"],
        },
        {"key": "spouse", "label": "配偶姓名", "type": "text", "required": False},
    ],
    "rules": [{"kind": "required_if", "field": "spouse", "other": "status", "values": ["married"]}],
}


def test_a_conditional_answer_is_required_when_the_condition_holds(matter):
    load_spec(matter, MARRIAGE)
    _, errors = validate_data(matter, {"status": "married", "spouse": ""})
    assert errors == {"spouse": ["「婚姻状况」为“已婚”时须填写此项。"]}


def test_a_conditional_answer_is_optional_otherwise(matter):
    load_spec(matter, MARRIAGE)
    assert validate_data(matter, {"status": "unmarried", "spouse": ""}) == (
        {"status": "unmarried", "spouse": None},
        {},
    )


def test_a_condition_on_a_tick_box(matter):
    load_spec(
        matter,
        {
            "fields": [
                {"key": "by_agent", "label": "委托代理人办理", "type": "boolean", "required": False},
                {"key": "agent", "label": "代理人姓名", "type": "text", "required": False},
            ],
            "rules": [{"kind": "required_if", "field": "agent", "other": "by_agent", "values": [True]}],
        },
    )
    assert validate_data(matter, {"by_agent": False})[1] == {}
    assert validate_data(matter, {"by_agent": True})[1] == {"agent": ["勾选「委托代理人办理」时须填写此项。"]}


def test_a_condition_on_a_multiple_choice(matter):
    load_spec(
        matter,
        {
            "fields": [
                {
                    "key": "kinds",
                    "label": "经营项目",
                    "type": "multi_choice",
                    "options": ["预包装食品", "热食类", "其他"],
                },
                {"key": "other", "label": "其他项目说明", "type": "text", "required": False},
            ],
            "rules": [{"kind": "required_if", "field": "other", "other": "kinds", "values": ["其他"]}],
        },
    )
    assert validate_data(matter, {"kinds": ["热食类"]})[1] == {}
    assert validate_data(matter, {"kinds": ["热食类", "其他"]})[1] == {
        "other": ["「经营项目」为“其他”时须填写此项。"]
    }


CONTACT = {
    "fields": [
        {"key": "mobile", "label": "手机号码", "type": "mobile", "required": False},
        {"key": "phone", "label": "固定电话", "type": "phone", "required": False},
    ],
    "rules": [{"kind": "at_least_one", "fields": ["mobile", "phone"]}],
}


def test_at_least_one_of_several_answers_is_required(matter):
    load_spec(matter, CONTACT)
    _, errors = validate_data(matter, {"mobile": "", "phone": ""})
    assert errors == {"mobile": ["「手机号码」「固定电话」至少填写一项。"]}


def test_any_one_of_them_is_enough(matter):
    load_spec(matter, CONTACT)
    assert validate_data(matter, {"phone": "0760-88888888"})[1] == {}


SHAREHOLDERS = {
    "fields": [
        {"key": "capital", "label": "注册资本（万元）", "type": "decimal", "min": 0},
        {
            "key": "holders",
            "label": "股东",
            "type": "table",
            "columns": [
                {"key": "name", "label": "股东名称", "type": "text"},
                {"key": "amount", "label": "认缴出资额（万元）", "type": "decimal", "min": 0},
            ],
        },
    ],
    "rules": [{"kind": "column_sum_max", "field": "holders", "column": "amount", "other": "capital"}],
}


def test_a_column_sum_may_not_exceed_another_answer(matter):
    load_spec(matter, SHAREHOLDERS)
    rows = [{"name": "张三", "amount": "60"}, {"name": "李四", "amount": "50.5"}]
    _, errors = validate_data(matter, {"capital": "100", "holders": rows})
    assert errors == {"holders": ["「认缴出资额（万元）」合计为110.5，不能超过「注册资本（万元）」（100）。"]}


def test_a_column_sum_within_the_limit_passes(matter):
    load_spec(matter, SHAREHOLDERS)
    rows = [{"name": "张三", "amount": "60"}, {"name": "李四", "amount": "40"}]
    assert validate_data(matter, {"capital": "100", "holders": rows})[1] == {}


def test_a_column_sum_may_have_a_fixed_limit(matter):
    spec = {
        **SHAREHOLDERS,
        "rules": [{"kind": "column_sum_max", "field": "holders", "column": "amount", "limit": 100}],
    }
    load_spec(matter, spec)
    rows = [{"name": "张三", "amount": "100.01"}]
    _, errors = validate_data(matter, {"capital": "1", "holders": rows})
    assert errors == {"holders": ["「认缴出资额（万元）」合计为100.01，不能超过100。"]}


def test_an_answer_broken_by_a_rule_is_left_out_of_the_cleaned_answers(matter):
    load_spec(matter, PERIOD)
    cleaned, _ = validate_data(matter, {"start": "2025-05-01", "end": "2025-04-30"})
    assert cleaned == {"start": "2025-05-01"}
