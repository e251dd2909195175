"""Forms of the applicant's pages that are not generated from a matter's form specification:
who applies, withdrawal, supplying a correction and the public progress query."""

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from applications import workflow
from applications.services import ApplicantData
from portal.validators import normalize_id_number, normalize_mobile, validate_id_number, validate_mobile

SELF = "self"
ENTERPRISE_PREFIX = "enterprise-"


def enterprises_of(user) -> list:
    """The active enterprises ``user`` may apply for (legal representative, agent, administrator).

    Read through the app registry: ``applications`` sits below ``enterprises`` and does not
    import it; without that app nobody applies for an enterprise.
    """
    if not user or not user.is_authenticated:
        return []
    try:
        enterprise_model = apps.get_model("enterprises", "Enterprise")
    except LookupError:
        return []
    return list(
        enterprise_model.objects.filter(memberships__user=user, status="active")
        .distinct()
        .order_by("name")
        .only("pk", "name", "uscc")
    )


class ApplicantIdentityForm(forms.Form):
    """申请人: myself, or an enterprise I act for; with the applicant's (or agent's) identity."""

    identity = forms.ChoiceField(
        label=_("以谁的名义申请"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择申请人。"),
            "invalid_choice": _("只能以本人或您所在企业的名义申请。"),
        },
    )
    name = forms.CharField(
        label=_("姓名"),
        max_length=50,
        help_text=_("与身份证件上的姓名一致。以企业名义申请时，填写经办人姓名。"),
        error_messages={"required": _("请填写姓名。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=20,
        validators=[validate_id_number],
        help_text=_("18位居民身份证号码，最后一位可以是X。"),
        error_messages={"required": _("请填写身份证号码。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": "18"}),
    )
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        validators=[validate_mobile],
        help_text=_("用于接收办理进度短信。"),
        error_messages={"required": _("请填写手机号码。")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.enterprises = {str(e.pk): e for e in enterprises_of(user)}
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "identity": SELF,
            "name": user.real_name,
            "mobile": user.mobile,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)
        person = user.real_name or user.username
        choices = [(SELF, _("本人（%(name)s）") % {"name": person})]
        for pk, enterprise in self.enterprises.items():
            choices.append(
                (
                    f"{ENTERPRISE_PREFIX}{pk}",
                    _("企业：%(name)s（统一社会信用代码 %(uscc)s）")
                    % {"name": enterprise.name, "uscc": enterprise.uscc},
                )
            )
        self.fields["identity"].choices = choices

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])

    @property
    def enterprise(self):
        identity = self.cleaned_data.get("identity", "")
        if identity.startswith(ENTERPRISE_PREFIX):
            return self.enterprises.get(identity.removeprefix(ENTERPRISE_PREFIX))
        return None

    def applicant_data(self) -> ApplicantData:
        data = self.cleaned_data
        enterprise = self.enterprise
        if enterprise is not None:
            return ApplicantData(
                name=enterprise.name,
                id_number=data["id_number"],
                mobile=data["mobile"],
                org_name=enterprise.name,
                org_code=enterprise.uscc,
                contact_name=data["name"],
            )
        return ApplicantData(name=data["name"], id_number=data["id_number"], mobile=data["mobile"])


class WithdrawForm(forms.Form):
    """撤回申请: a reason from the workflow's list, and an optional explanation."""

    reason = forms.ChoiceField(
        label=_("撤回原因"),
        choices=[("", _("请选择")), *workflow.WITHDRAWAL_REASONS],
        error_messages={"required": _("请选择撤回原因。"), "invalid_choice": _("请从列表中选择撤回原因。")},
    )
    opinion = forms.CharField(
        label=_("补充说明（选填）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectionForm(forms.Form):
    """提交补正: the materials are changed in the materials panel; this carries a note."""

    note = forms.CharField(
        label=_("补正说明（选填）"),
        max_length=500,
        required=False,
        help_text=_("可简要说明补正了哪些内容，方便工作人员核对。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProgressQueryForm(forms.Form):
    """办件进度查询: the serial number and one proof that the visitor knows the case."""

    CODE = "code"
    NAME = "name"
    ID_TAIL = "id_tail"
    METHODS = (
        (CODE, _("查询码（申报回执上的6位字符）")),
        (NAME, _("申请人姓名或单位名称")),
        (ID_TAIL, _("申请人身份证号码后6位")),
    )

    serial = forms.CharField(
        label=_("统一申办流水号"),
        max_length=60,
        help_text=_("申报回执上的流水号，共43位。"),
        error_messages={"required": _("请填写统一申办流水号。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    method = forms.ChoiceField(
        label=_("验证方式"),
        choices=METHODS,
        initial=CODE,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择验证方式。"), "invalid_choice": _("请选择验证方式。")},
    )
    proof = forms.CharField(
        label=_("验证信息"),
        max_length=100,
        help_text=_("按所选验证方式填写查询码、申请人姓名（单位名称）或身份证号码后6位。"),
        error_messages={"required": _("请填写验证信息。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_serial(self) -> str:
        serial = "".join(self.cleaned_data["serial"].split()).upper()
        if len(serial) > 50:
            raise forms.ValidationError(_("流水号不超过50位，请核对。"), code="serial_length")
        return serial

    def clean_proof(self) -> str:
        return self.cleaned_data["proof"].strip()

    def clean(self):
        cleaned = super().clean()
        method, proof = cleaned.get("method"), cleaned.get("proof")
        if method == self.ID_TAIL and proof and len(proof) != 6:
            self.add_error("proof", _("请填写身份证号码的后6位。"))
        if method == self.CODE and proof and len(proof) != 6:
            self.add_error("proof", _("查询码为6位字符，请核对申报回执。"))
        return cleaned
