"""The catalogue checkers' consistency rules (STANDARDS.md) as Matter.clean() and clean_steps()."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from matters import codes
from tests import factories


@pytest.fixture
def valid(department):
    """An unsaved promised-case licence that passes every rule."""
    return factories.MatterFactory.build(department=department, region=department.region)


def errors_of(matter) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        matter.full_clean()
    return error.value.message_dict


def test_the_factory_matter_passes_every_rule(valid):
    valid.full_clean()


def test_rule_1_an_immediate_promise_must_be_an_immediate_case(valid):
    valid.promised_limit_days = 0
    errors = errors_of(valid)
    assert "承诺时限为即办时，办件类型应为即办件。" in errors["case_type"]
    assert "承诺时限为即办时，审查类型应为即审即办。" in errors["review_type"]


def test_rule_1_a_promised_limit_must_be_a_promised_case(valid):
    valid.case_type = codes.CaseType.IMMEDIATE
    valid.review_type = codes.ReviewType.IMMEDIATE
    errors = errors_of(valid)
    assert "承诺时限不是即办时，办件类型应为承诺件。" in errors["case_type"]
    assert "承诺时限不是即办时，审查类型应为前审后批。" in errors["review_type"]


def test_rule_1_an_immediate_case_with_immediate_review_is_consistent(valid):
    valid.promised_limit_days = 0
    valid.case_type = codes.CaseType.IMMEDIATE
    valid.review_type = codes.ReviewType.IMMEDIATE
    valid.full_clean()


def test_rule_2_onsite_visits_need_a_reason(valid):
    valid.onsite_visits = 1
    valid.online_depth = codes.OnlineDepth.APPLY
    assert errors_of(valid)["onsite_visits_reason"] == ["到办事现场次数不为0时，须填写需到现场的原因。"]


def test_rule_3_no_visit_requires_online_handling_or_express_delivery(valid):
    valid.online_apply = False
    valid.express_delivery = False
    assert errors_of(valid)["onsite_visits"] == ["到办事现场次数为0时，须支持网上申办或物流快递。"]


def test_rule_3_express_delivery_alone_allows_no_visit(valid):
    valid.online_apply = False
    valid.express_delivery = True
    valid.full_clean()


def test_rule_4_full_online_handling_means_no_visit(valid):
    valid.onsite_visits = 1
    valid.onsite_visits_reason = "核验原件"
    valid.online_depth = codes.OnlineDepth.FULL
    assert errors_of(valid)["online_depth"] == ["网上办理深度为四级（全程网办）时，到办事现场次数须为0。"]


def test_rule_5_no_fee_means_no_online_payment(valid):
    valid.fee_required = False
    valid.online_payment = True
    assert errors_of(valid)["online_payment"] == ["不收费的事项不能支持网上支付。"]


def test_a_fee_needs_its_standard(valid):
    valid.fee_required = True
    assert errors_of(valid)["fee_standard"] == ["收费事项须填写收费标准。"]


def test_rule_6_a_result_name_requires_a_sample(valid):
    valid.result_name = "食品经营许可证"
    assert errors_of(valid)["result_sample"] == ["填写了办理结果名称时，须上传办理结果样本。"]


def test_rule_6_a_result_name_with_its_sample_is_consistent(valid):
    valid.result_name = "食品经营许可证"
    valid.result_sample = SimpleUploadedFile("sample.pdf", b"%PDF-1.4 sample")
    valid.full_clean()


def test_rule_7_the_two_phones_must_differ(valid):
    valid.supervision_phone = valid.consultation_phone
    assert errors_of(valid)["supervision_phone"] == ["监督投诉电话不能与咨询电话相同。"]


@pytest.mark.parametrize("field", ["consultation_phone", "supervision_phone"])
def test_rule_7_a_phone_without_area_code_is_refused(valid, field):
    setattr(valid, field, "88888888")
    assert errors_of(valid)[field] == ["请填写带区号的固定电话，例如 0760-88888888。"]


def test_rule_8_licence_steps_may_not_exceed_the_promised_limit(valid):
    steps = [
        factories.MatterStepFactory.build(duration_days=6),
        factories.MatterStepFactory.build(duration_days=5),
    ]
    with pytest.raises(ValidationError) as error:
        valid.clean_steps(steps)
    assert error.value.messages == [
        "行政许可事项各环节时限之和（11个工作日）不能超过承诺办结时限（10个工作日）。"
    ]


def test_rule_8_steps_adding_up_to_the_promised_limit_are_accepted(valid):
    valid.clean_steps([factories.MatterStepFactory.build(duration_days=5) for _ in range(2)])


def test_rule_8_applies_to_licences_only(valid):
    valid.matter_type = codes.MatterType.PUBLIC_SERVICE
    valid.clean_steps([factories.MatterStepFactory.build(duration_days=30)])


def test_the_promised_limit_may_not_exceed_the_legal_limit(valid):
    valid.promised_limit_days = 25
    assert "承诺办结时限不能超过法定办结时限。" in errors_of(valid)["promised_limit_days"]


def test_the_implementation_code_must_be_department_uscc_level_and_basic_code(valid, other_department):
    valid.implementation_code = codes.build_implementation_code(
        other_department.uscc, valid.level, valid.basic_code
    )
    expected = codes.build_implementation_code(valid.department.uscc, valid.level, valid.basic_code)
    assert errors_of(valid)["implementation_code"] == [
        f"实施编码应为实施主体统一社会信用代码 + 行使层级 + 基本编码，即 {expected}。"
    ]


def test_an_implementation_code_with_a_wrong_uscc_check_character_is_refused(valid):
    code = valid.implementation_code
    wrong = "0" if code[17] != "0" else "1"
    valid.implementation_code = code[:17] + wrong + code[18:]
    messages = errors_of(valid)["implementation_code"]
    assert "实施编码前18位不是有效的统一社会信用代码（校验位不正确）。" in messages


def test_an_implementation_code_of_the_wrong_length_is_refused(valid):
    valid.implementation_code = valid.implementation_code[:30]
    assert "实施编码应为31位，当前为30位。" in errors_of(valid)["implementation_code"]
