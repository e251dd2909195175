import pytest
from django.core.exceptions import ValidationError

from portal.validators import validate_id_number, validate_mobile, validate_uscc


@pytest.mark.parametrize("value", ["11010519491231002X", "11010519491231002x"])
def test_the_published_id_number_example_is_valid(value):
    validate_id_number(value)


@pytest.mark.parametrize("value", ["91350100M000100Y43", "12441500196720244T"])
def test_the_published_uscc_examples_are_valid(value):
    validate_uscc(value)


def test_a_mobile_with_country_prefix_is_valid():
    validate_mobile("+86 138 0013 8000")


def test_a_wrong_id_check_digit_is_refused_in_chinese():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105194912310021")
    assert error.value.code == "id_check_digit"
    assert "校验位" in error.value.messages[0]
