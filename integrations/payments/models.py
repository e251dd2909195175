"""Tables of the bank payment peer (统一网上缴费) and of its sandbox (``Sandbox…``).

Amounts are integer fen (分) everywhere: ``amount_fen = 1000`` is ¥10.00. Never floats.

* ``MatterFee``: how much a matter charges online (the catalogue's fee texts are prose).
* ``PaymentOrder``: one payable order (缴费单) of a case, with its state; ``PaymentEvent`` is
  its append-only history (who, when, what).
* ``Refund``: money going back to the payer, delivered to the bank through the outbox.
* ``ReconciliationRun`` / ``ReconciliationMismatch``: the daily comparison of the bank's
  statement file with our orders and refunds.
* ``SandboxBankOrder`` / ``SandboxBankNotification`` / ``SandboxBankRefund``: the bank's
  own books in the sandbox; never read by the portal's code.
"""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.append_only import AppendOnlyError, AppendOnlyModel


def yuan(fen: int | None) -> str:
    """``1234`` → ``"12.34"`` (display only; computing stays in fen)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _number(prefix: str) -> str:
    """An order or refund number: prefix, local date and time, random tail (32 chars max)."""
    now = timezone.localtime()
    return f"{prefix}{now:%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def new_order_number() -> str:
    return _number("ZW")


def new_refund_number() -> str:
    return _number("RF")


class MatterFee(models.Model):
    """The amount a fee-charging matter (事项) collects online, per case."""

    matter = models.OneToOneField(
        "matters.Matter", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="online_fee"
    )
    item_name = models.CharField(_("收费项目"), max_length=100)
    amount_fen = models.PositiveIntegerField(
        _("金额（分）"), validators=[MinValueValidator(1)], help_text=_("以分为单位的整数，如 10 元填 1000")
    )
    basis = models.TextField(_("收费依据"), blank=True)
    is_active = models.BooleanField(_("启用网上缴费"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("事项网上收费")
        verbose_name_plural = _("事项网上收费")

    def __str__(self) -> str:
        return f"{self.item_name} ¥{yuan(self.amount_fen)}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class PaymentOrder(models.Model):
    """缴费单: what the applicant of a case must pay, and where the payment stands."""

    class State(models.TextChoices):
        CREATED = "created", _("待缴费")
        PAYING = "paying", _("支付中")
        PAID = "paid", _("已缴费")
        EXPIRED = "expired", _("已过期")
        CLOSED = "closed", _("已关闭")
        REFUNDING = "refunding", _("退款中")
        REFUNDED = "refunded", _("已退款")
        FAILED = "failed", _("支付失败")

    PAYABLE = (State.CREATED, State.PAYING, State.FAILED)
    SETTLED = (State.PAID, State.REFUNDING, State.REFUNDED)

    order_number = models.CharField(_("缴费单号"), max_length=32, unique=True, default=new_order_number)
    case = models.ForeignKey(
        "applications.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="payment_orders"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("缴款账户"), on_delete=models.PROTECT, related_name="+"
    )
    item_name = models.CharField(_("收费项目"), max_length=100)
    amount_fen = models.PositiveIntegerField(_("金额（分）"), validators=[MinValueValidator(1)])
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.CREATED)
    bank_transaction_id = models.CharField(_("银行流水号"), max_length=64, blank=True)
    pay_url = models.URLField(_("银行支付页"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("缴费截止时间"))
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("缴费单")
        verbose_name_plural = _("缴费单")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="payment_case_recent"),
            models.Index(fields=["state", "expires_at"], name="payment_state_expiry"),
            models.Index(fields=["paid_at"], name="payment_paid_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.order_number

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)

    @property
    def is_payable(self) -> bool:
        return self.state in self.PAYABLE and self.expires_at > timezone.now()


class PaymentEventIsAppendOnly(AppendOnlyError):
    """A payment event was about to be changed or deleted: the history is append-only."""


class PaymentEvent(AppendOnlyModel):
    """One step in an order's life (生成、去支付、已缴费、过期、退款…), never changed."""

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        BANK = "bank", _("银行")
        STAFF = "staff", _("工作人员")
        SYSTEM = "system", _("系统")

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    append_only_error = PaymentEventIsAppendOnly

    class Meta:
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        ordering = ["created_at", "pk"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class Refund(models.Model):
    """退款: the whole amount of a paid order back to the payer (sent through the outbox)."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("退款中")
        REFUNDED = "refunded", _("已退款")
        FAILED = "failed", _("退款失败")

    refund_number = models.CharField(_("退款单号"), max_length=32, unique=True, default=new_refund_number)
    order = models.OneToOneField(
        PaymentOrder, verbose_name=_("缴费单"), on_delete=models.PROTECT, related_name="refund"
    )
    amount_fen = models.PositiveIntegerField(_("金额（分）"))
    reason = models.CharField(_("退款原因"), max_length=200)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REQUESTED)
    bank_refund_id = models.CharField(_("银行退款流水号"), max_length=64, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return self.refund_number

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class ReconciliationRun(models.Model):
    """对账: one comparison of the bank's statement for a day with our books."""

    class State(models.TextChoices):
        RUNNING = "running", _("进行中")
        BALANCED = "balanced", _("平账")
        MISMATCHED = "mismatched", _("有差异")
        FAILED = "failed", _("失败")

    statement_date = models.DateField(_("对账日期"))
    state = models.CharField(_("结果"), max_length=12, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    bank_count = models.PositiveIntegerField(_("银行笔数"), default=0)
    bank_amount_fen = models.BigIntegerField(_("银行净额（分）"), default=0)
    local_count = models.PositiveIntegerField(_("本地笔数"), default=0)
    local_amount_fen = models.BigIntegerField(_("本地净额（分）"), default=0)
    mismatch_count = models.PositiveIntegerField(_("差异笔数"), default=0)
    statement_sha256 = models.CharField(_("对账文件摘要"), max_length=64, blank=True)
    statement = models.TextField(_("对账文件"), blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("对账记录")
        verbose_name_plural = _("对账记录")
        ordering = ["-statement_date", "-started_at"]
        indexes = [models.Index(fields=["-statement_date", "-started_at"], name="payment_recon_recent")]

    def __str__(self) -> str:
        return f"{self.statement_date} {self.get_state_display()}"


class ReconciliationMismatch(models.Model):
    class Kind(models.TextChoices):
        MISSING_LOCAL = "missing_local", _("本地无此交易")
        MISSING_BANK = "missing_bank", _("银行无此交易")
        AMOUNT = "amount", _("金额不符")
        STATE = "state", _("状态不符")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="mismatches")
    kind = models.CharField(_("差异类型"), max_length=16, choices=Kind.choices)
    transaction_type = models.CharField(_("交易类型"), max_length=8)  # PAY / REFUND
    order_number = models.CharField(_("缴费单号"), max_length=32, blank=True)
    refund_number = models.CharField(_("退款单号"), max_length=32, blank=True)
    bank_transaction_id = models.CharField(_("银行流水号"), max_length=64, blank=True)
    bank_amount_fen = models.BigIntegerField(_("银行金额（分）"), null=True, blank=True)
    local_amount_fen = models.BigIntegerField(_("本地金额（分）"), null=True, blank=True)
    bank_state = models.CharField(_("银行状态"), max_length=16, blank=True)
    local_state = models.CharField(_("本地状态"), max_length=16, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["run", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order_number or self.refund_number}"


# --- the sandbox bank's books -------------------------------------------------------------


class SandboxBankOrder(models.Model):
    """The sandbox bank's copy of a merchant order (one per merchant order number)."""

    order_number = models.CharField(max_length=32, unique=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    bank_order_id = models.CharField(max_length=32, unique=True)
    subject = models.CharField(max_length=200)
    amount_fen = models.PositiveIntegerField()
    notify_url = models.URLField(max_length=500)
    return_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=12, default="WAITING")  # WAITING, SUCCESS, FAILED, CLOSED
    transaction_id = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("沙箱银行订单")
        verbose_name_plural = _("沙箱银行订单")

    def __str__(self) -> str:
        return self.order_number


class SandboxBankNotification(models.Model):
    """An asynchronous notification the sandbox bank owes the merchant (re-sent until 200)."""

    order = models.ForeignKey(SandboxBankOrder, on_delete=models.CASCADE, related_name="notifications")
    notify_id = models.CharField(max_length=40, unique=True)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.notify_id


class SandboxBankRefund(models.Model):
    """The sandbox bank's refunds (one per merchant refund number and per idempotency key)."""

    refund_number = models.CharField(max_length=32, unique=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    order = models.ForeignKey(SandboxBankOrder, on_delete=models.CASCADE, related_name="refunds")
    amount_fen = models.PositiveIntegerField()
    refund_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=12, default="SUCCESS")
    refunded_at = models.DateTimeField(default=timezone.now)
    requests = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.refund_number
