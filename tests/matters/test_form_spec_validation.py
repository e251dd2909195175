"""A form specification is checked when saved: every problem named in Chinese, nothing saved."""

import pytest
from django.core.exceptions import ValidationError

from matters.forms_spec import FormField, FormSpec, load_spec

pytestmark = pytest.mark.django_db


def problems(matter, spec) -> list[str]:
    with pytest.raises(ValidationError) as error:
        load_spec(matter, spec)
    return error.value.messages


def field(**attrs):
    return {"key": "answer", "label": "答案", "type": "text", **attrs}


def test_a_pattern_that_does_not_compile_is_refused(matter):
    messages = problems(matter, {"fields": [field(pattern="[0-9")]})
    assert len(messages) == 1
    assert messages[0].startswith("字段「答案」：正则表达式有误：")


def test_a_minimum_above_the_maximum_is_refused(matter):
    assert problems(matter, {"fields": [field(type="integer", min=10, max=1)]}) == [
        "字段「答案」：最大值不能小于最小值。"
    ]


def test_a_minimum_length_above_the_maximum_is_refused(matter):
    assert problems(matter, {"fields": [field(min_length=10, max_length=5)]}) == [
        "字段「答案」：最多字数不能小于最少字数。"
    ]


def test_a_latest_date_before_the_earliest_is_refused(matter):
    assert problems(matter, {"fields": [field(type="date", min="2025-02-01", max="2025-01-01")]}) == [
        "字段「答案」：最晚日期不能早于最早日期。"
    ]


def test_a_date_bound_that_cannot_be_read_is_refused(matter):
    assert problems(matter, {"fields": [field(type="date", min="tomorrow")]}) == [
        "字段「答案」：日期「tomorrow」无法识别：请写 YYYY-MM-DD，或 today、today+30、today-18y。"
    ]


def test_an_integer_field_needs_whole_bounds(matter):
    assert problems(matter, {"fields": [field(type="integer", min="0.5")]}) == [
        "字段「答案」：整数字段的取值范围须为整数。"
    ]


def test_a_limit_that_does_not_apply_to_the_type_is_refused(matter):
    assert problems(matter, {"fields": [field(type="date", max_length=5)]}) == [
        "字段「答案」：「最多字数」只适用于：单行文本、多行文本、地址（区域 + 详细地址）。"
    ]


def test_a_duplicate_key_is_refused(matter):
    assert problems(matter, {"fields": [field(), field(label="另一个答案")]}) == [
        "字段「另一个答案」：字段标识「answer」与第1个字段重复。"
    ]


def test_a_key_must_be_an_ascii_identifier(matter):
    assert problems(matter, {"fields": [field(key="姓名")]}) == [
        "字段「答案」：字段标识须以英文字母开头，只含英文字母、数字和下划线，不超过40个字符。"
    ]


def test_a_choice_field_needs_options(matter):
    assert problems(matter, {"fields": [field(type="choice")]}) == [
        "字段「答案」：单选和多选字段至少需要一个选项。"
    ]


def test_options_must_be_unique(matter):
    assert problems(matter, {"fields": [field(type="choice", options=["是", "是"])]}) == [
        "字段「答案」：选项取值「是」重复。"
    ]


def test_a_default_must_be_one_of_the_options(matter):
    assert problems(matter, {"fields": [field(type="choice", options=["是", "否"], default="可能")]}) == [
        "字段「答案」：默认值不合规：「可能」不是选项之一。"
    ]


def test_a_profile_value_only_fills_a_field_of_a_fitting_type(matter):
    assert problems(matter, {"fields": [field(type="date", prefill="id_number")]}) == [
        "字段「答案」：「身份证号码」不能预填到日期字段。"
    ]


def test_a_table_needs_valid_columns(matter):
    table = field(
        type="table",
        columns=[
            {"key": "name", "label": "姓名", "type": "text"},
            {"key": "name", "label": "名称", "type": "text"},
            {"key": "rows", "label": "子表", "type": "table"},
        ],
    )
    assert problems(matter, {"fields": [table]}) == [
        "字段「答案」：列标识「name」重复。",
        "字段「答案」：第3列「子表」：表格列不能是表格、地址或多选类型。",
        "字段「答案」：第3列「子表」：表格字段至少需要一列。",
    ]


def test_an_unknown_attribute_is_refused(matter):
    assert problems(matter, {"fields": [field(maxlength=5)]}) == ["第1个字段：不认识的属性：maxlength。"]


def test_an_unknown_field_type_is_refused(matter):
    assert problems(matter, {"fields": [field(type="photo")]}) == [
        "第1个字段：字段「答案」的类型「photo」不受支持。"
    ]


def test_a_rule_on_an_unknown_field_is_refused(matter):
    spec = {
        "fields": [field(type="date")],
        "rules": [{"kind": "less_than", "field": "answer", "other": "end_date"}],
    }
    assert problems(matter, spec) == ["第1条规则：表单中没有标识为「end_date」的字段。"]


def test_a_rule_comparing_a_date_with_a_text_is_refused(matter):
    spec = {
        "fields": [field(type="date"), {"key": "note", "label": "备注", "type": "text"}],
        "rules": [{"kind": "less_than", "field": "answer", "other": "note"}],
    }
    assert problems(matter, spec) == [
        "第1条规则：先后规则只能比较两个日期字段或两个数字字段，「答案」和「备注」不能比较。"
    ]


def test_a_condition_must_name_an_existing_option(matter):
    spec = {
        "fields": [
            field(type="choice", options=["未婚", "已婚"]),
            {"key": "spouse", "label": "配偶姓名", "type": "text", "required": False},
        ],
        "rules": [{"kind": "required_if", "field": "spouse", "other": "answer", "values": ["离异"]}],
    }
    assert problems(matter, spec) == ["第1条规则：「答案」没有取值「离异」，可选：未婚、已婚。"]


def test_a_conditional_requirement_on_a_required_field_is_refused(matter):
    spec = {
        "fields": [
            field(type="boolean", required=False),
            {"key": "agent", "label": "代理人", "type": "text"},
        ],
        "rules": [{"kind": "required_if", "field": "agent", "other": "answer", "values": [True]}],
    }
    assert problems(matter, spec) == ["第1条规则：「代理人」已是必填项，无需设置条件必填。"]


def test_at_least_one_needs_two_fields(matter):
    spec = {"fields": [field(required=False)], "rules": [{"kind": "at_least_one", "fields": ["answer"]}]}
    assert problems(matter, spec) == ["第1条规则：「至少填写一项」须列出两个或以上的字段标识。"]


def test_a_sum_needs_a_numeric_column(matter):
    spec = {
        "fields": [field(type="table", columns=[{"key": "name", "label": "姓名", "type": "text"}])],
        "rules": [{"kind": "column_sum_max", "field": "answer", "column": "name", "limit": 100}],
    }
    assert problems(matter, spec) == ["第1条规则：只能合计整数或小数列，「姓名」不是数字列。"]


def test_a_sum_needs_exactly_one_limit(matter):
    spec = {
        "fields": [field(type="table", columns=[{"key": "amount", "label": "金额", "type": "decimal"}])],
        "rules": [{"kind": "column_sum_max", "field": "answer", "column": "amount"}],
    }
    assert problems(matter, spec) == [
        "第1条规则：合计规则须填写「上限」或「字段B / 对照字段」之一（只填一个）。"
    ]


def test_a_rule_attribute_it_does_not_use_is_refused(matter):
    spec = {
        "fields": [field(type="date"), {"key": "end", "label": "结束", "type": "date"}],
        "rules": [{"kind": "less_than", "field": "answer", "other": "end", "values": ["x"]}],
    }
    assert problems(matter, spec) == ["第1条规则：该规则不使用「条件取值」，请清空。"]


def test_an_invalid_spec_leaves_the_saved_one_untouched(matter):
    load_spec(matter, {"fields": [field()]})
    problems(matter, {"fields": [field(), field()]})
    spec = FormSpec.objects.get(matter=matter)
    assert [f.key for f in spec.ordered_fields()] == ["answer"]
    assert spec.version == 1


def test_a_field_row_is_checked_by_full_clean(matter):
    spec = FormSpec.objects.create(matter=matter)
    row = FormField(spec=spec, key="amount", label="金额", field_type="decimal", min_value=5, max_value=1)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert error.value.message_dict == {"max_value": ["最大值不能小于最小值。"]}


def test_a_key_may_not_take_the_name_of_an_address_input(matter):
    spec = {"fields": [field(type="address"), {"key": "answer_detail", "label": "门牌号", "type": "text"}]}
    assert problems(matter, spec) == [
        "字段「门牌号」：字段标识「answer_detail」与地址字段「答案」的输入项重名，请换一个。"
    ]
