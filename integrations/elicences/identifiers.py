"""GB/T 36904 e-licence identifiers (电子证照标识), with their ISO/IEC 7064 MOD 37,36 check character.

    1.2.156.3005.2 . licence type code . issuer USCC . serial . version . check

* licence type code: the USCC of the defining authority (18 characters) + a 3-digit type
  number, e.g. ``11100000000013127D001`` (营业执照, defined by 国家市场监督管理总局);
* issuer: the USCC of the issuing authority (18 characters);
* serial: digits or capital letters, variable length (1–32 here);
* version: 3 digits (001 for a first issue);
* check: ISO/IEC 7064 MOD 37,36 over type code + issuer + serial + version joined without dots.

Worked example (STANDARDS.md)::

    >>> build("11100000000013338W032", "11220000013544541J", "2430599", 1)
    '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F'

``parse`` and ``validate_identifier`` raise ``ValidationError`` with a Chinese message that
says which part is wrong; both USCCs are checked with ``portal.validators.validate_uscc``.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.validators import validate_uscc

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MODULUS = 36
SERIAL_PATTERN = re.compile(r"^[0-9A-Z]{1,32}$")
TYPE_CODE_LENGTH = 21
MAX_VERSION = 999


def check_character(body: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 (hybrid) check character of ``body`` (digits, capital letters)."""
    product = MODULUS
    for char in body:
        try:
            value = ALPHABET.index(char)
        except ValueError:
            raise ValueError(f"not a digit or capital letter: {char!r}") from None
        total = (product + value) % MODULUS or MODULUS
        product = (total * 2) % (MODULUS + 1)
    return ALPHABET[(1 - product) % MODULUS]


def validate_type_code(code: str) -> None:
    """A licence type code: the defining authority's USCC + a 3-digit type number."""
    code = (code or "").strip().upper()
    if len(code) != TYPE_CODE_LENGTH or not code[18:].isdigit():
        raise ValidationError(
            _("证照类型代码应为21位：定义机构统一社会信用代码（18位）加3位类型序号。"), code="type_code"
        )
    try:
        validate_uscc(code[:18])
    except ValidationError:
        raise ValidationError(
            _("证照类型代码的前18位不是有效的统一社会信用代码。"), code="type_code_authority"
        ) from None


def _validate_issuer(code: str) -> None:
    try:
        validate_uscc(code)
    except ValidationError:
        raise ValidationError(_("签发机构代码不是有效的统一社会信用代码。"), code="issuer") from None


def _validate_serial(serial: str) -> None:
    if not SERIAL_PATTERN.match(serial or ""):
        raise ValidationError(_("证照流水号只能由1至32位数字或大写字母组成。"), code="serial")


def _validate_version(version: int) -> None:
    if not 1 <= version <= MAX_VERSION:
        raise ValidationError(_("证照版本号应为001至999。"), code="version")


@dataclass(frozen=True)
class LicenceIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int = 1

    @property
    def body(self) -> str:
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version:03d}"

    @property
    def check(self) -> str:
        return check_character(self.body)

    @property
    def defining_authority(self) -> str:
        return self.type_code[:18]

    def __str__(self) -> str:
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"

    def validate(self) -> None:
        validate_type_code(self.type_code)
        _validate_issuer(self.issuer_code)
        _validate_serial(self.serial)
        _validate_version(self.version)


def build(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """A new identifier (validated): ``ValidationError`` when a part is not well formed."""
    identifier = LicenceIdentifier(
        type_code.strip().upper(), issuer_code.strip().upper(), serial, int(version)
    )
    identifier.validate()
    return str(identifier)


def looks_like_identifier(text: str) -> bool:
    """Whether ``text`` is meant as an identifier (it starts with the root), well formed or not."""
    return (text or "").strip().startswith(ROOT + ".")


def parse(text: str) -> LicenceIdentifier:
    """Read an identifier; ``ValidationError`` (Chinese) says which part is wrong."""
    text = (text or "").strip().upper()
    if not text.startswith(ROOT + "."):
        raise ValidationError(_("电子证照标识应以 %(root)s 开头。") % {"root": ROOT}, code="root")
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise ValidationError(
            _("电子证照标识应由根代码、证照类型代码、签发机构代码、流水号、版本号和校验位组成。"),
            code="parts",
        )
    type_code, issuer, serial, version, check = parts
    if len(version) != 3 or not version.isdigit():
        raise ValidationError(_("证照版本号应为3位数字。"), code="version")
    identifier = LicenceIdentifier(type_code, issuer, serial, int(version))
    identifier.validate()
    if len(check) != 1 or check != identifier.check:
        raise ValidationError(_("电子证照标识校验位不正确，请核对后重新输入。"), code="check")
    return identifier


def validate_identifier(text: str) -> None:
    parse(text)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except ValidationError:
        return False
    return True
