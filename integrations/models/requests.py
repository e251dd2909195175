"""One row per HTTP request exchanged with a peer: enough to see what happened, nothing personal.

Bodies are never stored, only their sizes; URLs lose their query values and anything that
looks like an ID number or a mobile number (``integrations.requestlog.redact_url``).
Pruned after ``INTEGRATION_LOG_RETENTION_DAYS`` (``manage.py integrations_prune``).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeerRequestLog(models.Model):
    class Direction(models.TextChoices):
        OUT = "out", _("发出")
        IN = "in", _("收到")

    peer = models.CharField(_("对接系统"), max_length=32)
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices, default=Direction.OUT)
    method = models.CharField(_("方法"), max_length=8)
    url = models.CharField(_("地址"), max_length=500)
    status = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    ok = models.BooleanField(_("成功"), default=False)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    request_bytes = models.PositiveIntegerField(_("请求大小（字节）"), default=0)
    response_bytes = models.PositiveIntegerField(_("响应大小（字节）"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    # No foreign key: a log row outlives the pruned message it was about.
    outbox_message_id = models.BigIntegerField(_("发件箱消息"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("对接请求日志")
        verbose_name_plural = _("对接请求日志")
        indexes = [models.Index(fields=["peer", "direction", "ok", "created_at"], name="peerlog_health")]

    def __str__(self) -> str:
        return f"{self.peer} {self.method} {self.url} {self.status or '-'}"
