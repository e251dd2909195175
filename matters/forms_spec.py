"""Form specifications (申请表单) of matters: the data from which the web form, the API's JSON
Schema and the server-side validation (专业信息校验) are generated (``applications.forms_engine``).

A matter has at most one ``FormSpec``: ordered typed ``FormField`` rows and cross-field
``FormRule`` rows. A spec is validated when saved (the admin and ``load_spec`` both run the row
checks of ``clean()`` and the spec-wide checks of ``spec_problems``), and its ``version``
goes up by one whenever its content changes; each version's content is kept as a snapshot
(``FormSpecVersion``) so an answer can always be read against the form it was filled in.

Spec format (YAML-friendly; ``load_spec`` reads it, ``spec_to_dict`` writes it, snapshots are
stored in it)::

    intro: 请如实填写，带 * 的为必填项。           # optional note shown above the form
    fields:
      - key: applicant_name        # ASCII identifier, unique in the form: [A-Za-z][A-Za-z0-9_]*
        label: 申请人姓名            # shown to the applicant
        type: text                 # see FieldType: text textarea integer decimal date choice
                                   #   multi_choice boolean id_number uscc mobile phone email
                                   #   address table
        required: true             # default true (a required boolean must be ticked)
        help: 与身份证件一致          # help text under the input
        placeholder: 例如：张三
        min_length: 2              # text, textarea, address (its detail line)
        max_length: 50
        pattern: '[\u4e00-\u9fa5·]+'   # text, textarea; the whole answer must match
        pattern_message: 请填写中文姓名
        prefill: name              # name id_number mobile email org_name org_code
        default: ""                # typed like an answer; dates also take the bounds below
      - key: area
        label: 经营面积（平方米）
        type: decimal              # integer | decimal
        min: 0                     # inclusive bounds
        max: 100000
        decimal_places: 2          # decimal only, default 2
      - key: start_date
        label: 开始日期
        type: date
        min: today                 # YYYY-MM-DD, today, today+30, today-18y, today+6m (d/m/y)
        max: today+90
      - key: business_mode
        label: 经营方式
        type: choice               # choice (one) | multi_choice (several)
        options: [个人经营, 家庭经营]          # or ["value|标签"] or [{value: v, label: 标签}]
      - key: scopes
        label: 经营项目
        type: multi_choice
        options: [...]
        min_items: 1               # multi_choice: selections; table: rows
        max_items: 3
      - key: members
        label: 家庭成员
        type: table
        min_items: 1
        max_items: 10
        columns:                   # fields of the scalar types, without prefill/columns
          - {key: name, label: 姓名, type: text, max_length: 50}
          - {key: id_number, label: 身份证号, type: id_number}
    rules:
      - {kind: less_than, field: start_date, other: end_date}             # start < end
      - {kind: less_than, field: min_age, other: max_age, allow_equal: true}  # ≤
      - {kind: required_if, field: spouse_name, other: marital_status, values: [已婚]}
      - {kind: at_least_one, fields: [mobile, phone]}
      - {kind: column_sum_max, field: members, column: amount, limit: 100}
      - {kind: column_sum_max, field: shareholders, column: amount, other: capital}
      # every rule takes an optional `message` replacing the default Chinese message

``less_than`` compares two dates or two numbers; ``required_if`` makes ``field`` required
when ``other`` (a choice, multi-choice, boolean or text field) has one of ``values`` (for a
boolean: ``true`` / ``false``); ``at_least_one`` asks for one of two or more fields;
``column_sum_max`` caps the sum of a numeric column of a table by a number or by a numeric
field.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_phone_with_area_code,
    validate_uscc,
)

# --- Vocabulary ---------------------------------------------------------------------------


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数（金额、面积等）")
    DATE = "date", _("日期")
    CHOICE = "choice", _("单选")
    MULTI_CHOICE = "multi_choice", _("多选")
    BOOLEAN = "boolean", _("勾选确认")
    ID_NUMBER = "id_number", _("身份证号码")
    USCC = "uscc", _("统一社会信用代码")
    MOBILE = "mobile", _("手机号码")
    PHONE = "phone", _("固定电话（带区号）")
    EMAIL = "email", _("电子邮箱")
    ADDRESS = "address", _("地址（区域 + 详细地址）")
    TABLE = "table", _("表格（多行）")


class Prefill(models.TextChoices):
    """Profile data that fills a field in advance (the keys of the applicant's profile dict)."""

    NAME = "name", _("姓名")
    ID_NUMBER = "id_number", _("身份证号码")
    MOBILE = "mobile", _("手机号码")
    EMAIL = "email", _("电子邮箱")
    ORG_NAME = "org_name", _("企业名称")
    ORG_CODE = "org_code", _("统一社会信用代码")


class RuleKind(models.TextChoices):
    LESS_THAN = "less_than", _("先后 / 大小：字段A 小于（早于）字段B")
    REQUIRED_IF = "required_if", _("条件必填：对照字段为指定值时本字段必填")
    AT_LEAST_ONE = "at_least_one", _("至少填写一项")
    COLUMN_SUM_MAX = "column_sum_max", _("表格列合计不超过")


T = FieldType
LENGTH_TYPES = frozenset({T.TEXT, T.TEXTAREA, T.ADDRESS})
PATTERN_TYPES = frozenset({T.TEXT, T.TEXTAREA})
NUMBER_TYPES = frozenset({T.INTEGER, T.DECIMAL})
CHOICE_TYPES = frozenset({T.CHOICE, T.MULTI_CHOICE})
ITEMS_TYPES = frozenset({T.MULTI_CHOICE, T.TABLE})
LIST_TYPES = frozenset({T.MULTI_CHOICE, T.TABLE})
# A table's columns are single values: no nested table, address or multiple choice.
COLUMN_TYPES = frozenset(FieldType) - {T.TABLE, T.ADDRESS, T.MULTI_CHOICE}
DEFAULT_TYPES = frozenset(FieldType) - {T.TABLE, T.ADDRESS}
PLACEHOLDER_TYPES = frozenset(FieldType) - {T.CHOICE, T.MULTI_CHOICE, T.BOOLEAN, T.TABLE, T.ADDRESS, T.DATE}
# Which field types each profile value may fill.
PREFILL_TYPES = {
    Prefill.NAME: frozenset({T.TEXT}),
    Prefill.ID_NUMBER: frozenset({T.ID_NUMBER, T.TEXT}),
    Prefill.MOBILE: frozenset({T.MOBILE, T.TEXT}),
    Prefill.EMAIL: frozenset({T.EMAIL, T.TEXT}),
    Prefill.ORG_NAME: frozenset({T.TEXT}),
    Prefill.ORG_CODE: frozenset({T.USCC, T.TEXT}),
}
# What a required_if condition may look at.
CONDITION_TYPES = frozenset({T.CHOICE, T.MULTI_CHOICE, T.BOOLEAN, T.TEXT, T.INTEGER})

KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
key_validator = RegexValidator(
    KEY_PATTERN, _("字段标识须以英文字母开头，只含英文字母、数字和下划线，不超过40个字符。")
)
MAX_PATTERN_LENGTH = 300
MAX_DECIMAL_PLACES = 4
MAX_TABLE_ROWS = 200
DEFAULT_DECIMAL_PLACES = 2
TRUE_WORDS = frozenset({"true", "1", "yes", "是", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "否", "n", ""})


# --- Date bounds: an absolute date or a date relative to today ----------------------------

DATE_BOUND = re.compile(r"^today(?:([+-])(\d{1,4})([dmy])?)?$")


def _shift_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve_date_bound(text: str, today: datetime.date | None = None) -> datetime.date:
    """``2025-01-01``, ``today``, ``today+30`` (days), ``today-18y``, ``today+6m`` as a date.

    Raises ``ValueError`` for anything else.
    """
    text = (text or "").strip()
    match = DATE_BOUND.match(text)
    if not match:
        return datetime.date.fromisoformat(text)
    today = today or timezone.localdate()
    sign, amount, unit = match.groups()
    if not sign:
        return today
    n = int(amount) * (1 if sign == "+" else -1)
    if unit in (None, "d"):
        return today + datetime.timedelta(days=n)
    return _shift_months(today, n * (12 if unit == "y" else 1))


def is_relative_bound(text: str) -> bool:
    return bool(DATE_BOUND.match((text or "").strip()))


def describe_date_bound(text: str) -> str:
    """How a bound reads to an applicant: 今天 / 今天起30天后 / 18年前的今天 / 2025-01-01."""
    match = DATE_BOUND.match((text or "").strip())
    if not match:
        return text
    sign, amount, unit = match.groups()
    if not sign:
        return gettext("今天")
    unit_name = {"y": gettext("年"), "m": gettext("个月")}.get(unit or "d", gettext("天"))
    if sign == "+":
        return gettext("今天起%(n)s%(unit)s后") % {"n": amount, "unit": unit_name}
    return gettext("%(n)s%(unit)s前的今天") % {"n": amount, "unit": unit_name}


# --- Models -----------------------------------------------------------------------------


class FormSpec(models.Model):
    """申请表单: the form specification of one matter."""

    matter = models.OneToOneField(
        "matters.Matter", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="form_spec"
    )
    intro = models.TextField(_("填表说明"), blank=True, help_text=_("显示在表单上方，例如填写要求和注意事项"))
    version = models.PositiveIntegerField(
        _("版本"), default=0, editable=False, help_text=_("表单内容每次变更加1；申请记录填写时的版本")
    )
    digest = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申请表单")
        verbose_name_plural = _("申请表单")
        ordering = ["matter__name"]

    def __str__(self) -> str:
        return gettext("%(matter)s 申请表单") % {"matter": self.matter}

    def ordered_fields(self) -> list[FormField]:
        return list(self.fields.order_by("sort_order", "pk"))

    def ordered_rules(self) -> list[FormRule]:
        return list(self.rules.order_by("sort_order", "pk"))


class FormSpecVersion(models.Model):
    """The content of one version of a spec, as written by ``spec_to_dict`` (never changed)."""

    spec = models.ForeignKey(FormSpec, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("表单内容"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("表单版本")
        verbose_name_plural = _("表单版本")
        ordering = ["spec", "-version"]
        constraints = [models.UniqueConstraint(fields=["spec", "version"], name="unique_form_spec_version")]

    def __str__(self) -> str:
        return f"{self.spec_id} v{self.version}"


class FormField(models.Model):
    """One typed field of a matter's form, in order."""

    spec = models.ForeignKey(FormSpec, on_delete=models.CASCADE, related_name="fields")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0, help_text=_("数字小的在前"))
    key = models.CharField(
        _("字段标识"),
        max_length=40,
        validators=[key_validator],
        help_text=_("英文标识，接口和数据中使用，例如 applicant_name；表单内不能重复"),
    )
    label = models.CharField(_("字段名称"), max_length=100)
    field_type = models.CharField(_("类型"), max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(_("必填"), default=True)
    help_text = models.CharField(_("填写说明"), max_length=300, blank=True)
    placeholder = models.CharField(_("输入提示"), max_length=100, blank=True)
    min_length = models.PositiveIntegerField(_("最少字数"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("最多字数"), null=True, blank=True)
    pattern = models.CharField(
        _("格式（正则表达式）"),
        max_length=MAX_PATTERN_LENGTH,
        blank=True,
        help_text=_("整个答案须匹配，例如 [0-9]{6} 表示6位数字"),
    )
    pattern_message = models.CharField(
        _("格式不符时的提示"), max_length=200, blank=True, help_text=_("例如：请填写6位邮政编码")
    )
    min_value = models.DecimalField(_("最小值"), max_digits=20, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(_("最大值"), max_digits=20, decimal_places=4, null=True, blank=True)
    decimal_places = models.PositiveSmallIntegerField(
        _("小数位数"), default=DEFAULT_DECIMAL_PLACES, help_text=_("仅小数类型，0～4")
    )
    min_date = models.CharField(
        _("最早日期"),
        max_length=20,
        blank=True,
        help_text=_("YYYY-MM-DD，或相对今天：today、today+30、today-18y、today+6m"),
    )
    max_date = models.CharField(_("最晚日期"), max_length=20, blank=True, help_text=_("格式同最早日期"))
    options = models.JSONField(_("选项"), default=list, blank=True)
    min_items = models.PositiveSmallIntegerField(
        _("最少项数"), null=True, blank=True, help_text=_("多选：最少选几项；表格：最少填几行")
    )
    max_items = models.PositiveSmallIntegerField(
        _("最多项数"), null=True, blank=True, help_text=_("多选：最多选几项；表格：最多填几行")
    )
    columns = models.JSONField(_("表格列"), default=list, blank=True)
    default = models.CharField(_("默认值"), max_length=200, blank=True)
    prefill = models.CharField(
        _("预填来源"),
        max_length=12,
        choices=Prefill.choices,
        blank=True,
        help_text=_("用申请人资料预先填写"),
    )

    class Meta:
        verbose_name = _("表单字段")
        verbose_name_plural = _("表单字段")
        ordering = ["spec", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["spec", "key"], name="unique_form_field_key")]

    def __str__(self) -> str:
        return f"{self.label}（{self.key}）"

    # Reading ------------------------------------------------------------------------

    @property
    def option_pairs(self) -> list[tuple[str, str]]:
        return [(str(o["value"]), str(o["label"])) for o in self.options or [] if isinstance(o, dict)]

    def option_label(self, value) -> str:
        return dict(self.option_pairs).get(str(value), str(value))

    @property
    def column_fields(self) -> list[FormField]:
        """The table's columns as (unsaved) fields; empty for other types."""
        if self.field_type != T.TABLE:
            return []
        # Parsed once per content: the engine asks for them on every cleaned row.
        source = json.dumps(self.columns or [], sort_keys=True, ensure_ascii=False)
        if getattr(self, "_column_source", None) != source:
            self._column_fields = [field_from_dict(column, column=True) for column in self.columns or []]
            self._column_source = source
        return self._column_fields

    @property
    def effective_decimal_places(self) -> int:
        return self.decimal_places if self.decimal_places is not None else DEFAULT_DECIMAL_PLACES

    # Checks ---------------------------------------------------------------------------

    def clean(self) -> None:
        errors = field_errors(self)
        if errors:
            raise ValidationError(errors)


class FormRule(models.Model):
    """A rule across fields: order of two values, conditional requirement, one of several, a sum."""

    spec = models.ForeignKey(FormSpec, on_delete=models.CASCADE, related_name="rules")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("规则"), max_length=16, choices=RuleKind.choices)
    field = models.CharField(
        _("字段A / 目标字段"), max_length=40, help_text=_("字段标识；合计规则填表格字段")
    )
    other_field = models.CharField(
        _("字段B / 对照字段"),
        max_length=40,
        blank=True,
        help_text=_("先后：较晚/较大的字段；条件必填：作为条件的字段；合计：作为上限的数字字段"),
    )
    field_keys = models.JSONField(
        _("字段列表"), default=list, blank=True, help_text=_("至少填写一项：两个或以上的字段标识")
    )
    values = models.JSONField(
        _("条件取值"), default=list, blank=True, help_text=_("条件必填：对照字段的取值")
    )
    column = models.CharField(_("表格列"), max_length=40, blank=True, help_text=_("合计规则：数字列的标识"))
    limit = models.DecimalField(_("上限"), max_digits=20, decimal_places=4, null=True, blank=True)
    allow_equal = models.BooleanField(
        _("允许相等"), default=False, help_text=_("先后规则：A 不大于（不晚于）B 即可")
    )
    message = models.CharField(_("提示语"), max_length=200, blank=True, help_text=_("留空使用默认提示"))

    class Meta:
        verbose_name = _("校验规则")
        verbose_name_plural = _("校验规则")
        ordering = ["spec", "sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{', '.join(self.referenced_keys())}"

    def referenced_keys(self) -> list[str]:
        if self.kind == RuleKind.AT_LEAST_ONE:
            return [str(k) for k in self.field_keys or []]
        return [k for k in (self.field, self.other_field) if k]

    def clean(self) -> None:
        errors = rule_errors(self)
        if errors:
            raise ValidationError(errors)


# --- Row checks ----------------------------------------------------------------------------


def _add(errors: dict, attr: str, message) -> None:
    errors.setdefault(attr, []).append(message)


def _is_integral(value: Decimal) -> bool:
    return value == value.to_integral_value()


def field_errors(field: FormField, *, column: bool = False) -> dict[str, list]:
    """What is wrong with one field on its own, as {model attribute: [messages]}."""
    errors: dict[str, list] = {}
    t = field.field_type
    if t not in FieldType.values:
        _add(errors, "field_type", gettext("不支持的字段类型「%(type)s」。") % {"type": t})
        return errors
    if field.key and not KEY_PATTERN.match(field.key):
        _add(errors, "key", key_validator.message)
    if column and t not in COLUMN_TYPES:
        _add(errors, "field_type", gettext("表格列不能是表格、地址或多选类型。"))

    def only_for(attr: str, types, name: str, set_: bool) -> bool:
        if set_ and t not in types:
            allowed = "、".join(str(x.label) for x in FieldType if x in types)
            _add(
                errors, attr, gettext("「%(name)s」只适用于：%(types)s。") % {"name": name, "types": allowed}
            )
            return False
        return set_

    # Lengths
    has_min_len = only_for("min_length", LENGTH_TYPES, gettext("最少字数"), field.min_length is not None)
    has_max_len = only_for("max_length", LENGTH_TYPES, gettext("最多字数"), field.max_length is not None)
    if has_min_len and has_max_len and field.min_length > field.max_length:
        _add(errors, "max_length", gettext("最多字数不能小于最少字数。"))
    if has_max_len and field.max_length == 0:
        _add(errors, "max_length", gettext("最多字数须大于0。"))
    # Pattern
    if only_for("pattern", PATTERN_TYPES, gettext("格式"), bool(field.pattern)):
        try:
            re.compile(field.pattern)
        except re.error as error:
            _add(errors, "pattern", gettext("正则表达式有误：%(error)s。") % {"error": error})
        if len(field.pattern) > MAX_PATTERN_LENGTH:
            _add(errors, "pattern", gettext("正则表达式不能超过%(n)d个字符。") % {"n": MAX_PATTERN_LENGTH})
    if field.pattern_message and not field.pattern:
        _add(errors, "pattern_message", gettext("填写了格式提示，但没有填写格式。"))
    # Numbers
    has_min = only_for("min_value", NUMBER_TYPES, gettext("最小值"), field.min_value is not None)
    has_max = only_for("max_value", NUMBER_TYPES, gettext("最大值"), field.max_value is not None)
    if t == T.INTEGER:
        for attr, value in (("min_value", field.min_value), ("max_value", field.max_value)):
            if value is not None and not _is_integral(Decimal(value)):
                _add(errors, attr, gettext("整数字段的取值范围须为整数。"))
    if has_min and has_max and Decimal(field.min_value) > Decimal(field.max_value):
        _add(errors, "max_value", gettext("最大值不能小于最小值。"))
    if t == T.DECIMAL and not (0 <= (field.decimal_places or 0) <= MAX_DECIMAL_PLACES):
        _add(errors, "decimal_places", gettext("小数位数须在0到4之间。"))
    if t != T.DECIMAL and field.decimal_places not in (None, DEFAULT_DECIMAL_PLACES):
        _add(errors, "decimal_places", gettext("「小数位数」只适用于小数字段。"))
    # Dates
    bounds = {}
    for attr, name in (("min_date", gettext("最早日期")), ("max_date", gettext("最晚日期"))):
        text = (getattr(field, attr) or "").strip()
        if not only_for(attr, {T.DATE}, name, bool(text)):
            continue
        try:
            resolve_date_bound(text)
        except ValueError:
            _add(
                errors,
                attr,
                gettext("日期「%(value)s」无法识别：请写 YYYY-MM-DD，或 today、today+30、today-18y。")
                % {"value": text},
            )
        else:
            bounds[attr] = text
    # Bounds of the same kind (both absolute, or both relative) compare the same whatever today is.
    comparable = len(bounds) == 2 and is_relative_bound(bounds["min_date"]) == is_relative_bound(
        bounds["max_date"]
    )
    if comparable and resolve_date_bound(bounds["min_date"]) > resolve_date_bound(bounds["max_date"]):
        _add(errors, "max_date", gettext("最晚日期不能早于最早日期。"))
    # Options
    if t in CHOICE_TYPES:
        _check_options(field.options, errors)
    elif field.options:
        _add(errors, "options", gettext("只有单选和多选字段需要选项。"))
    # Items (selections or rows)
    has_min_items = only_for("min_items", ITEMS_TYPES, gettext("最少项数"), field.min_items is not None)
    has_max_items = only_for("max_items", ITEMS_TYPES, gettext("最多项数"), field.max_items is not None)
    if has_min_items and has_max_items and field.min_items > field.max_items:
        _add(errors, "max_items", gettext("最多项数不能小于最少项数。"))
    if has_max_items and field.max_items == 0:
        _add(errors, "max_items", gettext("最多项数须大于0。"))
    if t == T.TABLE and has_max_items and field.max_items > MAX_TABLE_ROWS:
        _add(errors, "max_items", gettext("表格最多%(n)d行。") % {"n": MAX_TABLE_ROWS})
    if t == T.MULTI_CHOICE and has_max_items and field.max_items > len(field.option_pairs or []) > 0:
        _add(errors, "max_items", gettext("最多项数不能超过选项个数。"))
    # Table columns
    if t == T.TABLE:
        _check_columns(field.columns, errors)
    elif field.columns:
        _add(errors, "columns", gettext("只有表格字段需要表格列。"))
    # Prefill
    if field.prefill:
        if column:
            _add(errors, "prefill", gettext("表格列不能预填。"))
        elif field.prefill not in Prefill.values:
            _add(errors, "prefill", gettext("不支持的预填来源。"))
        elif t not in PREFILL_TYPES[field.prefill]:
            _add(
                errors,
                "prefill",
                gettext("「%(source)s」不能预填到%(type)s字段。")
                % {"source": Prefill(field.prefill).label, "type": FieldType(t).label},
            )
    if field.placeholder and t not in PLACEHOLDER_TYPES:
        _add(errors, "placeholder", gettext("该类型的字段不显示输入提示。"))
    # Default
    if field.default:
        if t not in DEFAULT_TYPES:
            _add(errors, "default", gettext("地址和表格字段不能设置默认值。"))
        elif not errors:
            try:
                check_default(field)
            except ValidationError as error:
                for message in error.messages:
                    _add(errors, "default", gettext("默认值不合规：%(error)s") % {"error": message})
    return errors


def _check_options(options, errors: dict) -> None:
    if not isinstance(options, list) or not options:
        _add(errors, "options", gettext("单选和多选字段至少需要一个选项。"))
        return
    seen: set[str] = set()
    for index, option in enumerate(options, start=1):
        if not isinstance(option, dict) or set(option) != {"value", "label"}:
            _add(errors, "options", gettext("第%(n)d个选项格式不正确。") % {"n": index})
            continue
        value, label = str(option["value"]).strip(), str(option["label"]).strip()
        if not value or not label:
            _add(errors, "options", gettext("第%(n)d个选项的取值和名称都不能为空。") % {"n": index})
        elif value in seen:
            _add(errors, "options", gettext("选项取值「%(value)s」重复。") % {"value": value})
        seen.add(value)


def _check_columns(columns, errors: dict) -> None:
    if not isinstance(columns, list) or not columns:
        _add(errors, "columns", gettext("表格字段至少需要一列。"))
        return
    seen: set[str] = set()
    for index, column in enumerate(columns, start=1):
        try:
            col = field_from_dict(column, column=True)
        except ValidationError as error:
            for message in error.messages:
                _add(errors, "columns", gettext("第%(n)d列：%(error)s") % {"n": index, "error": message})
            continue
        name = col.label or col.key
        for messages in field_errors(col, column=True).values():
            for message in messages:
                _add(errors, "columns", f"{gettext('第%(n)d列') % {'n': index}}「{name}」：{message}")
        if col.key in seen:
            _add(errors, "columns", gettext("列标识「%(key)s」重复。") % {"key": col.key})
        seen.add(col.key)


def check_default(field: FormField) -> None:
    """The default must be a valid answer (the pattern, bounds and options apply to it)."""
    parse_default(field)


def parse_default(field: FormField):
    """The field's default as a typed initial value (None when there is none).

    Raises ValidationError when it is not an answer the field would accept.
    """
    text = (field.default or "").strip()
    if not text:
        return None
    t = field.field_type
    invalid = ValidationError(
        gettext("「%(value)s」不是有效的%(type)s。") % {"value": text, "type": FieldType(t).label}
    )
    if t == T.INTEGER:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise invalid from None
        if not _is_integral(value):
            raise invalid
        _check_range(field, value)
        return int(value)
    if t == T.DECIMAL:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise invalid from None
        if not value.is_finite():
            raise invalid
        _check_range(field, value)
        return value
    if t == T.DATE:
        try:
            day = resolve_date_bound(text)
        except ValueError:
            raise invalid from None
        for attr, later in (("min_date", False), ("max_date", True)):
            bound = getattr(field, attr)
            if bound and ((day > resolve_date_bound(bound)) if later else (day < resolve_date_bound(bound))):
                raise ValidationError(gettext("超出了日期范围。"))
        return day
    if t == T.CHOICE:
        if text not in dict(field.option_pairs):
            raise ValidationError(gettext("「%(value)s」不是选项之一。") % {"value": text})
        return text
    if t == T.MULTI_CHOICE:
        values = [v.strip() for v in re.split(r"[,，、]", text) if v.strip()]
        unknown = [v for v in values if v not in dict(field.option_pairs)]
        if unknown:
            raise ValidationError(gettext("「%(value)s」不是选项之一。") % {"value": "、".join(unknown)})
        return values
    if t == T.BOOLEAN:
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise invalid
    if t == T.ID_NUMBER:
        validate_id_number(text)
        return normalize_id_number(text)
    if t == T.USCC:
        validate_uscc(text)
        return normalize_uscc(text)
    if t == T.MOBILE:
        validate_mobile(text)
        return normalize_mobile(text)
    if t == T.PHONE:
        validate_phone_with_area_code(text)
        return text
    if t == T.EMAIL:
        validate_email(text)
        return text
    # text, textarea
    if field.max_length is not None and len(text) > field.max_length:
        raise ValidationError(gettext("超过了最多字数。"))
    if field.min_length is not None and len(text) < field.min_length:
        raise ValidationError(gettext("少于最少字数。"))
    if field.pattern and not re.fullmatch(field.pattern, text):
        raise ValidationError(field.pattern_message or gettext("格式不正确。"))
    return text


def _check_range(field: FormField, value: Decimal) -> None:
    if field.min_value is not None and value < Decimal(field.min_value):
        raise ValidationError(gettext("小于最小值。"))
    if field.max_value is not None and value > Decimal(field.max_value):
        raise ValidationError(gettext("大于最大值。"))


def rule_errors(rule: FormRule) -> dict[str, list]:
    """What is wrong with one rule's shape on its own (references are checked by ``spec_problems``)."""
    errors: dict[str, list] = {}
    kind = rule.kind
    if kind not in RuleKind.values:
        _add(errors, "kind", gettext("不支持的规则类型。"))
        return errors
    needs = {
        RuleKind.LESS_THAN: {"field", "other_field"},
        RuleKind.REQUIRED_IF: {"field", "other_field", "values"},
        RuleKind.AT_LEAST_ONE: {"field_keys"},
        RuleKind.COLUMN_SUM_MAX: {"field", "column"},
    }[kind]
    allowed = needs | ({"other_field", "limit"} if kind == RuleKind.COLUMN_SUM_MAX else set())
    allowed |= {"allow_equal"} if kind == RuleKind.LESS_THAN else set()
    present = {
        "field": bool(rule.field),
        "other_field": bool(rule.other_field),
        "field_keys": bool(rule.field_keys),
        "values": bool(rule.values),
        "column": bool(rule.column),
        "limit": rule.limit is not None,
        "allow_equal": bool(rule.allow_equal),
    }
    names = {
        "field": gettext("字段A / 目标字段"),
        "other_field": gettext("字段B / 对照字段"),
        "field_keys": gettext("字段列表"),
        "values": gettext("条件取值"),
        "column": gettext("表格列"),
        "limit": gettext("上限"),
        "allow_equal": gettext("允许相等"),
    }
    for attr in sorted(needs):
        if not present[attr]:
            _add(errors, attr, gettext("该规则须填写「%(name)s」。") % {"name": names[attr]})
    for attr, is_set in present.items():
        if is_set and attr not in allowed:
            _add(errors, attr, gettext("该规则不使用「%(name)s」，请清空。") % {"name": names[attr]})
    if kind == RuleKind.COLUMN_SUM_MAX and present["limit"] == present["other_field"]:
        _add(errors, "limit", gettext("合计规则须填写「上限」或「字段B / 对照字段」之一（只填一个）。"))
    if kind in (RuleKind.LESS_THAN, RuleKind.REQUIRED_IF) and rule.field and rule.field == rule.other_field:
        _add(errors, "other_field", gettext("对照字段不能与目标字段相同。"))
    if kind == RuleKind.AT_LEAST_ONE and present["field_keys"]:
        keys = rule.field_keys if isinstance(rule.field_keys, list) else []
        if len(keys) < 2 or not all(isinstance(k, str) for k in keys):
            _add(errors, "field_keys", gettext("「至少填写一项」须列出两个或以上的字段标识。"))
        elif len(set(keys)) != len(keys):
            _add(errors, "field_keys", gettext("字段列表中有重复的字段。"))
    if present["values"] and not isinstance(rule.values, list):
        _add(errors, "values", gettext("条件取值须为列表。"))
    return errors


# --- Spec-wide checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class SpecProblem:
    """A spec-wide problem, attached to the row (and attribute) that should change."""

    target: FormField | FormRule
    attr: str | None
    message: str


def spec_problems(fields: list[FormField], rules: list[FormRule]) -> list[SpecProblem]:
    """Duplicate keys, and rules that refer to unknown fields or fields of the wrong type."""
    problems: list[SpecProblem] = []
    by_key: dict[str, FormField] = {}
    for field in fields:
        if field.key in by_key:
            first = next(i for i, f in enumerate(fields, start=1) if f.key == field.key)
            problems.append(
                SpecProblem(
                    field,
                    "key",
                    gettext("字段标识「%(key)s」与第%(n)d个字段重复。") % {"key": field.key, "n": first},
                )
            )
        elif field.key:
            by_key[field.key] = field
    # An address posts <key>_region and <key>_detail: no other field may use those names.
    for field in fields:
        if field.field_type == T.ADDRESS:
            for suffix in ("_region", "_detail"):
                clash = by_key.get(field.key + suffix)
                if clash is not None:
                    problems.append(
                        SpecProblem(
                            clash,
                            "key",
                            gettext("字段标识「%(key)s」与地址字段「%(address)s」的输入项重名，请换一个。")
                            % {"key": clash.key, "address": field.label},
                        )
                    )
    for rule in rules:
        problems.extend(_rule_reference_problems(rule, by_key))
    return problems


def _rule_reference_problems(rule: FormRule, by_key: dict[str, FormField]) -> list[SpecProblem]:
    problems: list[SpecProblem] = []

    def problem(attr, message):
        problems.append(SpecProblem(rule, attr, message))

    def lookup(attr: str, key: str) -> FormField | None:
        found = by_key.get(key)
        if found is None:
            problem(attr, gettext("表单中没有标识为「%(key)s」的字段。") % {"key": key})
        return found

    def label(f: FormField) -> str:
        return f"「{f.label}」"

    kind = rule.kind
    if kind == RuleKind.LESS_THAN:
        a = lookup("field", rule.field) if rule.field else None
        b = lookup("other_field", rule.other_field) if rule.other_field else None
        if a and b:
            dates = a.field_type == T.DATE and b.field_type == T.DATE
            numbers = a.field_type in NUMBER_TYPES and b.field_type in NUMBER_TYPES
            if not (dates or numbers):
                problem(
                    "other_field",
                    gettext("先后规则只能比较两个日期字段或两个数字字段，%(a)s和%(b)s不能比较。")
                    % {"a": label(a), "b": label(b)},
                )
    elif kind == RuleKind.REQUIRED_IF:
        target = lookup("field", rule.field) if rule.field else None
        other = lookup("other_field", rule.other_field) if rule.other_field else None
        if target and target.required:
            problem("field", gettext("%(f)s已是必填项，无需设置条件必填。") % {"f": label(target)})
        if other:
            if other.field_type not in CONDITION_TYPES:
                problem(
                    "other_field",
                    gettext("条件字段须为单选、多选、勾选确认、单行文本或整数字段，%(f)s是%(type)s。")
                    % {"f": label(other), "type": FieldType(other.field_type).label},
                )
            elif isinstance(rule.values, list) and rule.values:
                allowed = _condition_values(other)
                if allowed is not None:
                    unknown = [str(v) for v in rule.values if str(v) not in allowed]
                    if unknown:
                        problem(
                            "values",
                            gettext("%(f)s没有取值「%(values)s」，可选：%(allowed)s。")
                            % {
                                "f": label(other),
                                "values": "、".join(unknown),
                                "allowed": "、".join(allowed),
                            },
                        )
    elif kind == RuleKind.AT_LEAST_ONE:
        found = [lookup("field_keys", key) for key in rule.field_keys or [] if isinstance(key, str)]
        for f in found:
            if f is not None and f.required:
                problem("field_keys", gettext("%(f)s已是必填项，该规则不起作用。") % {"f": label(f)})
    elif kind == RuleKind.COLUMN_SUM_MAX:
        table = lookup("field", rule.field) if rule.field else None
        if table and table.field_type != T.TABLE:
            problem("field", gettext("合计规则的目标字段须为表格，%(f)s不是表格。") % {"f": label(table)})
        elif table and rule.column:
            columns = {c.key: c for c in _safe_columns(table)}
            column = columns.get(rule.column)
            if column is None:
                problem(
                    "column",
                    gettext("表格%(f)s没有标识为「%(key)s」的列。") % {"f": label(table), "key": rule.column},
                )
            elif column.field_type not in NUMBER_TYPES:
                problem(
                    "column", gettext("只能合计整数或小数列，「%(c)s」不是数字列。") % {"c": column.label}
                )
        if rule.other_field:
            cap = lookup("other_field", rule.other_field)
            if cap and cap.field_type not in NUMBER_TYPES:
                problem("other_field", gettext("作为上限的%(f)s须为整数或小数字段。") % {"f": label(cap)})
    return problems


def _safe_columns(table: FormField) -> list[FormField]:
    try:
        return table.column_fields
    except ValidationError:
        return []


def _condition_values(field: FormField) -> list[str] | None:
    """The values a condition on this field may name; None when any value will do."""
    if field.field_type in CHOICE_TYPES:
        return [value for value, _label in field.option_pairs]
    if field.field_type == T.BOOLEAN:
        return ["true", "false"]
    return None


def validate_spec(fields: list[FormField], rules: list[FormRule]) -> None:
    """Every row check and every spec-wide check; one ValidationError listing all problems."""
    messages: list[str] = []
    for field in fields:
        for attr_messages in field_errors(field).values():
            messages += [f"{gettext('字段')}「{field.label or field.key}」：{m}" for m in attr_messages]
    for index, rule in enumerate(rules, start=1):
        for attr_messages in rule_errors(rule).values():
            messages += [f"{gettext('第%(n)d条规则') % {'n': index}}：{m}" for m in attr_messages]
    for problem in spec_problems(fields, rules):
        if isinstance(problem.target, FormField):
            where = f"{gettext('字段')}「{problem.target.label or problem.target.key}」"
        else:
            where = gettext("第%(n)d条规则") % {"n": rules.index(problem.target) + 1}
        messages.append(f"{where}：{problem.message}")
    if messages:
        raise ValidationError(messages)


# --- The spec format ----------------------------------------------------------------------

FIELD_KEYS = frozenset(
    {
        "key",
        "label",
        "type",
        "required",
        "help",
        "placeholder",
        "min_length",
        "max_length",
        "pattern",
        "pattern_message",
        "min",
        "max",
        "decimal_places",
        "options",
        "min_items",
        "max_items",
        "columns",
        "default",
        "prefill",
    }
)
COLUMN_EXCLUDED_KEYS = frozenset({"columns", "prefill"})
RULE_KEYS = frozenset(
    {"kind", "field", "other", "fields", "values", "column", "limit", "allow_equal", "message"}
)


def _number_out(value) -> int | str | None:
    """A Decimal as JSON: an int when whole, else its plain string (no float rounding)."""
    if value is None:
        return None
    value = Decimal(value)
    if _is_integral(value):
        return int(value)
    return format(value.normalize(), "f")


def _decimal_in(value, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(gettext("「%(name)s」须为数字。") % {"name": name})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(gettext("「%(name)s」须为数字。") % {"name": name}) from None
    if not number.is_finite() or number.as_tuple().exponent < -4 or abs(number) >= Decimal(10) ** 16:
        raise ValidationError(gettext("「%(name)s」须为不超过16位整数、4位小数的数字。") % {"name": name})
    return number


def _int_in(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(gettext("「%(name)s」须为非负整数。") % {"name": name})
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(gettext("「%(name)s」须为非负整数。") % {"name": name}) from None
    if number < 0:
        raise ValidationError(gettext("「%(name)s」须为非负整数。") % {"name": name})
    return number


def normalize_options(raw) -> list[dict[str, str]]:
    """Options from any of the accepted shapes: "标签", "value|标签", {value, label}."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError(gettext("选项须为列表。"))
    options = []
    for item in raw:
        if isinstance(item, dict):
            if set(item) - {"value", "label"} or "value" not in item:
                raise ValidationError(gettext("选项须写作 {value: 取值, label: 名称}。"))
            value = str(item["value"]).strip()
            options.append({"value": value, "label": str(item.get("label", value)).strip()})
        elif isinstance(item, str | int) and not isinstance(item, bool):
            text = str(item).strip()
            value, sep, label = text.partition("|")
            options.append({"value": value.strip(), "label": (label if sep else value).strip()})
        else:
            raise ValidationError(gettext("选项「%(item)s」格式不正确。") % {"item": item})
    return options


def field_from_dict(data: dict, *, column: bool = False) -> FormField:
    """An unsaved ``FormField`` from the spec format (raises ValidationError on a malformed entry)."""
    if not isinstance(data, dict):
        raise ValidationError(gettext("每个字段须写作 {key: …, label: …, type: …}。"))
    allowed = FIELD_KEYS - (COLUMN_EXCLUDED_KEYS if column else frozenset())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(gettext("不认识的属性：%(keys)s。") % {"keys": "、".join(map(str, unknown))})
    key = str(data.get("key") or "").strip()
    label = str(data.get("label") or "").strip()
    if not key or not label:
        raise ValidationError(gettext("字段须有标识（key）和名称（label）。"))
    field_type = str(data.get("type") or FieldType.TEXT)
    if field_type not in FieldType.values:
        raise ValidationError(
            gettext("字段「%(label)s」的类型「%(type)s」不受支持。") % {"label": label, "type": field_type}
        )
    required = data.get("required", True)
    if not isinstance(required, bool):
        raise ValidationError(gettext("字段「%(label)s」的 required 须为 true 或 false。") % {"label": label})
    field = FormField(
        key=key,
        label=label,
        field_type=field_type,
        required=required,
        help_text=str(data.get("help") or "").strip(),
        placeholder=str(data.get("placeholder") or "").strip(),
        pattern=str(data.get("pattern") or ""),
        pattern_message=str(data.get("pattern_message") or "").strip(),
        options=normalize_options(data.get("options")),
        columns=_normalize_columns(data.get("columns")),
        prefill=str(data.get("prefill") or ""),
    )
    for attr in ("min_length", "max_length", "min_items", "max_items", "decimal_places"):
        if data.get(attr) is not None:
            setattr(field, attr, _int_in(data[attr], attr))
    for name, number_attr, date_attr in (("min", "min_value", "min_date"), ("max", "max_value", "max_date")):
        if data.get(name) is None or data.get(name) == "":
            continue
        value = data[name]
        if field_type == T.DATE:
            setattr(field, date_attr, value.isoformat() if isinstance(value, datetime.date) else str(value))
        else:
            setattr(field, number_attr, _decimal_in(value, name))
    default = data.get("default")
    if default is not None and default != "":
        if isinstance(default, bool):
            default = "true" if default else "false"
        elif isinstance(default, list):
            default = ",".join(str(v) for v in default)
        elif isinstance(default, datetime.date):
            default = default.isoformat()
        field.default = str(default)
    return field


def _normalize_columns(raw) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError(gettext("表格列须为列表。"))
    return [field_to_dict(field_from_dict(column, column=True)) for column in raw]


def field_to_dict(field: FormField) -> dict[str, Any]:
    """The spec format of one field: only what differs from the defaults, in a stable order."""
    out: dict[str, Any] = {"key": field.key, "label": field.label, "type": field.field_type}
    if not field.required:
        out["required"] = False
    for attr, name in (("help_text", "help"), ("placeholder", "placeholder")):
        if getattr(field, attr):
            out[name] = getattr(field, attr)
    for attr in ("min_length", "max_length"):
        if getattr(field, attr) is not None:
            out[attr] = getattr(field, attr)
    if field.pattern:
        out["pattern"] = field.pattern
    if field.pattern_message:
        out["pattern_message"] = field.pattern_message
    if field.field_type == T.DATE:
        if field.min_date:
            out["min"] = field.min_date
        if field.max_date:
            out["max"] = field.max_date
    else:
        if field.min_value is not None:
            out["min"] = _number_out(field.min_value)
        if field.max_value is not None:
            out["max"] = _number_out(field.max_value)
    if field.decimal_places not in (None, DEFAULT_DECIMAL_PLACES):
        out["decimal_places"] = field.decimal_places
    if field.options:
        out["options"] = [{"value": str(o["value"]), "label": str(o["label"])} for o in field.options]
    for attr in ("min_items", "max_items"):
        if getattr(field, attr) is not None:
            out[attr] = getattr(field, attr)
    if field.columns:
        out["columns"] = field.columns
    if field.default:
        out["default"] = field.default
    if field.prefill:
        out["prefill"] = field.prefill
    return out


def rule_from_dict(data: dict) -> FormRule:
    if not isinstance(data, dict):
        raise ValidationError(gettext("每条规则须写作 {kind: …, field: …}。"))
    unknown = sorted(set(data) - RULE_KEYS)
    if unknown:
        raise ValidationError(
            gettext("规则中不认识的属性：%(keys)s。") % {"keys": "、".join(map(str, unknown))}
        )
    kind = str(data.get("kind") or "")
    if kind not in RuleKind.values:
        raise ValidationError(gettext("不支持的规则类型「%(kind)s」。") % {"kind": kind})
    fields = data.get("fields") or []
    values = data.get("values")
    if values is None:
        values = []
    elif not isinstance(values, list):
        values = [values]
    allow_equal = data.get("allow_equal", False)
    if not isinstance(allow_equal, bool):
        raise ValidationError(gettext("allow_equal 须为 true 或 false。"))
    rule = FormRule(
        kind=kind,
        field=str(data.get("field") or ""),
        other_field=str(data.get("other") or ""),
        field_keys=[str(k) for k in fields] if isinstance(fields, list) else fields,
        values=[_condition_text(v) for v in values],
        column=str(data.get("column") or ""),
        allow_equal=allow_equal,
        message=str(data.get("message") or "").strip(),
    )
    if data.get("limit") is not None:
        rule.limit = _decimal_in(data["limit"], "limit")
    return rule


def _condition_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rule_to_dict(rule: FormRule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind}
    if rule.kind == RuleKind.AT_LEAST_ONE:
        out["fields"] = list(rule.field_keys or [])
    else:
        out["field"] = rule.field
    if rule.other_field:
        out["other"] = rule.other_field
    if rule.values:
        out["values"] = [str(v) for v in rule.values]
    if rule.column:
        out["column"] = rule.column
    if rule.limit is not None:
        out["limit"] = _number_out(rule.limit)
    if rule.allow_equal:
        out["allow_equal"] = True
    if rule.message:
        out["message"] = rule.message
    return out


def spec_to_dict(spec: FormSpec | None = None, *, intro: str = "", fields=None, rules=None) -> dict[str, Any]:
    """The spec format of a saved spec (or of the given rows)."""
    if spec is not None:
        intro = spec.intro
        fields = spec.ordered_fields() if fields is None else fields
        rules = spec.ordered_rules() if rules is None else rules
    out: dict[str, Any] = {}
    if intro:
        out["intro"] = intro
    out["fields"] = [field_to_dict(f) for f in fields or []]
    if rules:
        out["rules"] = [rule_to_dict(r) for r in rules]
    return out


def spec_from_dict(data: dict) -> tuple[str, list[FormField], list[FormRule]]:
    """(intro, fields, rules) as unsaved rows, each row checked; raises one ValidationError for all."""
    if not isinstance(data, dict):
        raise ValidationError(gettext("表单定义须为包含 fields 的映射。"))
    unknown = sorted(set(data) - {"intro", "fields", "rules"})
    if unknown:
        raise ValidationError(gettext("表单定义中不认识的属性：%(keys)s。") % {"keys": "、".join(unknown)})
    raw_fields, raw_rules = data.get("fields") or [], data.get("rules") or []
    if not isinstance(raw_fields, list) or not isinstance(raw_rules, list):
        raise ValidationError(gettext("fields 和 rules 须为列表。"))
    messages: list[str] = []
    fields: list[FormField] = []
    rules: list[FormRule] = []
    for index, raw in enumerate(raw_fields, start=1):
        try:
            fields.append(field_from_dict(raw))
        except ValidationError as error:
            messages += [gettext("第%(n)d个字段：%(e)s") % {"n": index, "e": m} for m in error.messages]
    for index, raw in enumerate(raw_rules, start=1):
        try:
            rules.append(rule_from_dict(raw))
        except ValidationError as error:
            messages += [gettext("第%(n)d条规则：%(e)s") % {"n": index, "e": m} for m in error.messages]
    if messages:
        raise ValidationError(messages)
    return str(data.get("intro") or "").strip(), fields, rules


def spec_digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --- Saving: versions and the loader ---------------------------------------------------------


@transaction.atomic
def record_version(spec: FormSpec, *, actor=None) -> bool:
    """Give the spec a new version when its content changed since the last one; True if it did.

    Called after every save of the spec and its rows (admin, loader). The row is locked so
    two editors saving at once get two versions, not one number twice.
    """
    locked = FormSpec.objects.select_for_update().get(pk=spec.pk)
    content = spec_to_dict(locked)
    digest = spec_digest(content)
    if digest == locked.digest:
        spec.version, spec.digest = locked.version, locked.digest
        return False
    locked.version += 1
    locked.digest = digest
    locked.save(update_fields=["version", "digest", "updated_at"])
    FormSpecVersion.objects.create(spec=locked, version=locked.version, snapshot=content, created_by=actor)
    spec.version, spec.digest = locked.version, locked.digest
    return True


@transaction.atomic
def load_spec(matter, spec_dict: dict, *, actor=None) -> FormSpec:
    """Make ``matter``'s form exactly ``spec_dict`` (the format of this module's docstring).

    Idempotent: when the content is already the same nothing is written and the version
    stays. Raises ValidationError (Chinese messages, naming the field or rule) and writes
    nothing when the spec is invalid.
    """
    intro, fields, rules = spec_from_dict(spec_dict)
    validate_spec(fields, rules)
    content = spec_to_dict(intro=intro, fields=fields, rules=rules)
    spec, _created = FormSpec.objects.get_or_create(matter=matter)
    if spec.digest and spec.digest == spec_digest(content) and spec_to_dict(spec) == content:
        return spec
    spec.intro = intro
    spec.save(update_fields=["intro", "updated_at"])
    spec.fields.all().delete()
    spec.rules.all().delete()
    for position, field in enumerate(fields, start=1):
        field.spec, field.sort_order = spec, position * 10
    for position, rule in enumerate(rules, start=1):
        rule.spec, rule.sort_order = spec, position * 10
    FormField.objects.bulk_create(fields)
    FormRule.objects.bulk_create(rules)
    record_version(spec, actor=actor)
    return spec


@transaction.atomic
def load_forms_file(path, *, actor=None) -> list[FormSpec]:
    """Load every form of a YAML file (``matters/fixtures/demo/forms.yaml``) with ``load_spec``.

    The file holds ``forms:``, a list of specs each with a ``matter:`` key naming its matter
    (unique by name). All or nothing: the first problem stops the load, naming the matter.
    """
    import yaml

    from matters.models import Matter

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    loaded = []
    for entry in data.get("forms") or []:
        spec_dict = dict(entry)
        name = str(spec_dict.pop("matter", ""))
        matters = list(Matter.objects.filter(name=name)[:2])
        if len(matters) != 1:
            raise ValidationError(
                gettext("表单「%(name)s」：没有找到唯一的同名事项（找到%(n)d个）。")
                % {"name": name, "n": len(matters)}
            )
        try:
            loaded.append(load_spec(matters[0], spec_dict, actor=actor))
        except ValidationError as error:
            raise ValidationError([f"{name}：{message}" for message in error.messages]) from None
    return loaded


def dump_spec(matter) -> dict[str, Any] | None:
    """The matter's current spec in the spec format (None when it has none)."""
    spec = FormSpec.objects.filter(matter=matter).first()
    return spec_to_dict(spec) if spec else None
