"""The catalogue of administrative matters (政务服务事项) and their service guides (办事指南).

Field sets follow GB/T 39046-2020 and the guide elements every provincial catalogue
carries (STANDARDS.md). The consistency rules of the provincial catalogue checkers are
``Matter.clean()``; services call ``full_clean()`` before every save.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matters import codes
from portal.validators import validate_phone_with_area_code, validate_uscc

region_code_validator = RegexValidator(
    r"^\d{12}$", _("行政区划代码应为12位数字（GB/T 2260，不足12位在末尾补0）。")
)


class Region(models.Model):
    """行政区划 (GB/T 2260). Codes change over the years, so each row keeps its validity."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")
        TOWN = "town", _("镇（街道）级")
        VILLAGE = "village", _("村（社区）级")

    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[region_code_validator])
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("级别"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def code6(self) -> str:
        return self.code[:6]

    @property
    def code9(self) -> str:
        return self.code[:9]


class Department(models.Model):
    """实施主体 / 部门: the body that implements matters, identified by its USCC."""

    name = models.CharField(_("部门名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    body_nature = models.CharField(
        _("实施主体性质"), max_length=1, choices=codes.BodyNature.choices, default=codes.BodyNature.STATUTORY
    )
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    phone = models.CharField(
        _("咨询电话"), max_length=30, blank=True, validators=[validate_phone_with_area_code]
    )
    description = models.TextField(_("部门简介"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="DepartmentMembership", related_name="departments", blank=True
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("matters:list") + f"?department={self.pk}"


class DepartmentMembership(models.Model):
    """A staff member's place in a department, with the role that decides what they may do."""

    class Role(models.TextChoices):
        CLERK = "clerk", _("窗口受理人员")
        REVIEWER = "reviewer", _("审核人员")
        APPROVER = "approver", _("审批负责人")
        CATALOGUE = "catalogue", _("事项编目人员")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("岗位"), max_length=20, choices=Role.choices, default=Role.CLERK)

    class Meta:
        verbose_name = _("部门人员")
        verbose_name_plural = _("部门人员")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="unique_department_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


class Theme(models.Model):
    """主题: a personal life event (个人生活事件) or an enterprise lifecycle stage (企业生命周期)."""

    class Audience(models.TextChoices):
        CITIZEN = "citizen", _("个人生活事件")
        ENTERPRISE = "enterprise", _("企业生命周期")

    name = models.CharField(_("主题名称"), max_length=50)
    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    audience = models.CharField(_("对象"), max_length=10, choices=Audience.choices)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    icon = models.CharField(
        _("图标"), max_length=30, blank=True, help_text=_("static/img/themes/ 下的图标名")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["audience", "sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("matters:list") + f"?theme={self.slug}"


class Tag(models.Model):
    """分类标签, e.g. 社保, 公积金, 出入境, 不动产."""

    name = models.CharField(_("标签"), max_length=30, unique=True)
    slug = models.SlugField(_("标识"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("分类标签")
        verbose_name_plural = _("分类标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MatterQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=codes.Status.PUBLISHED)

    def for_handling(self):
        """A matter as applications and transitions read it: with its department and region,
        without the search index columns (a third of the row, read only by search)."""
        return self.select_related("department", "region").defer("search_document", "search_vector")

    def for_listing(self):
        """What a list of matters shows, without a query per row."""
        return self.select_related("department").only(
            "id",
            "name",
            "implementation_code",
            "basic_code",
            "matter_type",
            "audience",
            "online_depth",
            "online_apply",
            "appointment",
            "case_type",
            "promised_limit_days",
            "onsite_visits",
            "popularity",
            "department__id",
            "department__name",
            "department__uscc",
        )


class Matter(models.Model):
    """政务服务事项 with its service guide (办事指南)."""

    # Codes
    basic_code = models.CharField(
        _("基本编码"), max_length=12, db_index=True, validators=[codes.validate_basic_code]
    )
    implementation_code = models.CharField(
        _("实施编码"), max_length=31, unique=True, validators=[codes.validate_implementation_code]
    )
    business_item_code = models.CharField(_("业务办理项编码"), max_length=40, blank=True)
    name = models.CharField(_("事项名称"), max_length=200, db_index=True)
    summary = models.CharField(_("简介"), max_length=300, blank=True)
    matter_type = models.CharField(_("事项类型"), max_length=2, choices=codes.MatterType.choices)
    level = models.CharField(
        _("行使层级"), max_length=1, choices=codes.Level.choices, default=codes.Level.CITY
    )
    department = models.ForeignKey(
        Department, verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="matters"
    )
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("联办机构"), blank=True, related_name="co_implemented_matters"
    )
    region = models.ForeignKey(Region, verbose_name=_("管辖区划"), on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(_("面向对象"), max_length=10, choices=codes.Audience.choices, db_index=True)
    service_objects = models.JSONField(
        _("服务对象"), default=list, blank=True, help_text=_('代码表 A.4 的代码列表，例如 ["1"]')
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("主题"), blank=True, related_name="matters")
    tags = models.ManyToManyField(Tag, verbose_name=_("分类标签"), blank=True, related_name="matters")

    # Guide
    legal_basis = models.TextField(_("设定依据"))
    acceptance_conditions = models.TextField(_("受理条件"))
    quantity_limit = models.TextField(_("数量限制"), blank=True)
    intermediary_services = models.TextField(_("中介服务"), blank=True)
    special_procedures = models.TextField(_("特别程序"), blank=True)
    legal_limit_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"))
    promised_limit_days = models.PositiveSmallIntegerField(
        _("承诺办结时限（工作日）"), help_text=_("0 表示即办")
    )
    limit_explanation = models.CharField(_("时限说明"), max_length=300, blank=True)
    case_type = models.CharField(_("办件类型"), max_length=1, choices=codes.CaseType.choices)
    review_type = models.CharField(_("审查类型"), max_length=10, choices=codes.ReviewType.choices)
    fee_required = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    fee_standard = models.TextField(_("收费标准"), blank=True)
    handling_place = models.TextField(_("办理地点"))
    handling_hours = models.CharField(_("办理时间"), max_length=200)
    consultation_phone = models.CharField(
        _("咨询电话"), max_length=30, validators=[validate_phone_with_area_code]
    )
    supervision_phone = models.CharField(
        _("监督投诉电话"), max_length=30, validators=[validate_phone_with_area_code]
    )
    onsite_visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    onsite_visits_reason = models.CharField(_("需到现场原因"), max_length=300, blank=True)
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), choices=codes.OnlineDepth.choices, default=codes.OnlineDepth.APPLY
    )
    handling_forms = models.JSONField(
        _("办理形式"), default=list, blank=True, help_text=_('代码表 A.5 的代码列表，例如 ["1", "2"]')
    )
    online_apply = models.BooleanField(_("支持网上申办"), default=False)
    appointment = models.BooleanField(_("支持网上预约"), default=False)
    online_payment = models.BooleanField(_("支持网上支付"), default=False)
    express_delivery = models.BooleanField(_("支持物流快递"), default=False)
    online_address = models.URLField(_("网上办理地址"), blank=True)
    general_scope = models.CharField(
        _("通办范围"), max_length=10, choices=codes.GeneralScope.choices, blank=True, default=""
    )
    result_type = models.CharField(
        _("办理结果类型"), max_length=12, choices=codes.ResultType.choices, blank=True
    )
    result_name = models.CharField(_("办理结果名称"), max_length=200, blank=True)
    result_sample = models.FileField(_("办理结果样本"), upload_to="matters/result_samples/", blank=True)
    faq = models.TextField(_("常见问题"), blank=True)

    # Handling rules used by the workflow (applications.services)
    trust_online_review = models.BooleanField(
        _("信任在线，审核在后"), default=False, help_text=_("提交即自动受理，受理后再审查")
    )
    allows_deficiency_acceptance = models.BooleanField(
        _("支持容缺受理"), default=False, help_text=_("非关键材料缺失时，申请人书面承诺限期补交即可受理")
    )
    extension_days = models.PositiveSmallIntegerField(
        _("可延长审批期限（工作日）"),
        default=10,
        help_text=_("《行政许可法》第四十二条：经负责人批准可延长一次"),
    )

    # Catalogue state
    status = models.CharField(
        _("状态"), max_length=10, choices=codes.Status.choices, default=codes.Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    popularity = models.PositiveIntegerField(_("热度"), default=0, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Search: jieba tokens + pinyin, written by matters.search.reindex()
    search_document = models.TextField(_("检索文本"), blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["search_document", "search_vector", "popularity", "updated_at"],
        m2m_fields=[themes, tags],
    )
    objects = MatterQuerySet.as_manager()

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["department__sort_order", "name"]
        indexes = [
            models.Index(fields=["status", "-popularity"], name="matter_status_popularity"),
            models.Index(fields=["status", "department", "name"], name="matter_status_department"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("matters:detail", args=[self.implementation_code])

    @property
    def is_immediate(self) -> bool:
        return self.case_type == codes.CaseType.IMMEDIATE

    @property
    def is_published(self) -> bool:
        return self.status == codes.Status.PUBLISHED

    def clean(self) -> None:
        errors: dict[str, list] = {}

        def add(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        # Implementation code = department USCC + level digit + basic code.
        if self.department_id and self.basic_code and self.level and self.implementation_code:
            expected = codes.build_implementation_code(self.department.uscc, self.level, self.basic_code)
            if self.implementation_code != expected:
                add(
                    "implementation_code",
                    _("实施编码应为实施主体统一社会信用代码 + 行使层级 + 基本编码，即 %(expected)s。")
                    % {"expected": expected},
                )
        limits_known = self.legal_limit_days is not None and self.promised_limit_days is not None
        if limits_known and self.promised_limit_days > self.legal_limit_days:
            add("promised_limit_days", _("承诺办结时限不能超过法定办结时限。"))
        # Rule 1: immediate promise <=> immediate case and 即审即办.
        if self.promised_limit_days == 0:
            if self.case_type != codes.CaseType.IMMEDIATE:
                add("case_type", _("承诺时限为即办时，办件类型应为即办件。"))
            if self.review_type != codes.ReviewType.IMMEDIATE:
                add("review_type", _("承诺时限为即办时，审查类型应为即审即办。"))
        elif self.promised_limit_days is not None:
            if self.case_type != codes.CaseType.PROMISED:
                add("case_type", _("承诺时限不是即办时，办件类型应为承诺件。"))
            if self.review_type != codes.ReviewType.REVIEW_THEN_APPROVE:
                add("review_type", _("承诺时限不是即办时，审查类型应为前审后批。"))
        # Rule 2: onsite visits need a reason.
        if self.onsite_visits and not self.onsite_visits_reason.strip():
            add("onsite_visits_reason", _("到办事现场次数不为0时，须填写需到现场的原因。"))
        # Rule 3: zero visits need online handling or express delivery.
        if self.onsite_visits == 0 and not (self.online_apply or self.express_delivery):
            add("onsite_visits", _("到办事现场次数为0时，须支持网上申办或物流快递。"))
        # Rule 4: depth level 4 means no visit at all.
        if self.online_depth == codes.OnlineDepth.FULL and self.onsite_visits != 0:
            add("online_depth", _("网上办理深度为四级（全程网办）时，到办事现场次数须为0。"))
        # Rule 5: no fee, no online payment.
        if not self.fee_required and self.online_payment:
            add("online_payment", _("不收费的事项不能支持网上支付。"))
        if self.fee_required and not self.fee_standard.strip():
            add("fee_standard", _("收费事项须填写收费标准。"))
        # Rule 6: a result name requires a sample.
        if self.result_name.strip() and not self.result_sample:
            add("result_sample", _("填写了办理结果名称时，须上传办理结果样本。"))
        # Rule 7: two different phone numbers with area code (the validators check the code).
        if self.consultation_phone and self.consultation_phone == self.supervision_phone:
            add("supervision_phone", _("监督投诉电话不能与咨询电话相同。"))
        # Codes of the multi-valued tables.
        valid_objects = set(codes.ServiceObject.values)
        if any(code not in valid_objects for code in self.service_objects or []):
            add("service_objects", _("服务对象须为代码表 A.4 中的代码。"))
        valid_forms = set(codes.HandlingForm.values)
        if any(code not in valid_forms for code in self.handling_forms or []):
            add("handling_forms", _("办理形式须为代码表 A.5 中的代码。"))
        if errors:
            raise ValidationError(errors)

    def clean_steps(self, steps) -> None:
        """Rule 8: for 行政许可 the step durations add up to no more than the promised limit.

        Steps are inline rows, so the admin and the services call this with the rows to save.
        """
        if self.matter_type != codes.MatterType.LICENSING:
            return
        total = sum(step.duration_days or 0 for step in steps)
        if total > self.promised_limit_days:
            raise ValidationError(
                _(
                    "行政许可事项各环节时限之和（%(total)d个工作日）不能超过承诺办结时限（%(limit)d个工作日）。"
                )
                % {"total": total, "limit": self.promised_limit_days}
            )


class MatterStep(models.Model):
    """办理流程: one step of the handling process, in order."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="steps")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    name = models.CharField(_("环节名称"), max_length=50)
    description = models.TextField(_("环节说明"), blank=True)
    handler = models.CharField(_("办理人员"), max_length=50, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理流程")
        ordering = ["matter", "sort_order"]

    def __str__(self) -> str:
        return self.name


class MaterialRequirement(models.Model):
    """申请材料: one required or optional material of a matter."""

    class Necessity(models.TextChoices):
        REQUIRED = "required", _("必要")
        OPTIONAL = "optional", _("非必要")
        CONDITIONAL = "conditional", _("视情形提交")

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("申请人自备")
        GOVERNMENT = "government", _("政府部门核发")
        ELICENCE = "elicence", _("电子证照")
        OTHER = "other", _("其他")

    class Medium(models.TextChoices):
        PAPER = "paper", _("纸质")
        ELECTRONIC = "electronic", _("电子")
        BOTH = "both", _("纸质或电子")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="materials")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    name = models.CharField(_("材料名称"), max_length=200)
    necessity = models.CharField(
        _("是否必要"), max_length=12, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    condition = models.CharField(_("提交情形"), max_length=200, blank=True)
    source = models.CharField(_("来源渠道"), max_length=12, choices=Source.choices, default=Source.APPLICANT)
    issuing_body = models.CharField(_("出具单位"), max_length=100, blank=True)
    licence_type_code = models.CharField(
        _("电子证照类型代码"), max_length=21, blank=True, help_text=_("来源为电子证照时填写（GB/T 36904）")
    )
    originals = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copies = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    medium = models.CharField(_("材料形式"), max_length=12, choices=Medium.choices, default=Medium.BOTH)
    specification = models.TextField(_("材料要求"), blank=True, help_text=_("纸张规格、是否需签字盖章等"))
    time_requirement = models.CharField(_("时效要求"), max_length=100, blank=True)
    notes = models.TextField(_("填报须知"), blank=True)
    sample = models.FileField(_("示例样本"), upload_to="matters/material_samples/", blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="matters/material_forms/", blank=True)
    key_material = models.BooleanField(
        _("关键材料"), default=True, help_text=_("非关键材料可容缺受理（先受理后补交）")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["matter", "sort_order"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == self.Source.ELICENCE and not self.licence_type_code:
            raise ValidationError({"licence_type_code": _("来源为电子证照时须填写电子证照类型代码。")})
        if self.necessity == self.Necessity.CONDITIONAL and not self.condition.strip():
            raise ValidationError({"condition": _("视情形提交的材料须写明提交情形。")})
        if self.originals == 0 and self.copies == 0 and self.medium == self.Medium.PAPER:
            raise ValidationError({"originals": _("纸质材料须写明原件或复印件份数。")})


class MatterRelation(models.Model):
    """相关事项: a prerequisite (前置), parallel (并联) or related (关联) matter."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(
        Matter, verbose_name=_("相关事项"), on_delete=models.CASCADE, related_name="inverse_relations"
    )
    kind = models.CharField(_("关系"), max_length=12, choices=codes.RelationKind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("相关事项")
        verbose_name_plural = _("相关事项")
        ordering = ["matter", "kind", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "related", "kind"], name="unique_matter_relation"),
            models.CheckConstraint(condition=~models.Q(matter=models.F("related")), name="relation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.matter} → {self.related} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.matter_id and self.matter_id == self.related_id:
            raise ValidationError({"related": _("事项不能与自身相关。")})


class Synonym(models.Model):
    """检索同义词: what people type (开饭店) and what the catalogue calls it (食品经营许可)."""

    term = models.CharField(_("用户用语"), max_length=50, unique=True)
    expansion = models.CharField(_("规范用语"), max_length=100, help_text=_("多个规范用语用空格分隔"))

    class Meta:
        verbose_name = _("检索同义词")
        verbose_name_plural = _("检索同义词")
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.expansion}"


class GuideQuestion(models.Model):
    """智能导办: a question of the guidance path ("你是谁" → "发生了什么" → "哪种情形")."""

    text = models.CharField(_("问题"), max_length=200)
    help_text = models.CharField(_("说明"), max_length=300, blank=True)
    is_start = models.BooleanField(_("起始问题"), default=False, help_text=_("导办从起始问题开始"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("导办问题")
        verbose_name_plural = _("智能导办")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class GuideOption(models.Model):
    """An answer to a guidance question: leads to a next question or ends at matters."""

    question = models.ForeignKey(GuideQuestion, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    next_question = models.ForeignKey(
        GuideQuestion,
        verbose_name=_("下一个问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reached_from",
    )
    matters = models.ManyToManyField(
        Matter, verbose_name=_("推荐事项"), blank=True, related_name="guide_options"
    )
    conclusion = models.TextField(_("导办结论"), blank=True, help_text=_("到达本选项时向办事人说明的内容"))

    class Meta:
        verbose_name = _("导办选项")
        verbose_name_plural = _("导办选项")
        ordering = ["question", "sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.next_question_id and self.next_question_id == self.question_id:
            raise ValidationError({"next_question": _("选项不能指向其所在的问题。")})


from matters.forms_spec import FormField, FormRule, FormSpec, FormSpecVersion  # noqa: E402,F401
