"""Submissions (申办), cases (办件), their process records and documents.

A submission is what an applicant fills in and sends once: one form, one set of
materials. It creates one case per matter (one in the plain flow; several for bundled
services 一件事一次办 and parallel approval 并联审批), each with its own unified serial
number, department, state and clock. State changes only through ``applications.workflow``
and ``applications.services``; every change appends a ``ProcessRecord``.
"""

import secrets
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matters.codes import HandlingForm
from matters.models import Department, MaterialRequirement, Matter
from portal.append_only import AppendOnlyError, AppendOnlyModel
from portal.validators import mask_id_number, mask_mobile, validate_mobile


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    PRE_REVIEW = "pre_review", _("预审中")
    CORRECTION_REQUESTED = "correction_requested", _("待补正")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("审查中")
    SPECIAL_PROCEDURE = "special_procedure", _("特别程序")
    DECIDED = "decided", _("已决定")
    COMPLETED = "completed", _("已办结")
    DELIVERED = "delivered", _("已送达")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


class Decision(models.TextChoices):
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予准予")


class OnlineSubChannel(models.TextChoices):
    """The online sub-channel (网上申报渠道, WSSBQD) next to the A.5 handling form."""

    PC = "0", _("电脑端")
    MOBILE_APP = "1", _("移动客户端")
    MOBILE_WEB = "2", _("移动端网页")
    WECHAT = "3", _("微信公众号")
    ALIPAY = "4", _("支付宝")
    OTHER = "9", _("其他")


class Origin(models.TextChoices):
    """Where the case entered the hall (the serial number is the same whatever the origin)."""

    PORTAL = "portal", _("本网上办事大厅")
    WINDOW = "window", _("窗口登记")
    API = "api", _("移动端接口")
    PROVINCIAL = "provincial", _("省网上办事大厅")
    DEPARTMENT_SYSTEM = "department", _("部门业务系统")


# States in which a case runs against its due dates (partial index of supervisors' deadline lists).
OPEN_STATES_FOR_DEADLINES = (
    "submitted",
    "pre_review",
    "correction_requested",
    "accepted",
    "under_review",
    "special_procedure",
    "decided",
)


class ApplicantType(models.TextChoices):
    """SQRLX of the provincial exchange."""

    PERSON = "1", _("个人")
    ENTERPRISE = "2", _("企业")
    OTHER = "3", _("其他组织")


class Submission(models.Model):
    """申办: one application by one applicant, with the form and materials it carries."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请账户"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    applicant_type = models.CharField(
        _("申请人类型"), max_length=1, choices=ApplicantType.choices, default=ApplicantType.PERSON
    )
    applicant_name = models.CharField(_("申请人姓名/名称"), max_length=200)
    applicant_id_type = models.CharField(
        _("证件类型"), max_length=3, default="111", help_text=_("GA/T 2000.156，111=居民身份证")
    )
    applicant_id_number = models.CharField(_("证件号码"), max_length=30, blank=True)
    org_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    org_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_mobile])
    form_data = models.JSONField(_("表单数据"), default=dict, blank=True)
    form_version = models.PositiveIntegerField(_("表单版本"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申办")
        verbose_name_plural = _("申办")
        # The back office searches cases by the applicant's full name.
        indexes = [models.Index(fields=["applicant_name"], name="submission_applicant_name")]

    def __str__(self) -> str:
        return f"{self.applicant_name} {self.created_at:%Y-%m-%d}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.applicant_id_number) if self.applicant_id_number else ""

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.contact_mobile) if self.contact_mobile else ""


def new_query_code() -> str:
    """Six characters printed on the receipt for the public progress query (no 0/O/1/I)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(6))


class Case(models.Model):
    """办件: the handling of one matter for one submission, with its serial number and clock."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="cases")
    matter = models.ForeignKey(Matter, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), on_delete=models.PROTECT, related_name="cases"
    )
    # Denormalised from the submission: every list and permission check filters on it.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请账户"), on_delete=models.PROTECT, related_name="cases"
    )
    serial = models.CharField(_("统一申办流水号"), max_length=50, unique=True, null=True, blank=True)
    serial_pending_reconciliation = models.BooleanField(
        _("流水号待对账"), default=False, help_text=_("省统一编号服务不可用时本地生成的流水号")
    )
    query_code = models.CharField(_("查询码"), max_length=6, default=new_query_code)
    channel = models.CharField(
        _("办理形式"), max_length=1, choices=HandlingForm.choices, default=HandlingForm.ONLINE_PC
    )
    sub_channel = models.CharField(
        _("网上申报渠道"),
        max_length=1,
        choices=OnlineSubChannel.choices,
        blank=True,
        default=OnlineSubChannel.PC,
    )
    origin = models.CharField(_("来源"), max_length=12, choices=Origin.choices, default=Origin.PORTAL)
    external_id = models.CharField(_("外部系统编号"), max_length=64, blank=True)
    state = models.CharField(_("状态"), max_length=24, choices=State.choices, default=State.DRAFT)
    decision = models.CharField(_("审批决定"), max_length=10, choices=Decision.choices, blank=True)
    current_record = models.ForeignKey(
        "ProcessRecord",
        verbose_name=_("当前环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # The clock, in working days (portal.workdays). Due dates move when the clock stops.
    pre_review_due_date = models.DateField(_("预审期限"), null=True, blank=True)
    promised_due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    legal_due_date = models.DateField(_("法定办结日期"), null=True, blank=True)
    clock_stopped_at = models.DateTimeField(_("计时暂停时间"), null=True, blank=True)
    stopped_workdays = models.PositiveIntegerField(_("累计暂停工作日"), default=0)
    extended_days = models.PositiveSmallIntegerField(_("延长工作日"), default=0)
    correction_count = models.PositiveSmallIntegerField(_("补正次数"), default=0)
    deemed_accepted = models.BooleanField(
        _("视为受理"), default=False, help_text=_("预审期限内未一次性告知补正，自收到申请之日起视为受理")
    )
    # Set by the applicant's written promise (容缺受理) for missing non-key materials.
    deficiency_promise_date = models.DateField(_("容缺补交承诺日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["department", "state", "-submitted_at"], name="case_queue"),
            models.Index(fields=["department", "promised_due_date"], name="case_department_due"),
            models.Index(fields=["department", "-submitted_at"], name="case_department_recent"),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant_recent"),
            models.Index(fields=["matter", "-submitted_at"], name="case_matter_recent"),
            models.Index(fields=["state", "pre_review_due_date"], name="case_pre_review_due"),
            # Supervisors see every department: the newest cases, and the open cases by due date.
            models.Index(fields=["-submitted_at"], name="case_recent"),
            models.Index(
                fields=["promised_due_date"],
                condition=models.Q(state__in=OPEN_STATES_FOR_DEADLINES),
                name="case_open_due",
            ),
        ]

    def __str__(self) -> str:
        return self.serial or _("草稿 %(id)s") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.serial]) if self.serial else ""

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    @property
    def clock_running(self) -> bool:
        return self.accepted_at is not None and self.clock_stopped_at is None and self.is_open


CLOSED_STATES = frozenset({State.COMPLETED, State.DELIVERED, State.REJECTED, State.WITHDRAWN})


class ProcessRecordIsAppendOnly(AppendOnlyError):
    """A process record (办事过程信息) was about to be changed or deleted: the history is append-only."""


class ProcessRecord(AppendOnlyModel):
    """办事过程信息: one step of a case, appended by every transition and never changed.

    Append-only through the ORM: ``save()`` only inserts, ``delete()`` and the queryset's
    ``update()``/``delete()`` raise ``ProcessRecordIsAppendOnly``, and a case that has
    records cannot be deleted (``PROTECT``).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records")
    sequence = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("操作"), max_length=32)
    action_label = models.CharField(_("环节名称"), max_length=50)
    from_state = models.CharField(_("原状态"), max_length=24, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("办理人"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(
        _("办理人姓名"), max_length=100, blank=True, help_text=_("系统操作时为“系统”")
    )
    actor_department = models.ForeignKey(
        Department,
        verbose_name=_("办理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opinion = models.TextField(_("办理意见"), blank=True)
    reason_code = models.CharField(_("原因"), max_length=40, blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("办理时间"), db_index=True)
    step_seconds = models.PositiveIntegerField(_("本环节用时（秒）"), default=0)

    append_only_error = ProcessRecordIsAppendOnly

    class Meta:
        verbose_name = _("办理过程")
        verbose_name_plural = _("办理过程")
        ordering = ["case", "sequence"]
        # Django's internal updates (related managers, save) go through the guarded queryset too.
        base_manager_name = "objects"
        constraints = [models.UniqueConstraint(fields=["case", "sequence"], name="unique_record_sequence")]
        # "已办" (cases I acted on) in the back office.
        indexes = [models.Index(fields=["actor", "case"], name="record_actor_case")]

    def __str__(self) -> str:
        return f"{self.case} #{self.sequence} {self.action_label}"

    @property
    def key(self) -> str:
        """Idempotency key of this record in messages to other systems."""
        return f"case-{self.case_id}-record-{self.sequence}"


class SerialCounter(models.Model):
    """The daily sequence of one implementation code, locked with SELECT … FOR UPDATE."""

    implementation_code = models.CharField(max_length=31)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("流水号计数器")
        verbose_name_plural = _("流水号计数器")
        constraints = [
            models.UniqueConstraint(fields=["implementation_code", "day"], name="unique_serial_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.implementation_code} {self.day} {self.last_value}"


def new_verification_token() -> str:
    """144 random bits in 24 URL-safe characters (fits the column; token_urlsafe() alone gives 43)."""
    return secrets.token_urlsafe(18)


def document_upload_to(instance, filename: str) -> str:
    # Unguessable: the stored name never derives from what the user called the file.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


def issued_upload_to(instance, filename: str) -> str:
    return f"issued/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


def private_storage():
    """Applicants' files live outside MEDIA_ROOT and are served only by permission-checked views."""
    return storages["private"]


class Document(models.Model):
    """资料库: a file kept for an account (an upload, an issued result, an e-licence), reusable."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", _("上传材料")
        RESULT = "result", _("办理结果")
        ELICENCE = "elicence", _("电子证照")
        NOTICE = "notice", _("文书")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("所属账户"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    org_code = models.CharField(_("所属单位信用代码"), max_length=18, blank=True, db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    title = models.CharField(_("名称"), max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=document_upload_to, storage=private_storage, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, db_index=True)
    pages = models.PositiveSmallIntegerField(_("页数"), null=True, blank=True)
    requirement_name = models.CharField(_("对应材料"), max_length=200, blank=True)
    # An issued result or notice: the case it came from, so the handling department and
    # supervisors may open it like the case's materials.
    case = models.ForeignKey(
        "Case",
        verbose_name=_("出具办件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issued_files",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资料")
        verbose_name_plural = _("资料库")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="document_owner_recent"),
            # The store's "same file again" lookup on every upload (materials.store_document).
            models.Index(fields=["owner", "sha256"], name="document_owner_sha256"),
        ]

    def __str__(self) -> str:
        return self.title


class SubmissionMaterial(models.Model):
    """A material of a submission: a document for a requirement, or a promise to supply it (容缺)."""

    class Status(models.TextChoices):
        PROVIDED = "provided", _("已提交")
        PROMISED = "promised", _("容缺后补")
        CORRECTION = "correction", _("需补正")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey(
        MaterialRequirement, verbose_name=_("材料要求"), null=True, blank=True, on_delete=models.SET_NULL
    )
    requirement_name = models.CharField(_("材料名称"), max_length=200)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROVIDED)
    promise_date = models.DateField(_("承诺补交日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["submission", "requirement__sort_order", "id"]

    def __str__(self) -> str:
        return self.requirement_name


class IssuedDocument(models.Model):
    """A PDF issued for a case (受理回执, 补正告知书, 不予受理通知书, 办结通知书), verifiable by QR."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("受理回执")
        CORRECTION_NOTICE = "correction_notice", _("补正告知书")
        REJECTION_NOTICE = "rejection_notice", _("不予受理通知书")
        COMPLETION_NOTICE = "completion_notice", _("办结通知书")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="issued_documents")
    kind = models.CharField(_("文书类型"), max_length=20, choices=Kind.choices)
    token = models.CharField(_("核验码"), max_length=32, unique=True, default=new_verification_token)
    record = models.ForeignKey(
        ProcessRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to=issued_upload_to, storage=private_storage, max_length=200)
    created_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("出具文书")
        verbose_name_plural = _("出具文书")
        ordering = ["case", "created_at"]
        # The sweep of documents whose rendering task was lost (pdf.render_missing).
        indexes = [models.Index(fields=["created_at"], condition=models.Q(file=""), name="issued_unrendered")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case}"


class StateWording(models.Model):
    """What the applicant reads for a state (and what to do next), per matter or as the default."""

    matter = models.ForeignKey(
        Matter,
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="state_wordings",
        help_text=_("留空为所有事项的默认说明"),
    )
    state = models.CharField(_("状态"), max_length=24, choices=State.choices)
    title = models.CharField(_("状态名称"), max_length=50)
    next_step = models.TextField(_("下一步提示"), blank=True)

    class Meta:
        verbose_name = _("状态说明")
        verbose_name_plural = _("状态说明")
        constraints = [
            models.UniqueConstraint(fields=["matter", "state"], name="unique_matter_state_wording"),
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(matter__isnull=True), name="unique_default_state_wording"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter or _('默认')} · {self.get_state_display()}"


# The back office keeps its own rows in a separate module (applications.admin).
from applications.models_backoffice import SavedCaseFilter  # noqa: E402, F401
