"""The identity-code validators, checked against published examples, every invalid class
and properties over generated values (hypothesis)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.validators import (
    USCC_CHARSET,
    id_number_check_char,
    mask_id_number,
    mask_mobile,
    normalize_mobile,
    uscc_check_char,
    validate_id_number,
    validate_mobile,
    validate_phone_with_area_code,
    validate_uscc,
)


def error_code(validator, value) -> str:
    with pytest.raises(ValidationError) as error:
        validator(value)
    return error.value.code


# --- Resident ID number ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["11010519491231002X", "11010519491231002x", " 11010519491231002X "])
def test_the_published_id_number_example_is_valid_in_any_case(value):
    validate_id_number(value)


def test_the_check_digit_follows_gb_11643():
    assert id_number_check_char("11010519491231002") == "X"
    assert id_number_check_char("44200019900101123") == "3"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002X1", "id_length"),
        ("", "id_length"),
        ("1101051949123100AX", "id_characters"),
        ("X1010519491231002X", "id_characters"),
        ("99010519491231002X", "id_region"),
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105194913010021", "id_birth_date"),  # month 13
        ("110105209901010021", "id_birth_date"),  # in the future
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_each_invalid_class_of_id_number_has_its_own_error(value, code):
    assert error_code(validate_id_number, value) == code


def test_id_number_errors_are_in_chinese():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105194912310021")
    assert "校验位不正确" in error.value.messages[0]


def test_id_numbers_are_masked_to_first_six_and_last_four():
    assert mask_id_number("11010519491231002x") == "110105********002X"


birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))
region_codes = st.sampled_from(["110105", "442000", "440103", "370102", "310115", "510104"])


@st.composite
def valid_id_numbers(draw):
    first17 = f"{draw(region_codes)}{draw(birth_dates):%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_number_check_char(first17)


@settings(max_examples=300)
@given(valid_id_numbers())
def test_a_generated_valid_id_number_always_passes(number):
    validate_id_number(number)


@settings(max_examples=300)
@given(valid_id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_one_changed_character_of_an_id_number_always_fails(number, position, replacement):
    if number[position] == replacement:
        return
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_id_number(changed)


# --- Unified social credit code ---------------------------------------------------------


@pytest.mark.parametrize("value", ["91350100M000100Y43", "12441500196720244T", "91350100m000100y43"])
def test_the_published_uscc_examples_are_valid(value):
    validate_uscc(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y4", "uscc_length"),
        ("91350100M000100Y433", "uscc_length"),
        ("91350100M000100I43", "uscc_characters"),  # I is not in the GB 32100 set
        ("91350100O000100Y43", "uscc_characters"),
        ("913501Z0M000100Y43", "uscc_characters"),
        ("91A50100M000100Y43", "uscc_region"),
        ("91350100M000100Y44", "uscc_check_char"),
    ],
)
def test_each_invalid_class_of_uscc_has_its_own_error(value, code):
    assert error_code(validate_uscc, value) == code


@st.composite
def valid_usccs(draw):
    head = draw(st.sampled_from(["11", "12", "13", "51", "52", "91", "92", "93", "Y1"]))
    region = draw(region_codes)
    org = draw(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
    first17 = head + region + org
    return first17 + uscc_check_char(first17)


@settings(max_examples=300)
@given(valid_usccs())
def test_a_generated_valid_uscc_always_passes(code):
    validate_uscc(code)


@settings(max_examples=300)
@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_one_changed_character_of_a_uscc_always_fails(code, position, replacement):
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError):
        validate_uscc(changed)


# --- Phones -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13800138000", "+86 138 0013 8000", "0086-19912345678", "17012345678"])
def test_mobile_numbers_with_or_without_country_prefix_are_valid(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value", ["12800138000", "1380013800", "138001380001", "0760-88888888", "abcdefghij1"]
)
def test_invalid_mobile_numbers_are_refused_in_chinese(value):
    with pytest.raises(ValidationError) as error:
        validate_mobile(value)
    assert "手机号码" in error.value.messages[0]


def test_mobiles_are_normalised_and_masked():
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    assert mask_mobile("13800138000") == "138****8000"


@settings(max_examples=200)
@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_eleven_digit_number_starting_13_to_19_is_a_valid_mobile(second, rest):
    validate_mobile(f"1{second}{rest}")


@pytest.mark.parametrize("value", ["0760-88888888", "020-12345678", "0760-8888888-123"])
def test_landlines_with_area_code_are_valid(value):
    validate_phone_with_area_code(value)


@pytest.mark.parametrize("value", ["88888888", "12345", "760-88888888", "0760 88888888"])
def test_phones_without_area_code_are_refused(value):
    with pytest.raises(ValidationError):
        validate_phone_with_area_code(value)
