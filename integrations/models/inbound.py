"""Inbound calls from peers: their keys, the nonces they used, the answers already given.

``PeerCredential.secret_encrypted`` holds the HMAC secret encrypted (Fernet, key from
``INTEGRATIONS_ENCRYPTION_KEY`` or derived from ``SECRET_KEY``, see integrations.keys):
the verifier needs the secret itself to recompute a signature, so a one-way hash would not
do; encryption keeps it out of database dumps and backups, whose key lives elsewhere.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeerCredential(models.Model):
    peer = models.CharField(
        _("对接系统"), max_length=32, help_text=_("调用方所属的系统，如 payments、logistics、departments")
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("便于识别的说明，如“建设银行缴费回调”"))
    key_id = models.CharField(_("密钥编号"), max_length=40, unique=True, editable=False)
    secret_encrypted = models.TextField(_("密钥（加密保存）"), editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代表账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="peer_credentials",
        help_text=_("调用方以该账号的身份办理（如部门系统账号）；回调类接口留空"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("对接密钥")
        verbose_name_plural = _("对接密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def scope(self) -> str:
        """Where external ids are unique: the peer, per account when the peer acts for one."""
        return f"{self.peer}:{self.user_id}" if self.user_id else self.peer


class InboundNonce(models.Model):
    """A nonce seen from a key; the unique constraint refuses its second use."""

    key_id = models.CharField(max_length=40)
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("已用随机数")
        verbose_name_plural = _("已用随机数")
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="inbound_nonce_once")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.nonce}"


class InboundReceipt(models.Model):
    """The first answer to an inbound request with a given external id, replayed to its repeats."""

    scope = models.CharField(_("调用方"), max_length=80)
    external_id = models.CharField(_("外部编号"), max_length=128)
    body_sha256 = models.CharField(_("请求摘要"), max_length=64)
    status = models.PositiveSmallIntegerField(_("应答状态码"), default=0)
    content_type = models.CharField(_("应答类型"), max_length=100, blank=True)
    body = models.TextField(_("应答内容"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("回调回执")
        verbose_name_plural = _("回调回执")
        constraints = [models.UniqueConstraint(fields=["scope", "external_id"], name="inbound_receipt_once")]

    def __str__(self) -> str:
        return f"{self.scope} {self.external_id}"
