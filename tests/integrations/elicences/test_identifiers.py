"""GB/T 36904 identifiers: the worked example, the generator and the validator."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.elicences import identifiers
from portal.validators import USCC_CHARSET, uscc_check_char

EXAMPLE = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"


def test_the_worked_example_of_the_standard_is_built_and_read_back():
    built = identifiers.build("11100000000013338W032", "11220000013544541J", "2430599", 1)
    assert built == EXAMPLE
    parsed = identifiers.parse(EXAMPLE)
    assert parsed.type_code == "11100000000013338W032"
    assert parsed.issuer_code == "11220000013544541J"
    assert parsed.serial == "2430599"
    assert parsed.version == 1
    assert parsed.defining_authority == "11100000000013338W"


def test_the_check_character_is_iso_7064_mod_37_36():
    assert identifiers.check_character("11100000000013338W03211220000013544541J2430599001") == "F"
    with pytest.raises(ValueError):
        identifiers.check_character("1110-")


@pytest.mark.parametrize(
    "text, message",
    [
        ("1.2.156.3005.1.11100000000013338W032.11220000013544541J.2430599.001.F", "开头"),
        ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001", "组成"),
        ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.G", "校验位"),
        ("1.2.156.3005.2.11100000000013338W032.11220000013544541K.2430599.001.F", "签发机构"),
        ("1.2.156.3005.2.11100000000013338X032.11220000013544541J.2430599.001.F", "类型代码"),
        ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.24305-9.001.F", "流水号"),
        ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F", "版本号"),
    ],
)
def test_a_malformed_identifier_is_refused_with_the_part_named(text, message):
    with pytest.raises(ValidationError) as error:
        identifiers.parse(text)
    assert message in error.value.messages[0]


def test_lower_case_input_is_read_as_capitals():
    assert identifiers.is_valid(EXAMPLE.lower())


# --- properties ---------------------------------------------------------------------------

REGION_DIGITS = st.text(alphabet="0123456789", min_size=6, max_size=6)


@st.composite
def usccs(draw):
    first = draw(st.text(alphabet=USCC_CHARSET, min_size=2, max_size=2))
    region = draw(REGION_DIGITS)
    rest = draw(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
    first17 = first + region + rest
    return first17 + uscc_check_char(first17)


@st.composite
def licence_parts(draw):
    type_code = draw(usccs()) + draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    issuer = draw(usccs())
    serial = draw(st.text(alphabet=identifiers.ALPHABET, min_size=1, max_size=32))
    version = draw(st.integers(min_value=1, max_value=999))
    return type_code, issuer, serial, version


@settings(max_examples=200, deadline=None)
@given(licence_parts())
def test_every_generated_identifier_is_valid(parts):
    identifier = identifiers.build(*parts)
    assert identifiers.is_valid(identifier)
    assert identifiers.parse(identifier) == identifiers.LicenceIdentifier(*parts)


@settings(max_examples=300, deadline=None)
@given(licence_parts(), st.data())
def test_one_changed_character_makes_it_invalid(parts, data):
    identifier = identifiers.build(*parts)
    root = len(identifiers.ROOT) + 1
    positions = [i for i in range(root, len(identifier)) if identifier[i] != "."]
    position = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in identifiers.ALPHABET if c != identifier[position]]))
    changed = identifier[:position] + replacement + identifier[position + 1 :]
    assert not identifiers.is_valid(changed)
