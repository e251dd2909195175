"""The applicant's form for a parcel: their name, mobile and address (the other side is the department)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.logistics.models import Direction
from portal.validators import normalize_mobile, validate_mobile

LABELS = {
    Direction.RESULTS: (_("收件人"), _("收件人手机号码"), _("收件地址")),
    Direction.MATERIALS: (_("寄件人"), _("寄件人手机号码"), _("取件地址")),
}


class ShipmentForm(forms.Form):
    name = forms.CharField(max_length=50)
    phone = forms.CharField(max_length=20, validators=[validate_mobile])
    address = forms.CharField(
        min_length=8,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("请写明省、市、区（县）、街道和门牌号。"),
        error_messages={"min_length": _("地址过短，请写明省、市、区（县）、街道和门牌号。")},
    )

    def __init__(self, direction: str, *args, **kwargs):
        kwargs.setdefault("prefix", direction)
        super().__init__(*args, **kwargs)
        self.direction = direction
        name, phone, address = LABELS[direction]
        self.fields["name"].label = name
        self.fields["phone"].label = phone
        self.fields["address"].label = address
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_phone(self) -> str:
        return normalize_mobile(self.cleaned_data["phone"])
