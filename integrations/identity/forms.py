"""Forms of the real-name and enterprise pages; the rules themselves are in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from integrations.identity import services


class RealNameForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=services.NAME_MAX, required=False)
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        max_length=30,
        required=False,
        help_text=_("18位，最后一位可能是 X。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )

    def clean(self):
        data = super().clean()
        try:
            data["name"], data["id_number"] = services.clean_person(
                data.get("name", ""), data.get("id_number", "")
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return data


class EnterpriseLookupForm(forms.Form):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        required=False,
        help_text=_("18位，印在营业执照上。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self):
        data = super().clean()
        try:
            data["uscc"] = services.clean_uscc(data.get("uscc", ""))
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return data
