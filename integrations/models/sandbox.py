"""Tables of the sandboxes (development, tests, demos): never read by the portal itself.

``SandboxBehaviour`` holds the knobs of one sandbox (integrations.sandbox.framework); each
sandbox keeps its state in its own ``Sandbox…`` tables, like the real system would.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]
SECONDS = [MinValueValidator(0.0), MaxValueValidator(120.0)]


class SandboxBehaviour(models.Model):
    sandbox = models.CharField(_("沙箱"), max_length=32, unique=True)
    fail_rate = models.FloatField(
        _("失败比例"), default=0.0, validators=SHARE, help_text=_("0–1：按此比例直接回答 503")
    )
    slow_rate = models.FloatField(
        _("超时比例"),
        default=0.0,
        validators=SHARE,
        help_text=_("0–1：按此比例先等待再处理（超过客户端超时）"),
    )
    slow_seconds = models.FloatField(_("超时等待（秒）"), default=10.0, validators=SECONDS)
    garbage_rate = models.FloatField(
        _("乱码比例"), default=0.0, validators=SHARE, help_text=_("0–1：按此比例回答一段 HTML 而不是 JSON")
    )
    latency_seconds = models.FloatField(_("固定延迟（秒）"), default=0.0, validators=SECONDS)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("沙箱行为")
        verbose_name_plural = _("沙箱行为")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fail_rate__gte=0, slow_rate__gte=0, garbage_rate__gte=0),
                name="sandbox_rates_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.sandbox

    def clean(self):
        if self.fail_rate + self.slow_rate + self.garbage_rate > 1.0 + 1e-9:
            raise ValidationError({"fail_rate": _("失败、超时和乱码比例之和不能超过 1。")})


class SandboxSerialCounter(models.Model):
    """The provincial numbering sandbox's counter per implementation code and day."""

    implementation_code = models.CharField(max_length=31)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("沙箱流水号计数器")
        verbose_name_plural = _("沙箱流水号计数器")
        constraints = [
            models.UniqueConstraint(fields=["implementation_code", "day"], name="sandbox_serial_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.implementation_code} {self.day:%Y%m%d} {self.last_value}"
