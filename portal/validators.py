"""Validators of the national identity codes (STANDARDS.md, "Identity codes").

Every form, serializer and model field that holds a resident ID number, a unified social
credit code or a mobile number uses these, so a rule is written once. Each raises
Django's ``ValidationError`` with a Chinese message (translated through gettext) and a
stable ``code`` that API clients can rely on.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Resident identity number (GB 11643-1999) ----------------------------------------
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# First two digits of GB/T 2260 province-level divisions (plus 71 Taiwan, 81/82 HK/Macau,
# whose residents also hold 18-digit numbers issued on the mainland).
PROVINCE_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")


def id_number_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """Upper-case the check character and strip spaces: ``x`` and ``X`` are the same."""
    return (value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> None:
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("身份证号码应为18位，当前为%(length)d位。"), code="id_length", params={"length": len(number)}
        )
    if not ID_PATTERN.match(number):
        raise ValidationError(_("身份证号码前17位应为数字，最后一位为数字或X。"), code="id_characters")
    if number[:2] not in PROVINCE_PREFIXES or number[2:6] == "0000":
        raise ValidationError(_("身份证号码的地址码（前6位）不是有效的行政区划代码。"), code="id_region")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="id_birth_date") from None
    if birth > timezone.localdate() or birth.year < 1850:
        raise ValidationError(_("身份证号码中的出生日期不合理。"), code="id_birth_date")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入。"), code="id_check_digit")


def birth_date_from_id_number(value: str) -> datetime.date:
    number = normalize_id_number(value)
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask_id_number(value: str) -> str:
    """Show the first 6 and last 4 characters, e.g. ``110105********002X``."""
    number = normalize_id_number(value)
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# --- Unified social credit code (GB 32100-2015) --------------------------------------
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(length)d位。"),
            code="uscc_length",
            params={"length": len(code)},
        )
    if not USCC_PATTERN.match(code):
        raise ValidationError(
            _("统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）。"), code="uscc_characters"
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划代码（数字）。"), code="uscc_region")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对后重新输入。"), code="uscc_check_char")


# --- Mobile phone number ---------------------------------------------------------------
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value: str) -> str:
    """Drop spaces, dashes and a +86 / 0086 country prefix."""
    number = re.sub(r"[\s-]", "", value or "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    return number


def validate_mobile(value: str) -> None:
    if not MOBILE_PATTERN.match(normalize_mobile(value)):
        raise ValidationError(_("请输入11位手机号码，例如 13800138000。"), code="mobile")


def mask_mobile(value: str) -> str:
    number = normalize_mobile(value)
    if len(number) != 11:
        return "*" * len(number)
    return number[:3] + "****" + number[-4:]


# --- Telephone with area code (consultation and supervision lines) ----------------------
PHONE_WITH_AREA_CODE = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")


def validate_phone_with_area_code(value: str) -> None:
    """A landline with its area code, e.g. 0760-88888888 (rule 7 of the catalogue checkers)."""
    number = (value or "").strip()
    if not PHONE_WITH_AREA_CODE.match(number):
        raise ValidationError(
            _("请填写带区号的固定电话，例如 0760-88888888。"),
            code="phone_area_code",
        )
