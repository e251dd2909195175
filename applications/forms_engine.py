"""The form engine: a matter's form specification (``matters.forms_spec``) as a web form, a JSON
Schema for the API and the server-side validation (专业信息校验) of answers.

One validation path for every channel: the web form and ``validate_data`` (API, completeness
check) clean each answer with the same Django form field and check the cross-field rules
with the same ``evaluate_rules``. Answers are stored JSON-safe (``form_data``): text as
strings, integers as numbers, decimals as strings with their decimal places, dates as ISO
strings, choices as their values, an address as ``{region, region_name, detail}``, a table
as a list of row objects; an unanswered question is ``None`` (``[]`` for lists, ``False``
for a tick box).

Entry points:

* ``build_form(matter, data=None, profile=None, answers=None)``: the bound or unbound form
  for the applicant pages, prefilled from the profile dict (``name``, ``id_number``,
  ``mobile``, ``email``, ``org_name``, ``org_code``) and a draft's answers. Render it with
  ``{% include "applications/form/form.html" with form=form %}``. A table's "增加一行"
  button submits the form: then ``form.adding_row`` is true and ``is_valid()`` is false
  without errors, so the page simply shows the form again with one more row.
* ``validate_data(matter, data) -> (cleaned, errors_by_field)`` for the API.
* ``json_schema(matter)``: the draft 2020-12 schema of a matter's answers.
* ``display_answers(spec, data)``: the answers with their labels, for the case pages.
* ``problems(case)``: the completeness checker (registered with ``applications.completeness``).
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications import completeness
from matters import cache as catalogue_cache
from matters.forms_spec import (
    MAX_TABLE_ROWS,
    FieldType,
    FormField,
    FormRule,
    FormSpec,
    FormSpecVersion,
    Prefill,
    RuleKind,
    describe_date_bound,
    is_relative_bound,
    parse_default,
    resolve_date_bound,
    spec_from_dict,
)
from matters.models import Region
from portal.validators import (
    PHONE_WITH_AREA_CODE,
    normalize_id_number,
    normalize_mobile,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_phone_with_area_code,
    validate_uscc,
)

T = FieldType
NON_FIELD = "__all__"
RADIO_MAX_OPTIONS = 5
ADDRESS_DETAIL_MAX_LENGTH = 200
# Upper bounds when a spec sets none: an answer is never unbounded.
DEFAULT_MAX_LENGTH = {FieldType.TEXT: 500, FieldType.TEXTAREA: 5000}
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
AUTOCOMPLETE = {
    Prefill.NAME: "name",
    Prefill.EMAIL: "email",
    Prefill.MOBILE: "tel",
    Prefill.ORG_NAME: "organization",
    Prefill.ID_NUMBER: "off",
    Prefill.ORG_CODE: "off",
}

# --- The spec as the engine reads it -------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A matter's form at one version: what every function of the engine works from."""

    version: int = 0
    intro: str = ""
    fields: tuple[FormField, ...] = ()
    rules: tuple[FormRule, ...] = ()
    title: str = ""
    code: str = ""
    by_key: dict[str, FormField] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        self.by_key.update({f.key: f for f in self.fields})

    def label(self, key: str) -> str:
        found = self.by_key.get(key)
        return found.label if found else key


_ROWS_CACHE: OrderedDict[tuple, tuple] = OrderedDict()
_SPEC_CACHE_SIZE = 256


def get_spec(matter, version: int | None = None) -> Spec:
    """The matter's form, current or at ``version`` (from its snapshot); empty when it has none.

    Rows are cached per content digest, so a lookup costs one query once warm; any change
    gives a new digest (``matters.forms_spec.record_version``).
    """
    title = gettext("%(matter)s申请表") % {"matter": matter.name}
    meta = {"title": title, "code": matter.implementation_code}
    row = _spec_row(matter)
    if row is None:
        return Spec(**meta)
    if version is not None and version != row.version:
        snapshot = FormSpecVersion.objects.filter(spec=row, version=version).values_list(
            "snapshot", flat=True
        )
        content = snapshot.first()
        if content is None:
            return Spec(version=version, **meta)
        intro, fields, rules = spec_from_dict(content)
        return Spec(version=version, intro=intro, fields=tuple(fields), rules=tuple(rules), **meta)
    key = (row.pk, row.version, row.digest)
    rows = _ROWS_CACHE.get(key) if row.digest else None
    if rows is None:
        rows = (tuple(row.ordered_fields()), tuple(row.ordered_rules()))
        if row.digest:
            _ROWS_CACHE[key] = rows
            while len(_ROWS_CACHE) > _SPEC_CACHE_SIZE:
                _ROWS_CACHE.popitem(last=False)
    else:
        _ROWS_CACHE.move_to_end(key)
    return Spec(version=row.version, intro=row.intro, fields=rows[0], rules=rows[1], **meta)


def _spec_row(matter) -> FormSpec | None:
    """The matter's FormSpec row (its version, digest and intro), kept until the catalogue
    changes: a new version saves the row, and every save of it replaces the catalogue version."""
    return catalogue_cache.snapshot(
        "form-spec",
        matter.pk,
        build=lambda: (
            FormSpec.objects.filter(matter_id=matter.pk).only("id", "version", "digest", "intro").first()
        ),
    )


def current_version(matter) -> int:
    """The version a submission filled in now should record (``Submission.form_version``)."""
    row = _spec_row(matter)
    return row.version if row is not None else 0


# --- Values ------------------------------------------------------------------------------------


def is_empty(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def to_json(f: FormField, value) -> Any:
    """A cleaned Python value as stored in ``form_data``."""
    t = f.field_type
    if t in (T.MULTI_CHOICE, T.TABLE):
        return list(value or [])
    if t == T.BOOLEAN:
        return bool(value)
    if value is None or value == "":
        return None
    if t == T.DATE:
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if t == T.DECIMAL:
        places = f.effective_decimal_places
        return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))
    if t == T.INTEGER:
        return int(value)
    return value


TYPE_EXPECTED = {
    T.ADDRESS: _("包含 region 和 detail 的对象"),
    T.MULTI_CHOICE: _("选项取值的列表"),
    T.TABLE: _("行的列表"),
    T.BOOLEAN: _("true 或 false"),
    T.INTEGER: _("整数"),
    T.DECIMAL: _("数字"),
    T.DATE: _("日期字符串，例如 2025-01-31"),
}


def _type_error(f: FormField) -> ValidationError:
    expected = TYPE_EXPECTED.get(f.field_type, _("文本"))
    return ValidationError(gettext("格式不正确，应为%(expected)s。") % {"expected": expected}, code="type")


def to_field_input(f: FormField, value) -> Any:
    """A JSON answer (API, stored draft) as the input its Django form field expects."""
    t = f.field_type
    if t == T.TABLE:
        return value
    if t == T.ADDRESS:
        if value is None or value == "":
            return [None, None]
        if isinstance(value, dict):
            return [value.get("region"), value.get("detail")]
        raise _type_error(f)
    if t == T.MULTI_CHOICE:
        if value is None or value == "":
            return []
        if isinstance(value, list) and all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            return [str(v) for v in value]
        raise _type_error(f)
    if t == T.BOOLEAN:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        raise _type_error(f)
    if value is None:
        return ""
    if isinstance(value, bool | list | dict):
        raise _type_error(f)
    return value if isinstance(value, str) else str(value)


# --- Form fields and widgets ----------------------------------------------------------------


class TelInput(forms.TextInput):
    input_type = "tel"


class NormalizedCharField(forms.CharField):
    """A code-like text (ID number, USCC, mobile) normalised before it is validated and stored."""

    def __init__(self, *, normalizer=None, **kwargs):
        self.normalizer = normalizer
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalizer(value) if value and self.normalizer else value


class FullMatchValidator:
    """The whole answer matches the pattern (as HTML's pattern attribute does)."""

    def __init__(self, pattern: str, message: str = ""):
        self.regex = re.compile(pattern)
        self.message = message or _("格式不正确。")

    def __call__(self, value) -> None:
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code="pattern")


class DateBoundValidator:
    """Not before / not after a date bound, resolved when the answer is checked (today moves)."""

    def __init__(self, bound: str, *, upper: bool):
        self.bound, self.upper = bound, upper

    def __call__(self, value: datetime.date) -> None:
        limit = resolve_date_bound(self.bound)
        if (value > limit) if self.upper else (value < limit):
            shown = limit.isoformat()
            if is_relative_bound(self.bound):
                shown = f"{describe_date_bound(self.bound)}（{shown}）"
            template = gettext("不能晚于%(limit)s。") if self.upper else gettext("不能早于%(limit)s。")
            raise ValidationError(template % {"limit": shown}, code="max_date" if self.upper else "min_date")


class ItemsCountValidator:
    def __init__(self, minimum: int | None, maximum: int | None, unit: str):
        self.minimum, self.maximum, self.unit = minimum, maximum, unit

    def __call__(self, value) -> None:
        count = len(value or [])
        if self.minimum is not None and 0 < count < self.minimum:
            raise ValidationError(
                gettext("至少%(n)d%(unit)s。") % {"n": self.minimum, "unit": self.unit}, code="min_items"
            )
        if self.maximum is not None and count > self.maximum:
            raise ValidationError(
                gettext("最多%(n)d%(unit)s。") % {"n": self.maximum, "unit": self.unit}, code="max_items"
            )


def _render_partial(template: str, context: dict) -> str:
    # The project's templates, not the form renderer's engine (which does not see templates/).
    return mark_safe(render_to_string(template, context))  # an escaped template of ours


class AddressWidget(forms.MultiWidget):
    """行政区划 select + detail line, each with its own label inside the field's fieldset."""

    use_fieldset = True

    def __init__(self, choices, attrs=None, detail_attrs=None):
        widgets = {
            "region": forms.Select(choices=choices),
            "detail": forms.TextInput(attrs={"autocomplete": "street-address", **(detail_attrs or {})}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, dict):
            return [value.get("region"), value.get("detail")]
        return [None, None]

    def render(self, name, value, attrs=None, renderer=None):
        if not isinstance(value, list | tuple):
            value = self.decompress(value)
        value = [*value, None, None][:2]
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", None) or f"id_{name}"
        region_id, detail_id = f"{base_id}_region", f"{base_id}_detail"
        region_widget, detail_widget = self.widgets
        context = {
            "region_id": region_id,
            "detail_id": detail_id,
            "region_html": region_widget.render(
                f"{name}_region", value[0], {**attrs, "id": region_id}, renderer=renderer
            ),
            "detail_html": detail_widget.render(
                f"{name}_detail", value[1], {**attrs, "id": detail_id}, renderer=renderer
            ),
        }
        return _render_partial("applications/form/address.html", context)


class AddressField(forms.MultiValueField):
    widget = AddressWidget

    def __init__(self, *, regions: list[tuple[str, str, str]], min_length=None, max_length=None, **kwargs):
        self.region_names = {code: full_name for code, _name, full_name in regions}
        choices = _region_select_choices(regions)
        detail_max = max_length or ADDRESS_DETAIL_MAX_LENGTH
        fields = (
            forms.ChoiceField(
                choices=choices,
                error_messages={"invalid_choice": _("请从列表中选择所在区域。")},
            ),
            forms.CharField(
                min_length=min_length,
                max_length=detail_max,
                error_messages=LENGTH_MESSAGES,
            ),
        )
        detail_attrs = {"maxlength": str(detail_max)}
        kwargs.setdefault("widget", AddressWidget(choices, detail_attrs=detail_attrs))
        kwargs.setdefault("error_messages", ADDRESS_MESSAGES)
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        region, detail = data_list
        return {"region": region, "region_name": self.region_names.get(region, ""), "detail": detail}


REGION_CACHE_KEY = "forms_engine:region_options"
REGION_CACHE_SECONDS = 300


def region_options() -> list[tuple[str, str, str]]:
    """(code, name, full name) of the regions an address may name: current counties and towns.

    Cached for a few minutes: every address field of every validation reads it, and the
    divisions change a few times a year.
    """
    cached = cache.get(REGION_CACHE_KEY)
    if cached is not None:
        return cached
    current = Region.objects.filter(valid_to__isnull=True).order_by("code")
    columns = ("code", "name", "parent__name")
    rows = list(current.filter(kind__in=[Region.Kind.COUNTY, Region.Kind.TOWN]).values_list(*columns))
    rows = rows or list(current.values_list(*columns))
    out = []
    for code, name, parent in rows:
        parent = parent or ""
        out.append((code, name, name if name.startswith(parent) else f"{parent}{name}"))
    cache.set(REGION_CACHE_KEY, out, REGION_CACHE_SECONDS)
    return out


def _region_select_choices(regions) -> list:
    """Grouped by the part of the full name before the region's own name (the city)."""
    groups: OrderedDict[str, list] = OrderedDict()
    for code, name, full in regions:
        groups.setdefault(full[: len(full) - len(name)], []).append((code, name))
    choices: list = [("", _("请选择所在区域"))]
    if len(groups) == 1:
        return choices + next(iter(groups.values()))
    return choices + [(group or gettext("其他"), items) for group, items in groups.items()]


class TableRowsWidget(forms.Widget):
    """Rows of typed cells with an "增加一行" submit button: works without JavaScript.

    Posted as ``<name>-rows`` (how many rows are shown), ``<name>-<i>-<column>`` per cell and
    ``<name>-add`` when the button was pressed (one more blank row). Blank rows are ignored.
    """

    use_fieldset = True

    def __init__(self, columns, *, min_rows: int = 0, max_rows: int = MAX_TABLE_ROWS, attrs=None):
        self.columns = columns  # [(FormField, forms.Field)]
        self.min_rows, self.max_rows = min_rows, max_rows
        super().__init__(attrs)

    def __deepcopy__(self, memo):
        obj = super().__deepcopy__(memo)
        obj.columns = self.columns
        return obj

    def cell_name(self, name: str, index: int, key: str) -> str:
        return f"{name}-{index}-{key}"

    def value_from_datadict(self, data, files, name):
        if f"{name}-rows" not in data:
            return None
        try:
            count = int(data.get(f"{name}-rows") or 0)
        except (TypeError, ValueError):
            count = 0
        count = max(0, min(count, self.max_rows))
        rows = [
            {
                column.key: form_field.widget.value_from_datadict(
                    data, files, self.cell_name(name, i, column.key)
                )
                for column, form_field in self.columns
            }
            for i in range(count)
        ]
        if f"{name}-add" in data and count < self.max_rows:
            rows.append({})
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-rows" not in data

    def id_for_label(self, id_):
        return ""

    def render(self, name, value, attrs=None, renderer=None):
        rows = [row if isinstance(row, dict) else {} for row in value] if isinstance(value, list) else []
        while len(rows) < max(self.min_rows, 1):
            rows.append({})
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.get("id") or f"id_{name}"
        header = [
            {"label": column.label, "required": column.required, "help": column.help_text}
            for column, _form_field in self.columns
        ]
        body = []
        for index, row in enumerate(rows):
            cells = []
            for column, form_field in self.columns:
                cell_attrs = {
                    "id": f"{base_id}_{index}_{column.key}",
                    "aria-label": gettext("第%(n)d行 %(label)s") % {"n": index + 1, "label": column.label},
                }
                raw = row.get(column.key)
                cells.append(
                    form_field.widget.render(
                        self.cell_name(name, index, column.key),
                        form_field.prepare_value(raw),
                        cell_attrs,
                        renderer=renderer,
                    )
                )
            body.append({"number": index + 1, "cells": cells})
        context = {
            "name": name,
            "id": base_id,
            "header": header,
            "rows": body,
            "row_count": len(rows),
            "can_add": len(rows) < self.max_rows,
            "max_rows": self.max_rows,
        }
        return _render_partial("applications/form/table_rows.html", context)


class TableRowsField(forms.Field):
    """A list of rows; each cell is cleaned by its column's own field."""

    def __init__(self, *, columns, min_rows=None, max_rows=None, **kwargs):
        self.columns = columns  # [(FormField, forms.Field)]
        self.min_rows, self.max_rows = min_rows, max_rows or MAX_TABLE_ROWS
        kwargs.setdefault(
            "widget", TableRowsWidget(columns, min_rows=min_rows or 0, max_rows=max_rows or MAX_TABLE_ROWS)
        )
        kwargs.setdefault("error_messages", {"required": _("请至少填写一行。")})
        super().__init__(**kwargs)

    def clean(self, value):
        if value is None or value == "":
            value = []
        if not isinstance(value, list):
            raise ValidationError(gettext("格式不正确，应为行的列表。"), code="type")
        keys = {column.key for column, _field in self.columns}
        cleaned, errors = [], []
        for number, row in enumerate(value, start=1):
            where = gettext("第%(n)d行") % {"n": number}
            if not isinstance(row, dict):
                errors.append(gettext("%(row)s格式不正确，应为对象。") % {"row": where})
                continue
            unknown = [str(k) for k in row if k not in keys]
            if unknown:
                errors.append(
                    gettext("%(row)s：表格中没有「%(keys)s」列。")
                    % {"row": where, "keys": "、".join(unknown)}
                )
                continue
            if all(is_empty(v) for v in row.values()):
                continue  # a blank row the applicant left (or added and did not use)
            out = {}
            for column, form_field in self.columns:
                try:
                    out[column.key] = to_json(
                        column, form_field.clean(to_field_input(column, row.get(column.key)))
                    )
                except ValidationError as error:
                    errors += [f"{where}「{column.label}」：{message}" for message in error.messages]
            cleaned.append(out)
        if errors:
            raise ValidationError(errors)
        if not cleaned and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if cleaned and self.min_rows and len(cleaned) < self.min_rows:
            raise ValidationError(gettext("至少填写%(n)d行。") % {"n": self.min_rows}, code="min_items")
        if len(cleaned) > self.max_rows:
            raise ValidationError(gettext("最多填写%(n)d行。") % {"n": self.max_rows}, code="max_items")
        return cleaned


# Messages are lazy: translated only when an error is shown, not for every field built.
REQUIRED = _("请填写此项。")
LENGTH_MESSAGES = {
    "required": REQUIRED,
    "max_length": _("不能超过%(limit_value)d个字（已填%(show_value)d个）。"),
    "min_length": _("至少填写%(limit_value)d个字（已填%(show_value)d个）。"),
}
NUMBER_MESSAGES = {
    "required": REQUIRED,
    "min_value": _("不能小于%(limit_value)s。"),
    "max_value": _("不能大于%(limit_value)s。"),
    "max_decimal_places": _("最多保留%(max)s位小数。"),
    "max_digits": _("数字过长，最多%(max)s位。"),
    "max_whole_digits": _("整数部分过长，最多%(max)s位。"),
}
INTEGER_MESSAGES = {**NUMBER_MESSAGES, "invalid": _("请输入整数。")}
DECIMAL_MESSAGES = {**NUMBER_MESSAGES, "invalid": _("请输入数字。")}
DATE_MESSAGES = {"required": REQUIRED, "invalid": _("请输入有效的日期，例如 2025-01-31。")}
CHOICE_MESSAGES = {
    "required": _("请选择此项。"),
    "invalid_choice": _("「%(value)s」不是可选项，请从列表中选择。"),
}
MULTI_CHOICE_MESSAGES = {
    "required": _("请至少选择一项。"),
    "invalid_choice": _("「%(value)s」不是可选项，请从列表中选择。"),
    "invalid_list": _("请选择一项或多项。"),
}
BOOLEAN_MESSAGES = {"required": _("请勾选此项。")}
EMAIL_MESSAGES = {"required": REQUIRED, "invalid": _("请输入有效的电子邮箱地址，例如 name@example.cn。")}
ADDRESS_MESSAGES = {
    "required": _("请选择所在区域并填写详细地址。"),
    "incomplete": _("请同时选择所在区域并填写详细地址。"),
}


def _plain(value):
    """A Decimal bound as an int or a plain decimal string (for messages and attributes)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value.normalize()


def build_field(
    f: FormField, *, regions: list | None = None, help_suffix: str = "", in_table: bool = False
) -> forms.Field:
    """The Django form field of one spec field (also used for a table's columns, ``in_table``)."""
    t = f.field_type
    help_text = " ".join(part for part in (f.help_text, help_suffix) if part)
    common: dict[str, Any] = {"label": f.label, "required": f.required, "help_text": help_text}
    attrs: dict[str, Any] = {}
    if f.placeholder:
        attrs["placeholder"] = f.placeholder
    if f.prefill in AUTOCOMPLETE:
        attrs["autocomplete"] = AUTOCOMPLETE[f.prefill]

    def text_input(widget_class=forms.TextInput, **extra):
        return widget_class(attrs={**extra, **attrs})

    if t in (T.TEXT, T.TEXTAREA):
        validators = [FullMatchValidator(f.pattern, f.pattern_message)] if f.pattern else []
        widget = forms.Textarea(attrs={"rows": 4, **attrs}) if t == T.TEXTAREA else text_input()
        return forms.CharField(
            min_length=f.min_length,
            max_length=f.max_length or DEFAULT_MAX_LENGTH[t],
            validators=validators,
            widget=widget,
            error_messages=LENGTH_MESSAGES,
            **common,
        )
    if t == T.INTEGER:
        return forms.IntegerField(
            min_value=None if f.min_value is None else int(f.min_value),
            max_value=None if f.max_value is None else int(f.max_value),
            widget=text_input(forms.NumberInput, inputmode="numeric"),
            error_messages=INTEGER_MESSAGES,
            **common,
        )
    if t == T.DECIMAL:
        places = f.effective_decimal_places
        return forms.DecimalField(
            max_digits=18,
            decimal_places=places,
            min_value=_plain(f.min_value),
            max_value=_plain(f.max_value),
            widget=text_input(forms.NumberInput, inputmode="decimal"),
            error_messages=DECIMAL_MESSAGES,
            **common,
        )
    if t == T.DATE:
        validators, date_attrs = [], {"type": "date"}
        for bound, upper, attr in ((f.min_date, False, "min"), (f.max_date, True, "max")):
            if bound:
                validators.append(DateBoundValidator(bound, upper=upper))
                date_attrs[attr] = resolve_date_bound(bound).isoformat()
        return forms.DateField(
            input_formats=DATE_INPUT_FORMATS,
            validators=validators,
            widget=forms.DateInput(format="%Y-%m-%d", attrs={**date_attrs, **attrs}),
            error_messages=DATE_MESSAGES,
            **common,
        )
    if t == T.CHOICE:
        pairs = f.option_pairs
        # In a table cell one labelled control per cell: a select, never radio buttons.
        if len(pairs) <= RADIO_MAX_OPTIONS and not in_table:
            widget, choices = forms.RadioSelect, pairs
        else:
            widget, choices = forms.Select, [("", _("请选择")), *pairs]
        return forms.ChoiceField(
            choices=choices,
            widget=widget,
            error_messages=CHOICE_MESSAGES,
            **common,
        )
    if t == T.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=f.option_pairs,
            widget=forms.CheckboxSelectMultiple,
            validators=[ItemsCountValidator(f.min_items, f.max_items, _("项"))],
            error_messages=MULTI_CHOICE_MESSAGES,
            **common,
        )
    if t == T.BOOLEAN:
        return forms.BooleanField(error_messages=BOOLEAN_MESSAGES, **common)
    if t == T.ID_NUMBER:
        return NormalizedCharField(
            normalizer=normalize_id_number,
            validators=[validate_id_number],
            widget=text_input(maxlength="18", autocomplete="off", spellcheck="false"),
            error_messages=LENGTH_MESSAGES,
            **common,
        )
    if t == T.USCC:
        return NormalizedCharField(
            normalizer=normalize_uscc,
            validators=[validate_uscc],
            widget=text_input(
                maxlength="18", autocomplete="off", spellcheck="false", autocapitalize="characters"
            ),
            error_messages=LENGTH_MESSAGES,
            **common,
        )
    if t == T.MOBILE:
        return NormalizedCharField(
            normalizer=normalize_mobile,
            validators=[validate_mobile],
            widget=text_input(TelInput, inputmode="numeric", autocomplete="tel", maxlength="20"),
            error_messages=LENGTH_MESSAGES,
            **common,
        )
    if t == T.PHONE:
        return forms.CharField(
            validators=[validate_phone_with_area_code],
            widget=text_input(TelInput, autocomplete="tel", maxlength="20"),
            error_messages=LENGTH_MESSAGES,
            **common,
        )
    if t == T.EMAIL:
        return forms.EmailField(
            widget=text_input(forms.EmailInput, autocomplete="email"),
            error_messages=EMAIL_MESSAGES,
            **common,
        )
    if t == T.ADDRESS:
        return AddressField(
            regions=regions if regions is not None else region_options(),
            min_length=f.min_length,
            max_length=f.max_length,
            **common,
        )
    if t == T.TABLE:
        columns = [(column, build_field(column, in_table=True)) for column in f.column_fields]
        return TableRowsField(columns=columns, min_rows=f.min_items, max_rows=f.max_items, **common)
    raise ValueError(f"unknown field type {t!r}")


# --- Cross-field rules ---------------------------------------------------------------------------


def _number(value) -> Decimal:
    return Decimal(str(value))


def _shown(value) -> str:
    return str(_plain(value)) if isinstance(value, Decimal) else str(value)


def evaluate_rules(spec: Spec, data: dict, failed=frozenset()) -> list[tuple[str, str]]:
    """The (field key, message) of every broken rule over cleaned JSON answers.

    A rule is skipped when a field it reads already has an error (the applicant fixes that
    first) or when a value it compares is missing (the required check speaks for it).
    """
    out: list[tuple[str, str]] = []
    by_key = spec.by_key
    for rule in spec.rules:
        keys = rule.referenced_keys()
        if any(key not in by_key for key in keys) or any(key in failed for key in keys):
            continue
        found = _check_rule(spec, rule, data)
        if found:
            out.append(found)
    return out


def _check_rule(spec: Spec, rule: FormRule, data: dict) -> tuple[str, str] | None:
    by_key = spec.by_key
    quote = "「{}」".format
    if rule.kind == RuleKind.LESS_THAN:
        a, b = data.get(rule.field), data.get(rule.other_field)
        if is_empty(a) or is_empty(b):
            return None
        is_date = by_key[rule.field].field_type == T.DATE
        parse = datetime.date.fromisoformat if is_date else _number
        va, vb = parse(str(a)), parse(str(b))
        if (va <= vb) if rule.allow_equal else (va < vb):
            return None
        la, lb = quote(spec.label(rule.field)), quote(spec.label(rule.other_field))
        if is_date:
            default = gettext("%(b)s不能早于%(a)s。") if rule.allow_equal else gettext("%(b)s应晚于%(a)s。")
        else:
            default = gettext("%(b)s不能小于%(a)s。") if rule.allow_equal else gettext("%(b)s应大于%(a)s。")
        return rule.other_field, rule.message or default % {"a": la, "b": lb}
    if rule.kind == RuleKind.REQUIRED_IF:
        other = by_key[rule.other_field]
        condition = data.get(rule.other_field)
        wanted = {str(v) for v in rule.values or []}
        if other.field_type == T.MULTI_CHOICE:
            matched = [v for v in condition or [] if str(v) in wanted]
        elif other.field_type == T.BOOLEAN:
            matched = [condition] if ("true" if condition else "false") in wanted else []
        else:
            matched = [condition] if not is_empty(condition) and str(condition) in wanted else []
        if not matched or not is_empty(data.get(rule.field)):
            return None
        if other.field_type == T.BOOLEAN:
            default = (
                gettext("勾选%(other)s时须填写此项。")
                if matched[0]
                else gettext("未勾选%(other)s时须填写此项。")
            ) % {"other": quote(other.label)}
        else:
            shown = "、".join(other.option_label(v) if other.option_pairs else str(v) for v in matched)
            default = gettext("%(other)s为“%(value)s”时须填写此项。") % {
                "other": quote(other.label),
                "value": shown,
            }
        return rule.field, rule.message or default
    if rule.kind == RuleKind.AT_LEAST_ONE:
        keys = list(rule.field_keys or [])
        if any(not is_empty(data.get(key)) for key in keys):
            return None
        labels = "".join(quote(spec.label(key)) for key in keys)
        return keys[0], rule.message or gettext("%(labels)s至少填写一项。") % {"labels": labels}
    if rule.kind == RuleKind.COLUMN_SUM_MAX:
        table = by_key[rule.field]
        columns = {c.key: c for c in table.column_fields}
        if rule.column not in columns:
            return None
        total = sum(
            (
                _number(row.get(rule.column))
                for row in data.get(rule.field) or []
                if not is_empty(row.get(rule.column))
            ),
            Decimal(0),
        )
        if rule.other_field:
            cap_value = data.get(rule.other_field)
            if is_empty(cap_value):
                return None
            limit = _number(cap_value)
            limit_text = f"{quote(spec.label(rule.other_field))}（{_shown(limit)}）"
        else:
            limit = Decimal(rule.limit)
            limit_text = _shown(limit)
        if total <= limit:
            return None
        default = gettext("%(column)s合计为%(total)s，不能超过%(limit)s。") % {
            "column": quote(columns[rule.column].label),
            "total": _shown(total),
            "limit": limit_text,
        }
        return rule.field, rule.message or default
    return None


def rule_hints(spec: Spec) -> dict[str, str]:
    """Help text the rules add to fields (a conditional requirement is not visible otherwise)."""
    hints: dict[str, list[str]] = {}
    for rule in spec.rules:
        if rule.kind != RuleKind.REQUIRED_IF or rule.other_field not in spec.by_key:
            continue
        other = spec.by_key[rule.other_field]
        if other.field_type == T.BOOLEAN:
            condition = gettext("勾选") if "true" in rule.values else gettext("未勾选")
            text = gettext("%(cond)s「%(other)s」时必填。") % {"cond": condition, "other": other.label}
        else:
            values = "、".join(other.option_label(v) for v in rule.values or [])
            text = gettext("「%(other)s」为“%(values)s”时必填。") % {"other": other.label, "values": values}
        hints.setdefault(rule.field, []).append(text)
    return {key: " ".join(texts) for key, texts in hints.items()}


# --- The web form --------------------------------------------------------------------------------


class SpecForm(forms.Form):
    """A form generated from a spec (``form_class``); ``json_data`` holds the answers to store."""

    spec: Spec = Spec()

    def __init__(
        self, data=None, files=None, *, profile: dict | None = None, answers: dict | None = None, **kwargs
    ):
        if "initial" not in kwargs:
            kwargs["initial"] = initial_values(self.spec, profile=profile, answers=answers)
        super().__init__(data, files, **kwargs)

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def adding_row(self) -> bool:
        """The applicant pressed a table's "增加一行": show the form again, validate nothing."""
        if not self.is_bound:
            return False
        return any(
            f"{self.add_prefix(f.key)}-add" in self.data for f in self.spec.fields if f.field_type == T.TABLE
        )

    def full_clean(self):
        if self.adding_row:
            self._errors = ErrorDict(renderer=self.renderer)
            self.cleaned_data = {}
            return
        super().full_clean()

    def is_valid(self) -> bool:
        return not self.adding_row and super().is_valid()

    def clean(self):
        cleaned = super().clean()
        data = {f.key: to_json(f, cleaned[f.key]) for f in self.spec.fields if f.key in cleaned}
        for key, message in evaluate_rules(self.spec, data, failed=frozenset(self._errors)):
            self.add_error(key, message)
        return cleaned

    @property
    def json_data(self) -> dict[str, Any]:
        """The answers as stored in ``form_data`` (after ``is_valid()``)."""
        return {f.key: to_json(f, self.cleaned_data.get(f.key)) for f in self.spec.fields}


def form_class(spec: Spec) -> type[SpecForm]:
    """A Form class for the spec (built per call: relative date bounds follow the calendar)."""
    regions = region_options() if any(f.field_type == T.ADDRESS for f in spec.fields) else []
    hints = rule_hints(spec)
    attrs: dict[str, Any] = {"spec": spec}
    for f in spec.fields:
        attrs[f.key] = build_field(f, regions=regions, help_suffix=hints.get(f.key, ""))
    return type("SpecForm", (SpecForm,), attrs)


def initial_values(spec: Spec, *, profile: dict | None = None, answers: dict | None = None) -> dict[str, Any]:
    """Defaults, then the applicant's profile, then a draft's own answers (the later wins)."""
    initial: dict[str, Any] = {}
    for f in spec.fields:
        try:
            default = parse_default(f)
        except ValidationError:
            default = None
        if default is not None:
            initial[f.key] = default
        if f.prefill and profile and not is_empty(profile.get(f.prefill)):
            initial[f.key] = profile[f.prefill]
        if answers and not is_empty(answers.get(f.key)):
            initial[f.key] = answers[f.key]
    return initial


def build_form(
    matter,
    data=None,
    *,
    profile: dict | None = None,
    answers: dict | None = None,
    version: int | None = None,
    **kwargs,
) -> SpecForm:
    """The matter's form, bound to ``data`` (a POST) or prefilled from ``profile`` and ``answers``."""
    return form_class(get_spec(matter, version))(data, profile=profile, answers=answers, **kwargs)


# --- API: validation and schema ------------------------------------------------------------------


def validate_against(spec: Spec, data, *, strict: bool = True) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``validate_data`` for a spec already read. Not strict: keys the form no longer has are ignored."""
    if not isinstance(data, dict):
        return {}, {NON_FIELD: [gettext("表单数据须为对象，键为字段标识。")]}
    regions = region_options() if any(f.field_type == T.ADDRESS for f in spec.fields) else []
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in spec.fields:
        try:
            value = build_field(f, regions=regions).clean(to_field_input(f, data.get(f.key)))
        except ValidationError as error:
            errors[f.key] = list(error.messages)
        else:
            cleaned[f.key] = to_json(f, value)
    if strict:
        for key in data:
            if key not in spec.by_key:
                errors[str(key)] = [gettext("表单中没有此项。")]
    for key, message in evaluate_rules(spec, cleaned, failed=frozenset(errors)):
        errors.setdefault(key, []).append(message)
        cleaned.pop(key, None)
    return cleaned, errors


def validate_data(
    matter, data, *, version: int | None = None, strict: bool = True
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """专业信息校验 of JSON answers: (cleaned answers that passed, {field key: [Chinese messages]}).

    ``cleaned`` is what to store in ``form_data`` when ``errors`` is empty. Unknown keys are
    errors unless ``strict`` is false. Errors that concern the whole object are under ``"__all__"``.
    """
    return validate_against(get_spec(matter, version), data, strict=strict)


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
EMPTY_ANSWERS = [None, "", [], False]


def _options_schema(pairs) -> list[dict]:
    return [{"const": value, "title": label} for value, label in pairs]


def field_schema(f: FormField, *, regions: list | None = None) -> dict[str, Any]:
    """The JSON Schema of one answer (without its title; ``json_schema`` adds it)."""
    t = f.field_type
    required = f.required
    schema: dict[str, Any]
    string_like = True
    if t in (T.TEXT, T.TEXTAREA):
        schema = {"type": "string"}
        if f.min_length is not None or required:
            schema["minLength"] = max(f.min_length or 0, 1 if required else 0)
        schema["maxLength"] = f.max_length or DEFAULT_MAX_LENGTH[t]
        if f.pattern:
            schema["pattern"] = f"^(?:{f.pattern})$"
    elif t == T.INTEGER:
        string_like = False
        schema = {"type": "integer"}
        if f.min_value is not None:
            schema["minimum"] = int(f.min_value)
        if f.max_value is not None:
            schema["maximum"] = int(f.max_value)
    elif t == T.DECIMAL:
        places = f.effective_decimal_places
        fraction = rf"(\.\d{{1,{places}}})?" if places else ""
        schema = {"type": ["string", "number"], "pattern": rf"^-?\d+{fraction}$", "x-decimalPlaces": places}
        if f.min_value is not None:
            schema["minimum"] = _json_number(f.min_value)
        if f.max_value is not None:
            schema["maximum"] = _json_number(f.max_value)
    elif t == T.DATE:
        schema = {"type": "string", "format": "date"}
        if f.min_date:
            schema["x-minDate"] = f.min_date
        if f.max_date:
            schema["x-maxDate"] = f.max_date
    elif t == T.CHOICE:
        schema = {"type": "string", "oneOf": _options_schema(f.option_pairs)}
    elif t == T.MULTI_CHOICE:
        string_like = False
        schema = {"type": "array", "items": {"oneOf": _options_schema(f.option_pairs)}, "uniqueItems": True}
        minimum = max(f.min_items or 0, 1 if required else 0)
        if minimum:
            schema["minItems"] = minimum
        if f.max_items is not None:
            schema["maxItems"] = f.max_items
    elif t == T.BOOLEAN:
        schema = {"type": "boolean"}
        if required:
            schema["const"] = True
        return schema
    elif t == T.ID_NUMBER:
        schema = {"type": "string", "pattern": r"^\d{17}[\dXx]$", "x-format": "cn-resident-id-number"}
    elif t == T.USCC:
        schema = {
            "type": "string",
            "pattern": "^[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}$",
            "x-format": "cn-unified-social-credit-code",
        }
    elif t == T.MOBILE:
        schema = {"type": "string", "pattern": r"^(?:\+86|0086)?1[3-9]\d{9}$", "x-format": "cn-mobile"}
    elif t == T.PHONE:
        schema = {"type": "string", "pattern": PHONE_WITH_AREA_CODE.pattern}
    elif t == T.EMAIL:
        schema = {"type": "string", "format": "email"}
    elif t == T.ADDRESS:
        string_like = False
        regions = regions if regions is not None else region_options()
        detail: dict[str, Any] = {"type": "string", "minLength": max(f.min_length or 0, 1)}
        detail["maxLength"] = f.max_length or ADDRESS_DETAIL_MAX_LENGTH
        region: dict[str, Any] = {"type": "string", "title": gettext("所在区域（行政区划代码）")}
        if regions:
            region["oneOf"] = [{"const": code, "title": full} for code, _name, full in regions]
        schema = {
            "type": "object",
            "properties": {
                "region": region,
                "detail": {**detail, "title": gettext("详细地址")},
                "region_name": {"type": "string", "readOnly": True, "title": gettext("所在区域名称")},
            },
            "required": ["region", "detail"],
            "additionalProperties": False,
        }
    elif t == T.TABLE:
        string_like = False
        columns = f.column_fields
        items = {
            "type": "object",
            "properties": {c.key: {"title": c.label, **field_schema(c)} for c in columns},
            "required": [c.key for c in columns if c.required],
            "additionalProperties": False,
        }
        schema = {"type": "array", "items": items}
        minimum = max(f.min_items or 0, 1 if required else 0)
        if minimum:
            schema["minItems"] = minimum
        schema["maxItems"] = f.max_items or MAX_TABLE_ROWS
    else:  # pragma: no cover -- the spec is validated on save
        raise ValueError(f"unknown field type {t!r}")
    if required:
        return schema
    # Unanswered: null (or "" for text, [] for lists, as the web form sends it).
    empties: list[dict] = [{"type": "null"}]
    if string_like:
        empties.append({"const": ""})
    if t in (T.MULTI_CHOICE, T.TABLE):
        return schema  # minItems is only set when required: [] is valid
    return {"anyOf": [schema, *empties]}


def _json_number(value) -> int | float:
    plain = _plain(value)
    return plain if isinstance(plain, int) else float(plain)


def _condition_schema(other: FormField, values: list[str]) -> dict[str, Any]:
    if other.field_type == T.MULTI_CHOICE:
        return {"type": "array", "contains": {"enum": values}}
    if other.field_type == T.BOOLEAN:
        return {"const": "true" in values} if len(set(values)) == 1 else {"type": "boolean"}
    if other.field_type == T.INTEGER:
        return {"enum": [int(v) for v in values if re.fullmatch(r"-?\d+", v)] + values}
    return {"enum": values}


def _answered(key: str) -> dict[str, Any]:
    return {"required": [key], "properties": {key: {"not": {"enum": EMPTY_ANSWERS}}}}


def json_schema(matter, *, version: int | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a matter's answers, as the API accepts them.

    Rules JSON Schema cannot say (comparisons, sums) are listed under ``x-rules`` with their
    messages; ``validate_data`` enforces all of them.
    """
    return spec_schema(get_spec(matter, version))


def spec_schema(spec: Spec) -> dict[str, Any]:
    regions = region_options() if any(f.field_type == T.ADDRESS for f in spec.fields) else []
    properties: dict[str, Any] = {}
    for f in spec.fields:
        entry: dict[str, Any] = {"title": f.label}
        if f.help_text:
            entry["description"] = f.help_text
        entry.update(field_schema(f, regions=regions))
        default = _default_for_schema(f)
        if default is not None:
            entry["default"] = default
        properties[f.key] = entry
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:zhengwu:matter:{spec.code}:form:v{spec.version}",
        "title": spec.title,
        "type": "object",
        "properties": properties,
        "required": [f.key for f in spec.fields if f.required],
        "additionalProperties": False,
        "x-formVersion": spec.version,
    }
    if spec.intro:
        schema["description"] = spec.intro
    all_of, notes = [], []
    for rule in spec.rules:
        keys = rule.referenced_keys()
        if any(key not in spec.by_key for key in keys):
            continue
        note: dict[str, Any] = {
            "kind": rule.kind,
            "fields": keys,
            "description": _rule_description(spec, rule),
        }
        if rule.kind == RuleKind.REQUIRED_IF:
            other = spec.by_key[rule.other_field]
            all_of.append(
                {
                    "if": {
                        "properties": {
                            rule.other_field: _condition_schema(other, [str(v) for v in rule.values])
                        },
                        "required": [rule.other_field],
                    },
                    "then": _answered(rule.field),
                }
            )
        elif rule.kind == RuleKind.AT_LEAST_ONE:
            all_of.append({"anyOf": [_answered(key) for key in rule.field_keys]})
        elif rule.kind == RuleKind.COLUMN_SUM_MAX:
            note["column"] = rule.column
            if rule.limit is not None:
                note["limit"] = _json_number(rule.limit)
        notes.append(note)
    if all_of:
        schema["allOf"] = all_of
    if notes:
        schema["x-rules"] = notes
    return schema


def _rule_description(spec: Spec, rule: FormRule) -> str:
    if rule.message:
        return rule.message
    label = spec.label
    if rule.kind == RuleKind.LESS_THAN:
        relation = gettext("不大于") if rule.allow_equal else gettext("小于")
        return gettext("「%(a)s」%(rel)s「%(b)s」") % {
            "a": label(rule.field),
            "rel": relation,
            "b": label(rule.other_field),
        }
    if rule.kind == RuleKind.REQUIRED_IF:
        return gettext("「%(other)s」为 %(values)s 时「%(field)s」必填") % {
            "other": label(rule.other_field),
            "values": "、".join(map(str, rule.values)),
            "field": label(rule.field),
        }
    if rule.kind == RuleKind.AT_LEAST_ONE:
        return gettext("%(labels)s至少填写一项") % {
            "labels": "".join(f"「{label(k)}」" for k in rule.field_keys)
        }
    cap = f"「{label(rule.other_field)}」" if rule.other_field else _shown(Decimal(rule.limit))
    return gettext("「%(table)s」的 %(column)s 列合计不超过 %(cap)s") % {
        "table": label(rule.field),
        "column": rule.column,
        "cap": cap,
    }


def _default_for_schema(f: FormField):
    try:
        value = parse_default(f)
    except ValidationError:
        return None
    if value is None or (f.field_type == T.DATE and is_relative_bound(f.default)):
        return None
    return to_json(f, value)


# --- Reading answers back ----------------------------------------------------------------------


@dataclass
class Answer:
    """One answer as a person reads it: label and text, or rows of (label, text) for a table."""

    key: str
    label: str
    text: str = ""
    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    is_table: bool = False


def display_value(f: FormField, value) -> str:
    t = f.field_type
    if is_empty(value) and t != T.BOOLEAN:
        return ""
    if t == T.CHOICE:
        return f.option_label(value)
    if t == T.MULTI_CHOICE:
        return "、".join(f.option_label(v) for v in value or [])
    if t == T.BOOLEAN:
        return gettext("是") if value else gettext("否")
    if t == T.ADDRESS and isinstance(value, dict):
        return f"{value.get('region_name') or value.get('region') or ''}{value.get('detail') or ''}"
    return str(value)


def display_answers(spec: Spec, data: dict | None) -> list[Answer]:
    """The answers in form order with their labels (choices by label, 是/否, addresses in full)."""
    data = data or {}
    answers = []
    for f in spec.fields:
        value = data.get(f.key)
        if f.field_type == T.TABLE:
            rows = [
                [(c.label, display_value(c, row.get(c.key))) for c in f.column_fields]
                for row in value or []
                if isinstance(row, dict)
            ]
            answers.append(Answer(f.key, f.label, rows=rows, is_table=True))
        else:
            answers.append(Answer(f.key, f.label, text=display_value(f, value)))
    return answers


# --- Completeness -------------------------------------------------------------------------------


@completeness.register
def problems(case) -> list[str]:
    """Missing or invalid answers of the case's form, one line per field, in form order."""
    spec = get_spec(case.matter)
    if not spec.fields:
        return []
    _cleaned, errors = validate_against(spec, case.submission.form_data or {}, strict=False)
    lines = []
    for key in [*spec.by_key, *[k for k in errors if k not in spec.by_key]]:
        if key in errors:
            text = "；".join(message.rstrip("。") for message in errors[key])
            where = gettext("表单") if key == NON_FIELD else f"「{spec.label(key)}」"
            lines.append(f"{where}：{text}。")
    return lines
