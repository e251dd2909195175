"""The outbox: every message to another system is a row written with the change that causes it.

States::

    pending ──claim──▶ sending ──ok──▶ sent
       ▲                 │ PeerUnavailable (attempts < max): back to pending, later
       │                 │ PeerRejected, or attempts = max ──▶ dead ──admin──▶ pending | discarded
       └── stuck in sending longer than OUTBOX_SENDING_TIMEOUT (worker lost): swept back

``claim_token`` names the claim a worker holds: an outcome is recorded only by the worker
whose claim is still current, so a worker that was presumed lost cannot overwrite the
outcome of the one that took over.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已送达")
        DEAD = "dead", _("死信")
        DISCARDED = "discarded", _("已丢弃")

    # A message with an ordering key waits while an older one with the same key is in one of these.
    UNSENT_STATES = (State.PENDING, State.SENDING, State.DEAD)

    topic = models.CharField(_("主题"), max_length=64)
    destination = models.CharField(_("目标系统"), max_length=32, db_index=True)
    ordering_key = models.CharField(
        _("顺序键"),
        max_length=64,
        blank=True,
        help_text=_("同一顺序键的消息按写入顺序送达，例如同一办件的过程信息"),
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=128, unique=True)
    payload = models.JSONField(_("内容"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("写入时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    claim_token = models.CharField(_("发送批次"), max_length=32, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("消息发件箱")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["destination", "ordering_key", "id"], name="outbox_ordering"),
            # Claims scan pending messages oldest first; sent ones (the bulk of the table) stay out.
            models.Index(fields=["id"], condition=models.Q(state="pending"), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.destination}:{self.topic} {self.idempotency_key}"


class PeerStatus(OutboxMessage):
    """No table of its own: the admin's "对接系统状态" page (integrations.health) hangs on it."""

    class Meta:
        proxy = True
        verbose_name = _("对接系统状态")
        verbose_name_plural = _("对接系统状态")
