"""Enterprises (企业) and the people who act for them.

An enterprise is identified by its unified social credit code (USCC, GB 32100). A person
acts for it through a membership: legal representative, agent (经办人) or administrator,
and can switch identity to apply in its name.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from matters.models import region_code_validator
from portal.validators import normalize_uscc, validate_uscc


class Enterprise(models.Model):
    """企业: a legal person with its registration data."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        REVOKED = "revoked", _("吊销")
        CANCELLED = "cancelled", _("注销")

    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    registered_address = models.CharField(_("住所"), max_length=200, blank=True)
    region_code = models.CharField(
        _("所在行政区划代码"),
        max_length=12,
        blank=True,
        validators=[region_code_validator],
        help_text=_("12位 GB/T 2260 代码，例如 442000000000"),
    )
    status = models.CharField(
        _("登记状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="EnterpriseMembership", related_name="enterprises", blank=True
    )

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The check character is the same in upper and lower case; store it upper-case.
        self.uscc = normalize_uscc(self.uscc)


class EnterpriseMembership(models.Model):
    """A person's right to act for an enterprise."""

    class Role(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人")
        AGENT = "agent", _("经办人")
        ADMINISTRATOR = "administrator", _("管理员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="enterprise_memberships",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("身份"), max_length=24, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业成员")
        verbose_name_plural = _("企业成员")
        ordering = ["enterprise", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise", "role"], name="unique_enterprise_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.enterprise} · {self.get_role_display()}"
