"""Tables of the identity peer (人口库 / 法人库) and of its sandbox (named Sandbox…).

No table holds a resident ID number in clear: a number is kept as a keyed HMAC
(``integrations.identity.hashing``), enough to recognise it again, plus its masked form
(first 6 and last 4 characters) for people to read.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_uscc


class RealNameCheck(models.Model):
    """实名核验记录: one question to the population database about an account's name and ID number.

    A check that got an answer (matched, mismatched, not found, deceased) is reused for
    ``IDENTITY_CHECK_VALID_DAYS`` instead of asking again; an ``unavailable`` row records a
    failed attempt and is never reused.
    """

    class Result(models.TextChoices):
        MATCHED = "matched", _("一致")
        MISMATCHED = "mismatched", _("姓名与身份证号码不一致")
        NOT_FOUND = "not_found", _("查无此身份证号码")
        DECEASED = "deceased", _("身份证号码已注销")
        UNAVAILABLE = "unavailable", _("人口库暂不可用")

    ANSWERED = (Result.MATCHED, Result.MISMATCHED, Result.NOT_FOUND, Result.DECEASED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        on_delete=models.CASCADE,
        related_name="real_name_checks",
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number_hash = models.CharField(_("身份证号码摘要"), max_length=64, db_index=True, editable=False)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18)
    result = models.CharField(_("核验结果"), max_length=12, choices=Result.choices)
    source = models.CharField(_("核验来源"), max_length=50, blank=True)
    reference = models.CharField(_("核验流水号"), max_length=64, blank=True)
    checked_at = models.DateTimeField(_("核验时间"), db_index=True)

    class Meta:
        verbose_name = _("实名核验记录")
        verbose_name_plural = _("实名核验记录")
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["user", "-checked_at"], name="realname_user_recent")]

    def __str__(self) -> str:
        return f"{self.id_number_masked} · {self.get_result_display()}"

    @property
    def masked_name(self) -> str:
        from integrations.identity.hashing import mask_name

        return mask_name(self.name)


# --- sandbox ------------------------------------------------------------------------


class SandboxPerson(models.Model):
    """The sandbox's population register (demo people only), keyed by the hash of the ID number."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number_hash = models.CharField(_("身份证号码摘要"), max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18)
    alive = models.BooleanField(_("在世"), default=True)

    class Meta:
        verbose_name = _("沙箱人口库人员")
        verbose_name_plural = _("沙箱人口库人员")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.id_number_masked


class SandboxEnterprise(models.Model):
    """The sandbox's legal-person register (demo enterprises only)."""

    class Status(models.TextChoices):
        # The register's own words; the client maps them onto enterprises.Enterprise.Status.
        ACTIVE = "存续", _("存续")
        REVOKED = "吊销", _("吊销")
        CANCELLED = "注销", _("注销")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    name = models.CharField(_("企业名称"), max_length=200)
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    status = models.CharField(_("登记状态"), max_length=4, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("沙箱法人库企业")
        verbose_name_plural = _("沙箱法人库企业")
        ordering = ["uscc"]

    def __str__(self) -> str:
        return f"{self.uscc} {self.name}"


class SandboxIdentityQuery(models.Model):
    """Every question the sandbox answered (tests count them; no ID number in clear)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("实名核验")
        ENTERPRISE = "enterprise", _("企业查询")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("查询对象"), max_length=64, help_text=_("身份证号码摘要或统一社会信用代码"))
    answer = models.CharField(_("答复"), max_length=20)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱身份查询")
        verbose_name_plural = _("沙箱身份查询")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.answer}"
