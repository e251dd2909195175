"""Display helpers of the catalogue pages: code tables and time limits in words."""

from django import template
from django.utils.translation import gettext as _

from matters import codes

register = template.Library()

CODE_TABLES = {
    "service_object": codes.ServiceObject,
    "handling_form": codes.HandlingForm,
}


@register.filter
def code_labels(values, table: str) -> str:
    """["1", "2"] of a multi-valued code table (A.4 服务对象, A.5 办理形式) as "窗口办理、电脑端网上办理"."""
    labels = dict(CODE_TABLES[table].choices)
    # The separator is translatable: "、" in Chinese, ", " in English.
    return _("、").join(str(labels.get(value, value)) for value in values or [])


@register.filter
def working_days(days) -> str:
    """A time limit in working days, 0 meaning an immediate case (即办)."""
    if days is None or days == "":
        return ""
    if int(days) == 0:
        return _("即办")
    return _("%(days)d个工作日") % {"days": int(days)}
