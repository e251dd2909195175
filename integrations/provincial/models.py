"""Tables of the provincial exchange (and of its sandbox, named Sandbox…).

Ours:

* ``ExchangeRecord``: the last version of each record we reported to the province, per
  record set (EX_GDBS_SB, _SL, …) and record identity (serial, plus the process record's
  number for the sets that hold several rows per case). A record that changes is re-sent
  with ``version + 1`` (docs/provincial-exchange.md).
* ``FeedCursor``: how far each pull feed (catalogue, cases) has been read.
* ``CatalogueChangeApplied`` and ``ProvincialCase``: each item pulled, applied once (the
  province's id is unique), with its outcome.

The sandbox's (never read by the portal itself): what the "province" received
(``SandboxExchangeMessage`` one per idempotency key, ``SandboxExchangeRow`` per record),
the serial numbers reported to it, and what its feeds hand out.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordSet(models.TextChoices):
    """The Guangdong exchange tables we report (STANDARDS.md, EX_GDBS_*)."""

    SB = "EX_GDBS_SB", _("申办")
    SL = "EX_GDBS_SL", _("受理")
    SP = "EX_GDBS_SP", _("审批过程")
    BZGZ = "EX_GDBS_BZGZ", _("补正告知")
    BZSL = "EX_GDBS_BZSL", _("补正受理")
    TBCX = "EX_GDBS_TBCX", _("特别程序")
    BJ = "EX_GDBS_BJ", _("办结")


class ExchangeRecord(models.Model):
    record_set = models.CharField(_("数据表"), max_length=16, choices=RecordSet.choices)
    record_key = models.CharField(_("记录标识"), max_length=80, help_text=_("申办流水号，或流水号-环节序号"))
    serial = models.CharField(_("申办流水号"), max_length=50, db_index=True)
    version = models.PositiveIntegerField(_("版本号"), default=1)
    fingerprint = models.CharField(_("内容摘要"), max_length=64)
    fields = models.JSONField(_("上报字段"), default=dict)
    message_key = models.CharField(_("最近一次变更的消息"), max_length=128)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("省交换记录")
        verbose_name_plural = _("省交换记录")
        constraints = [
            models.UniqueConstraint(fields=["record_set", "record_key"], name="provincial_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record_set} {self.record_key} v{self.version}"


class FeedCursor(models.Model):
    class Feed(models.TextChoices):
        CATALOGUE = "catalogue", _("事项目录变更")
        CASES = "cases", _("省网办件")

    feed = models.CharField(_("数据源"), max_length=16, choices=Feed.choices, unique=True)
    position = models.BigIntegerField(_("已读到"), default=0)
    last_run_at = models.DateTimeField(_("最近拉取"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("拉取进度")
        verbose_name_plural = _("拉取进度")

    def __str__(self) -> str:
        return f"{self.feed} @ {self.position}"


class Outcome(models.TextChoices):
    APPLIED = "applied", _("已处理")
    SKIPPED = "skipped", _("已跳过")
    FAILED = "failed", _("处理失败")


class CatalogueChangeApplied(models.Model):
    change_id = models.BigIntegerField(_("省变更编号"), unique=True)
    operation = models.CharField(_("操作"), max_length=12)
    implementation_code = models.CharField(_("实施编码"), max_length=31, db_index=True)
    matter = models.ForeignKey(
        "matters.Matter",
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("处理时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("省事项目录变更")
        verbose_name_plural = _("省事项目录变更")

    def __str__(self) -> str:
        return f"#{self.change_id} {self.operation} {self.implementation_code}"


class ProvincialCase(models.Model):
    province_id = models.CharField(_("省办件编号"), max_length=64, unique=True)
    feed_id = models.BigIntegerField(_("拉取序号"))
    case = models.OneToOneField(
        "applications.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("拉取时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("省网办件")
        verbose_name_plural = _("省网办件")

    def __str__(self) -> str:
        return self.province_id


# --- The sandbox's tables ---------------------------------------------------------------


class SandboxExchangeMessage(models.Model):
    """One per idempotency key: what the province keeps of each message it was sent."""

    idempotency_key = models.CharField(max_length=128, unique=True)
    serial = models.CharField(max_length=50, db_index=True)
    sequence = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=32, blank=True)
    body = models.JSONField(default=dict)
    answer = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱：省收到的交换消息")
        verbose_name_plural = _("沙箱：省收到的交换消息")

    def __str__(self) -> str:
        return self.idempotency_key


class SandboxExchangeRow(models.Model):
    message = models.ForeignKey(SandboxExchangeMessage, on_delete=models.CASCADE, related_name="rows")
    table = models.CharField(max_length=16)
    serial = models.CharField(max_length=50)
    item = models.CharField(max_length=20, blank=True)  # XH of the sets with several rows per case
    version = models.PositiveIntegerField()
    fields = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("沙箱：省交换数据")
        verbose_name_plural = _("沙箱：省交换数据")
        constraints = [
            models.UniqueConstraint(
                fields=["table", "serial", "item", "version"], name="sandbox_exchange_row_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.serial} v{self.version}"


class SandboxSerialReport(models.Model):
    idempotency_key = models.CharField(max_length=128, unique=True)
    serial = models.CharField(max_length=50, unique=True)
    implementation_code = models.CharField(max_length=31)
    body = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.serial


class SandboxCatalogueChange(models.Model):
    """The province's catalogue feed: its id is the cursor."""

    operation = models.CharField(max_length=12)  # upsert | withdraw
    implementation_code = models.CharField(max_length=31)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.pk} {self.operation} {self.implementation_code}"


class SandboxProvinceCase(models.Model):
    """A case applied for on the provincial hall, handed to the city by the cases feed."""

    province_id = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.province_id
