"""Tables of the e-licence peer (电子证照库), and of its sandbox (``Sandbox…``).

* ``ResultLicenceType``: which matter yields which e-licence when its case is completed
  (kept here, editable in the admin, so the catalogue's tables stay as they are);
* ``LicenceSerialCounter``: the serial of the identifiers, per type, issuer and year;
* ``IssuedLicence``: an e-licence the hall issued for a completed case (GB/T 36904 metadata);
* ``LicenceDocument``: what the document store (资料库) knows about a document that is an
  e-licence, fetched from the platform or issued here: number, identifier, trust level;
* ``SandboxLicence``: the licence library as the sandbox plays it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from integrations.elicences.identifiers import validate_type_code
from portal.validators import validate_uscc


class TrustLevel(models.TextChoices):
    """可信等级 of an e-licence (STANDARDS.md)."""

    A = "A", _("A级（加盖发证机关电子印章）")
    B = "B", _("B级（窗口核验原件）")
    C = "C", _("C级（申请人上传）")
    D = "D", _("D级（申请人承诺）")


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已吊销或撤销")


class HolderCodeType(models.TextChoices):
    USCC = "uscc", _("统一社会信用代码")
    ID_CARD = "id_card", _("居民身份证号码")


class ResultLicenceType(models.Model):
    """The e-licence a matter yields (办理结果为电子证照): issued when its case is completed."""

    matter = models.OneToOneField(
        "matters.Matter", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="result_licence_type"
    )
    type_code = models.CharField(
        _("证照类型代码"),
        max_length=21,
        validators=[validate_type_code],
        help_text=_("GB/T 36904：定义机构统一社会信用代码（18位）加3位类型序号"),
    )
    type_name = models.CharField(_("证照类型名称"), max_length=100)
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), default=5, help_text=_("0 表示长期有效")
    )
    number_prefix = models.CharField(
        _("证照编号前缀"), max_length=12, blank=True, help_text=_("例如 JY（食品经营许可证）")
    )
    trust_level = models.CharField(
        _("可信等级"), max_length=1, choices=TrustLevel.choices, default=TrustLevel.A
    )
    enabled = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("事项出证类型")
        verbose_name_plural = _("事项出证类型")

    def __str__(self) -> str:
        return f"{self.matter} → {self.type_name}"

    def save(self, *args, **kwargs):
        self.type_code = self.type_code.strip().upper()
        super().save(*args, **kwargs)


class LicenceSerialCounter(models.Model):
    type_code = models.CharField(max_length=21)
    issuer_code = models.CharField(max_length=18)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("证照流水号计数器")
        verbose_name_plural = _("证照流水号计数器")
        constraints = [
            models.UniqueConstraint(
                fields=["type_code", "issuer_code", "year"], name="elicence_serial_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type_code} {self.issuer_code} {self.year} {self.last_value}"


class IssuedLicence(models.Model):
    """电子证照 the hall issued for a completed case, with the GB/T 36904 metadata."""

    case = models.OneToOneField(
        "applications.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="elicence"
    )
    record = models.ForeignKey(
        "applications.ProcessRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)
    licence_number = models.CharField(_("证照编号"), max_length=64)
    type_code = models.CharField(_("证照类型代码"), max_length=21)
    type_name = models.CharField(_("证照类型名称"), max_length=100)
    serial = models.CharField(_("流水号"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    issuer_name = models.CharField(_("签发机构"), max_length=100)
    issuer_code = models.CharField(_("签发机构代码"), max_length=18, validators=[validate_uscc])
    jurisdiction_code = models.CharField(_("管辖区划代码"), max_length=12, blank=True)
    holder_name = models.CharField(_("持证主体"), max_length=200)
    holder_code = models.CharField(_("持证主体代码"), max_length=30)
    holder_code_type = models.CharField(_("持证主体代码类型"), max_length=10, choices=HolderCodeType.choices)
    issue_date = models.DateField(_("签发日期"))
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True, help_text=_("空为长期有效"))
    trust_level = models.CharField(_("可信等级"), max_length=1, choices=TrustLevel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    data = models.JSONField(_("照面信息"), default=dict, blank=True)
    document = models.ForeignKey(
        "applications.Document",
        verbose_name=_("证照文件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签发的电子证照")
        verbose_name_plural = _("签发的电子证照")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["type_code", "licence_number"], name="elicence_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type_name} {self.licence_number}"

    @property
    def defining_authority_code(self) -> str:
        return self.type_code[:18]


class LicenceDocument(models.Model):
    """A document of the store (资料库) that is an e-licence: what it is and how far to trust it."""

    class Origin(models.TextChoices):
        FETCHED = "fetched", _("电子证照库调取")
        ISSUED = "issued", _("本平台签发")

    document = models.OneToOneField(
        "applications.Document", verbose_name=_("资料"), on_delete=models.CASCADE, related_name="elicence"
    )
    origin = models.CharField(_("来源"), max_length=10, choices=Origin.choices)
    identifier = models.CharField(_("证照标识"), max_length=120, blank=True)
    licence_number = models.CharField(_("证照编号"), max_length=64)
    type_code = models.CharField(_("证照类型代码"), max_length=21)
    type_name = models.CharField(_("证照类型名称"), max_length=100)
    issuer_name = models.CharField(_("签发机构"), max_length=100, blank=True)
    trust_level = models.CharField(_("可信等级"), max_length=1, choices=TrustLevel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True)
    verified_at = models.DateTimeField(_("验真时间"), null=True, blank=True)
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("资料库电子证照")
        verbose_name_plural = _("资料库电子证照")

    def __str__(self) -> str:
        return f"{self.type_name} {self.licence_number}"


class SandboxLicence(models.Model):
    """The licence library as the sandbox plays it (never the portal's own data)."""

    identifier = models.CharField(max_length=120, unique=True)
    licence_number = models.CharField(max_length=64, db_index=True)
    type_code = models.CharField(max_length=21, db_index=True)
    type_name = models.CharField(max_length=100)
    holder_name = models.CharField(max_length=200)
    holder_code = models.CharField(max_length=30, db_index=True)
    holder_code_type = models.CharField(max_length=10, choices=HolderCodeType.choices)
    issuer_name = models.CharField(max_length=100)
    issuer_code = models.CharField(max_length=18)
    issue_date = models.DateField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    trust_level = models.CharField(max_length=1, choices=TrustLevel.choices, default=TrustLevel.A)
    data = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_content = models.BinaryField(blank=True, default=b"")
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱电子证照")
        verbose_name_plural = _("沙箱电子证照")

    def __str__(self) -> str:
        return f"{self.type_name} {self.licence_number}"
