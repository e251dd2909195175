"""The API's JSON Schema (draft 2020-12) of a matter's answers."""

import jsonschema
import pytest

from applications.forms_engine import json_schema, validate_data
from matters.forms_spec import load_spec
from tests import factories

pytestmark = pytest.mark.django_db

SPEC = {
    "intro": "请如实填写。",
    "fields": [
        {"key": "name", "label": "经营者姓名", "type": "text", "max_length": 50, "help": "与身份证件一致"},
        {"key": "id_number", "label": "身份证号码", "type": "id_number"},
        {"key": "mobile", "label": "联系电话", "type": "mobile"},
        {"key": "phone", "label": "固定电话", "type": "phone", "required": False},
        {"key": "email", "label": "电子邮箱", "type": "email", "required": False},
        {"key": "uscc", "label": "统一社会信用代码", "type": "uscc", "required": False},
        {"key": "postcode", "label": "邮政编码", "type": "text", "pattern": r"\d{6}", "required": False},
        {"key": "staff", "label": "从业人员数", "type": "integer", "min": 1, "max": 500},
        {"key": "area", "label": "经营面积", "type": "decimal", "min": 0, "decimal_places": 2},
        {"key": "start", "label": "开始日期", "type": "date", "min": "today"},
        {"key": "end", "label": "结束日期", "type": "date"},
        {
            "key": "mode",
            "label": "经营方式",
            "type": "choice",
            "options": ["personal|个人经营", "family|家庭经营"],
        },
        {
            "key": "kinds",
            "label": "经营项目",
            "type": "multi_choice",
            "options": ["预包装食品", "热食类"],
            "max_items": 2,
        },
        {"key": "agree", "label": "本人承诺所填信息真实", "type": "boolean"},
        {"key": "spouse", "label": "配偶姓名", "type": "text", "required": False},
        {"key": "site", "label": "经营场所", "type": "address"},
        {
            "key": "members",
            "label": "从业人员",
            "type": "table",
            "max_items": 5,
            "columns": [
                {"key": "name", "label": "姓名", "type": "text"},
                {"key": "share", "label": "比例", "type": "decimal", "required": False},
            ],
        },
    ],
    "rules": [
        {"kind": "less_than", "field": "start", "other": "end"},
        {"kind": "required_if", "field": "spouse", "other": "mode", "values": ["family"]},
        {"kind": "at_least_one", "fields": ["phone", "email"]},
        {"kind": "column_sum_max", "field": "members", "column": "share", "limit": 100},
    ],
}


@pytest.fixture
def schema(matter):
    city = factories.RegionFactory()
    factories.RegionFactory(code="442000001000", name="石岐街道", kind="town", parent=city)
    load_spec(matter, SPEC)
    return json_schema(matter)


@pytest.fixture
def answers():
    return {
        "name": "张三",
        "id_number": factories.make_id_number(),
        "mobile": "13800138000",
        "phone": None,
        "email": "zhang@example.cn",
        "staff": 3,
        "area": "35.50",
        "start": "2999-01-01",
        "end": "2999-12-31",
        "mode": "personal",
        "kinds": ["热食类"],
        "agree": True,
        "site": {"region": "442000001000", "detail": "孙文中路1号"},
        "members": [{"name": "张三", "share": "100"}],
    }


def test_the_schema_is_a_valid_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_schema_names_the_matter_and_the_form_version(schema, matter):
    assert schema["title"] == "食品经营许可证核发申请表"
    assert schema["x-formVersion"] == 1
    assert schema["$id"].endswith(f"{matter.implementation_code}:form:v1")
    assert schema["description"] == "请如实填写。"


def test_properties_follow_the_form_order_with_labels(schema):
    assert list(schema["properties"]) == [f["key"] for f in SPEC["fields"]]
    assert schema["properties"]["name"]["title"] == "经营者姓名"
    assert schema["properties"]["name"]["description"] == "与身份证件一致"
    assert schema["additionalProperties"] is False


def test_required_fields_are_listed(schema):
    required = ["name", "id_number", "mobile", "staff", "area", "start", "end", "mode", "kinds", "agree"]
    assert schema["required"] == [*required, "site", "members"]


def test_types_and_limits_are_described(schema):
    props = schema["properties"]
    assert props["name"]["type"] == "string" and props["name"]["maxLength"] == 50
    assert props["staff"] == {"title": "从业人员数", "type": "integer", "minimum": 1, "maximum": 500}
    assert props["start"]["format"] == "date" and props["start"]["x-minDate"] == "today"
    assert props["mode"]["oneOf"] == [
        {"const": "personal", "title": "个人经营"},
        {"const": "family", "title": "家庭经营"},
    ]
    assert props["kinds"]["type"] == "array" and props["kinds"]["maxItems"] == 2
    assert props["agree"]["const"] is True
    assert props["site"]["required"] == ["region", "detail"]
    assert props["members"]["items"]["required"] == ["name"]
    assert props["email"]["anyOf"][0]["format"] == "email"


def test_rules_are_expressed_or_listed(schema):
    kinds = [rule["kind"] for rule in schema["x-rules"]]
    assert kinds == ["less_than", "required_if", "at_least_one", "column_sum_max"]
    assert len(schema["allOf"]) == 2  # required_if and at_least_one are JSON Schema conditions


def test_answers_the_server_accepts_are_valid_against_the_schema(schema, matter, answers):
    assert validate_data(matter, answers)[1] == {}
    jsonschema.Draft202012Validator(schema).validate(answers)


def test_the_schema_refuses_what_the_server_refuses(schema, answers):
    validator = jsonschema.Draft202012Validator(schema)
    for change in (
        {"mobile": "12345"},
        {"staff": 0},
        {"mode": "partnership"},
        {"agree": False},
        {"unknown": "x"},
        {"mode": "family", "spouse": None},
        {"email": None, "phone": None},
        {"site": {"region": "110000000000", "detail": "x"}},
        {"members": [{"name": "张三", "age": 3}]},
    ):
        assert not validator.is_valid({**answers, **change}), change


def test_a_matter_without_a_form_has_an_empty_object_schema(matter):
    schema = json_schema(matter)
    assert schema["properties"] == {}
    assert schema["x-formVersion"] == 0
    jsonschema.Draft202012Validator.check_schema(schema)
