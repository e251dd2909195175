"""Code tables of GB/T 39046-2020 (Appendix A) and the matter code rules (STANDARDS.md)."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.validators import USCC_CHARSET, validate_uscc


class MatterType(models.TextChoices):
    """A.1 事项类型."""

    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


# Applicant-initiated types: in scope of online service and of 好差评.
APPLICANT_INITIATED_TYPES = frozenset(
    {
        MatterType.LICENSING,
        MatterType.BENEFIT,
        MatterType.CONFIRMATION,
        MatterType.ADJUDICATION,
        MatterType.REWARD,
        MatterType.OTHER_POWER,
        MatterType.PUBLIC_SERVICE,
    }
)


class Level(models.TextChoices):
    """A.2 行使层级."""

    NATIONAL = "1", _("国家级")
    PROVINCIAL = "2", _("省级")
    CITY = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWN = "5", _("镇（乡、街道）级")
    VILLAGE = "6", _("村（社区）级")
    TIERED = "7", _("分级管理")


class BodyNature(models.TextChoices):
    """A.3 实施主体性质."""

    STATUTORY = "1", _("法定机关")
    AUTHORISED = "2", _("授权组织")
    ENTRUSTED = "3", _("受委托组织")
    OTHER = "9", _("其他")


class ServiceObject(models.TextChoices):
    """A.4 服务对象."""

    NATURAL_PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    PUBLIC_INSTITUTION = "3", _("事业法人")
    SOCIAL_ORGANISATION = "4", _("社会组织法人")
    ADMINISTRATIVE_BODY = "5", _("行政机关")
    OTHER = "6", _("其他组织")


class HandlingForm(models.TextChoices):
    """A.5 办理形式 (also the channel of a case)."""

    WINDOW = "1", _("窗口办理")
    ONLINE_PC = "2", _("电脑端网上办理")
    ONLINE_MOBILE = "3", _("移动端网上申请")
    EXPRESS = "4", _("快递申请")
    OTHER = "9", _("其他")


class CaseType(models.TextChoices):
    """A.6 办件类型."""

    IMMEDIATE = "1", _("即办件")
    PROMISED = "2", _("承诺件")
    OTHER = "9", _("其他")


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("个人")
    ENTERPRISE = "enterprise", _("法人")
    BOTH = "both", _("个人和法人")


class ReviewType(models.TextChoices):
    IMMEDIATE = "immediate", _("即审即办")
    REVIEW_THEN_APPROVE = "review", _("前审后批")


class ResultType(models.TextChoices):
    CERTIFICATE = "certificate", _("出证")
    DOCUMENT = "document", _("出文")
    APPROVAL = "approval", _("审批办结")
    OTHER = "other", _("其他")


class GeneralScope(models.TextChoices):
    """通办范围."""

    NONE = "", _("不通办")
    NATIONAL = "national", _("全国通办")
    CROSS_PROVINCE = "province", _("跨省通办")
    CROSS_CITY = "city", _("跨市通办")
    CROSS_COUNTY = "county", _("跨县通办")


class OnlineDepth(models.IntegerChoices):
    """网上办理深度."""

    INFORMATION = 1, _("一级：网上发布办事信息")
    DOWNLOAD = 2, _("二级：网上下载表格、预约")
    APPLY = 3, _("三级：网上申报、网上预审")
    FULL = 4, _("四级：全程网上办理")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤销")


class RelationKind(models.TextChoices):
    PREREQUISITE = "prerequisite", _("前置事项")
    PARALLEL = "parallel", _("并联事项")
    RELATED = "related", _("关联事项")


# --- Matter codes ------------------------------------------------------------------
BASIC_CODE_PATTERN = re.compile(r"^[0-9A-Z]{12}$")
IMPLEMENTATION_CODE_PATTERN = re.compile(rf"^[{USCC_CHARSET}]{{18}}[1-7][0-9A-Z]{{12}}$")


def validate_basic_code(value: str) -> None:
    if not BASIC_CODE_PATTERN.match(value or ""):
        raise ValidationError(_("基本编码应为12位数字或大写字母。"), code="basic_code")


def validate_implementation_code(value: str) -> None:
    """31 characters: the implementing body's USCC (18) + level digit (1) + basic code (12)."""
    code = value or ""
    if len(code) != 31:
        raise ValidationError(
            _("实施编码应为31位，当前为%(length)d位。"),
            code="implementation_code_length",
            params={"length": len(code)},
        )
    if not IMPLEMENTATION_CODE_PATTERN.match(code):
        raise ValidationError(
            _("实施编码应由实施主体统一社会信用代码（18位）、行使层级（1位，1-7）和基本编码（12位）组成。"),
            code="implementation_code_format",
        )
    try:
        validate_uscc(code[:18])
    except ValidationError:
        raise ValidationError(
            _("实施编码前18位不是有效的统一社会信用代码（校验位不正确）。"), code="implementation_code_uscc"
        ) from None


def build_implementation_code(uscc: str, level: str, basic_code: str) -> str:
    return f"{uscc}{level}{basic_code}"
