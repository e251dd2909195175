"""Applications API: apply, follow and withdraw (applicants), process (department staff), and the
public progress query. Mounted under /api/v1/ by ``portal.api``.

Applicants (token or session):

* ``POST applications/``: a new application for a matter (implementation code), for oneself or
  for an enterprise one acts for (``org_code``), with the form answers (``form``), materials as
  multipart uploads keyed ``material_<requirement id>`` and/or ``materials`` items that reuse a
  document of the document store (``{"requirement": id, "document": id}``) or promise a
  non-key material by a date (容缺受理, ``{"requirement": id, "promise_date": "YYYY-MM-DD"}``).
  ``"submit": false`` keeps it as a draft; ``true`` submits it at once (all or nothing).
* ``GET applications/`` (mine, drafts included, ``?state=``), ``GET applications/<serial>/``.
* A draft has no serial number yet: it is addressed by its id, ``drafts/<id>/`` (GET, PATCH
  form answers and materials, DELETE) and ``drafts/<id>/submit/``.
* ``POST applications/<serial>/corrections/`` (补正) and ``…/withdraw/`` (撤回).
* ``GET documents/``: my document store (资料库), the ids ``materials`` items refer to.

Department staff: ``GET queue/`` (their departments' cases, newest first, cursor-paginated: no
``COUNT(*)`` over a million rows) and ``POST applications/<serial>/transitions/``. Supervisors
read every case and fire no transition.

Anyone: ``GET progress/<serial>?code=|name=|id_tail=`` (the rules and rate limits of the
/progress/ page), ``GET matters/<code>/form-schema/`` and ``GET serials/validate/<serial>``.

Status codes: 400 ``validation_error`` when the request itself is wrong, each field named
(``form.<key>`` for a form answer, ``material_<id>`` for an upload, ``materials[i].<key>`` for a
``materials`` item); 409 ``conflict`` when the workflow refuses (``reason`` is the rule's code;
an incomplete submission or correction has ``reason: "incomplete"`` and lists every missing
item in ``problems``); 403 when the person may not act on the case at all; 404 for a case the
person may not see. Views are thin: every write is a call of ``applications.services`` or
``applications.materials``.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, re_path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import admin_filters as queue_filters
from applications import forms_engine, materials, selectors, serials, services, uploads, wording, workflow
from applications.admin import WorkdayMemo, applicant_display
from applications.admin import remaining as remaining_workdays
from applications.forms import ProgressQueryForm
from applications.models import (
    CLOSED_STATES,
    Case,
    Document,
    IssuedDocument,
    OnlineSubChannel,
    Origin,
    State,
    SubmissionMaterial,
)
from applications.services import ApplicantData, SubmissionIncomplete
from applications.views import progress as progress_page
from applications.views.my_cases import clock as clock_text
from applications.views.my_cases import timeline_rows
from applications.workflow import TransitionNotAllowed
from matters import selectors as matter_selectors
from matters.codes import HandlingForm
from matters.models import Department, MaterialRequirement, Matter
from portal.api_support import ERROR_RESPONSE, CodeLabelField, error_response
from portal.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
)

TAGS = ["applications"]
STAFF_TAGS = ["case handling"]
UPLOAD_FIELD = re.compile(r"^material_(\d{1,18})$")
MAX_MATERIAL_ITEMS = 100
# Errors the API answers 403 rather than 409: the person may not act on the case at all.
PERMISSION_CODES = frozenset({"forbidden", "login_required"})

CONFLICT_RESPONSE = inline_serializer(
    name="Conflict",
    fields={
        "error": inline_serializer(
            name="ConflictBody",
            fields={
                "code": serializers.CharField(help_text=_("始终为 conflict")),
                "message": serializers.CharField(),
                "reason": serializers.CharField(
                    help_text=_("被拒绝的业务规则，例如 invalid_state、incomplete")
                ),
                "problems": serializers.ListField(
                    child=serializers.CharField(),
                    required=False,
                    help_text=_("reason 为 incomplete 时：缺少的各项"),
                ),
            },
        )
    },
)


# --- Refusals ------------------------------------------------------------------------------


def refused(exc: TransitionNotAllowed) -> Response:
    """A refusal of the workflow: 403 when the person may not act on the case, else 409."""
    if exc.code in PERMISSION_CODES:
        return error_response(status.HTTP_403_FORBIDDEN, "permission_denied", exc.message)
    extra: dict = {"reason": exc.code}
    if isinstance(exc, SubmissionIncomplete):
        extra["problems"] = list(exc.problems)
    return error_response(status.HTTP_409_CONFLICT, "conflict", exc.message, **extra)


def _messages(exc: DjangoValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


class StoredFiles:
    """Files written to the document store during a request that may still roll back.

    ``materials.store_document`` writes the file before its row; when the request's transaction
    rolls back, the rows are gone and the files they named are deleted here (a file that an
    older row still names, reused by content, stays). Enter it before the transaction.
    """

    def __init__(self):
        self.names: list[tuple[object, str]] = []

    def add(self, material: SubmissionMaterial) -> None:
        document = material.document
        if document is not None and document.file:
            self.names.append((document.file.storage, document.file.name))

    def __enter__(self) -> "StoredFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            return
        for storage, name in self.names:
            if not Document.objects.filter(file=name).exists():
                storage.delete(name)


# --- Input: form answers and materials -------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "表单答案，键为字段标识；格式见 GET /api/v1/matters/{code}/form-schema/。"
        "multipart 请求中为 JSON 字符串。",
    }
)
class FormAnswersField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError(gettext("表单数据须为对象，键为字段标识。"))
        return value


class MaterialItemSerializer(serializers.Serializer):
    """One material given by reference: a document of my store, or a promise (容缺受理)."""

    requirement = serializers.IntegerField(
        min_value=1, help_text=_("材料要求的 id（form-schema 的 x-materials）")
    )
    document = serializers.IntegerField(
        min_value=1, required=False, help_text=_("复用：我的资料库中资料的 id")
    )
    promise_date = serializers.DateField(required=False, help_text=_("容缺受理：承诺补交日期"))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("document" in attrs) == ("promise_date" in attrs):
            raise serializers.ValidationError(
                gettext("每项材料须填写 document（复用资料库中的资料）或 promise_date（容缺承诺）之一。")
            )
        return attrs


@extend_schema_field(MaterialItemSerializer(many=True))
class MaterialListField(serializers.JSONField):
    """A list of ``MaterialItemSerializer`` items (a JSON string in a multipart request)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, list):
            raise serializers.ValidationError(gettext("materials 须为数组。"))
        if len(value) > MAX_MATERIAL_ITEMS:
            raise serializers.ValidationError(
                gettext("一次最多提交 %(count)d 项材料。") % {"count": MAX_MATERIAL_ITEMS}
            )
        return value


def validated_material_items(items: list) -> list[dict]:
    """The items checked one by one; errors named ``materials[i].<key>``."""
    errors: dict[str, list] = {}
    out = []
    for index, item in enumerate(items):
        serializer = MaterialItemSerializer(data=item)
        if not isinstance(item, dict):
            errors[f"materials[{index}]"] = [gettext("每项材料须为对象。")]
            continue
        if not serializer.is_valid():
            for key, messages in serializer.errors.items():
                name = f"materials[{index}]" if key == "non_field_errors" else f"materials[{index}].{key}"
                errors[name] = [str(m) for m in messages]
            continue
        out.append(serializer.validated_data)
    if errors:
        raise serializers.ValidationError(errors)
    return out


def form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        ("form" if key == forms_engine.NON_FIELD else f"form.{key}"): msgs for key, msgs in errors.items()
    }


def checked_answers(matter: Matter, given: dict, *, stored: dict | None = None, complete: bool) -> dict:
    """The answers to keep (专业信息校验, ``forms_engine.validate_data``), or a 400 naming each field.

    ``complete``: for a submission, every rule applies. Otherwise (a draft) only what is
    answered is checked: a draft may be half done, and what is still missing is listed when it
    is submitted. ``given`` is merged into ``stored`` (the draft's earlier answers).
    """
    stored = dict(stored or {})
    merged = {**stored, **given}
    cleaned, errors = forms_engine.validate_data(matter, merged)
    if complete:
        if errors:
            raise serializers.ValidationError(form_errors(errors))
        return cleaned
    errors = {
        key: msgs for key, msgs in errors.items() if key in given and not forms_engine.is_empty(given[key])
    }
    if errors:
        raise serializers.ValidationError(form_errors(errors))
    return {**stored, **{key: cleaned.get(key, value) for key, value in given.items()}}


class SizeLimiter(uploads.SizeLimitedUploadHandler):
    """``uploads.SizeLimitedUploadHandler`` that also remembers the field of each file dropped."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large_fields: list[tuple[str, str]] = []

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large_fields.append((self.field_name, self.file_name or ""))
        return super().receive_data_chunk(raw_data, start)


class UploadsMixin:
    """Multipart uploads keyed ``material_<requirement id>``, refused early when too large."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        # Before anything reads the body (authentication's CSRF check reads a form's fields).
        self.limiter = SizeLimiter(request._request)
        request._request.upload_handlers.insert(0, self.limiter)
        super().initial(request, *args, **kwargs)

    def upload_errors(self, request, expected=UPLOAD_FIELD.match, hint: str = "material_<材料要求 id>"):
        """Files too large or under a field name the endpoint does not take, by field."""
        files = request.FILES  # parses the body: the limiter has seen every file after this
        errors: dict[str, list[str]] = {}
        for field, name in self.limiter.too_large_fields:
            errors.setdefault(field, []).extend(_messages(uploads.too_large_error(name)))
        for key in files:
            if not expected(key):
                errors[key] = [gettext("上传字段应为 %(name)s。") % {"name": hint}]
        return errors


def apply_materials(case: Case, actor, items: list[dict], files, stored: StoredFiles) -> None:
    """Attach uploads, reused documents and promises to the case's submission (in the caller's
    transaction); every error is collected and raised at the end, naming its field."""
    submission = case.submission
    wanted = {item["requirement"] for item in items}
    upload_keys = [key for key in files if UPLOAD_FIELD.match(key)]
    wanted |= {int(UPLOAD_FIELD.match(key).group(1)) for key in upload_keys}
    if not wanted:
        return
    requirements = {r.pk: r for r in matter_selectors.requirements_of(case.matter) if r.pk in wanted}
    not_here = [gettext("该材料不属于本次申请的事项。")]
    errors: dict[str, list[str]] = {}
    for key in upload_keys:
        requirement = requirements.get(int(UPLOAD_FIELD.match(key).group(1)))
        if requirement is None:
            errors[key] = not_here
            continue
        for upload in files.getlist(key):
            try:
                stored.add(
                    materials.attach_upload(
                        submission=submission, requirement=requirement, file=upload, actor=actor
                    )
                )
            except DjangoValidationError as exc:
                errors.setdefault(key, []).extend(_messages(exc))
    documents = Document.objects.in_bulk([item["document"] for item in items if "document" in item])
    for index, item in enumerate(items):
        name = f"materials[{index}]"
        requirement = requirements.get(item["requirement"])
        if requirement is None:
            errors[f"{name}.requirement"] = not_here
            continue
        try:
            if "document" in item:
                document = documents.get(item["document"])
                if document is None:
                    raise materials.MaterialError(gettext("只能使用本人或本单位资料库中的材料。"))
                materials.reuse_document(submission, requirement, document, actor)
            else:
                materials.promise_material(
                    submission=submission,
                    requirement=requirement,
                    promise_date=item["promise_date"],
                    actor=actor,
                    note=item.get("note", ""),
                )
        except DjangoValidationError as exc:
            errors.setdefault(name, []).extend(_messages(exc))
    if errors:
        raise serializers.ValidationError(errors)


# --- Input serializers -------------------------------------------------------------------------


class ApplicationCreateSerializer(serializers.Serializer):
    matter = serializers.CharField(max_length=40, help_text=_("事项实施编码（31位）"))
    org_code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("以企业名义申请时：企业的统一社会信用代码（须为该企业的法定代表人、经办人或管理员）"),
    )
    name = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("申请人姓名；以企业名义申请时为经办人姓名。默认取账户实名"),
    )
    id_number = serializers.CharField(
        max_length=20, validators=[validate_id_number], help_text=_("申请人（经办人）身份证号码")
    )
    mobile = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_mobile],
        help_text=_("联系电话，默认取账户手机号码"),
    )
    sub_channel = serializers.ChoiceField(
        choices=OnlineSubChannel.choices,
        default=OnlineSubChannel.MOBILE_APP,
        help_text=_("网上申报渠道（0 电脑端，1 移动客户端，2 移动端网页，3 微信公众号，4 支付宝，9 其他）"),
    )
    form = FormAnswersField(required=False, default=dict)
    materials = MaterialListField(required=False, default=list)
    submit = serializers.BooleanField(
        default=False, help_text=_("true：立即提交（全部成功或全部不保存）；false：保存为草稿")
    )

    def validate_matter(self, value: str) -> Matter:
        matter = matter_selectors.matter_for_application(value)
        if matter is None or not matter.is_published or not matter.online_apply:
            raise serializers.ValidationError(gettext("未找到可网上申请的该事项，请核对实施编码。"))
        return matter

    def validate_id_number(self, value: str) -> str:
        return normalize_id_number(value)

    def validate_mobile(self, value: str) -> str:
        return normalize_mobile(value) if value else ""

    def validate_org_code(self, value: str) -> str:
        return normalize_uscc(value) if value else ""

    def validate(self, attrs):
        user = self.context["request"].user
        errors: dict[str, list] = {}
        name = attrs["name"].strip() or user.real_name
        mobile = attrs["mobile"] or user.mobile
        if not name:
            errors["name"] = [gettext("请填写姓名。")]
        if not mobile:
            errors["mobile"] = [gettext("请填写手机号码。")]
        org_name = ""
        if attrs["org_code"]:
            org_name = enterprise_name(user, attrs["org_code"])
            if org_name is None:
                errors["org_code"] = [gettext("您不是该企业的法定代表人、经办人或管理员，不能以其名义申请。")]
        if errors:
            raise serializers.ValidationError(errors)
        if org_name:
            attrs["applicant"] = ApplicantData(
                name=org_name,
                id_number=attrs["id_number"],
                mobile=mobile,
                org_name=org_name,
                org_code=attrs["org_code"],
                contact_name=name,
            )
        else:
            attrs["applicant"] = ApplicantData(name=name, id_number=attrs["id_number"], mobile=mobile)
        attrs["form"] = checked_answers(attrs["matter"], attrs["form"], complete=attrs["submit"])
        attrs["materials"] = validated_material_items(attrs["materials"])
        return attrs


def enterprise_name(user, org_code: str) -> str | None:
    """The name of the active enterprise ``user`` acts for with this USCC, else None.

    Read through the user's memberships: this app sits below ``enterprises`` and does not import it.
    """
    memberships = getattr(user, "enterprise_memberships", None)
    if memberships is None:
        return None
    return (
        memberships.filter(enterprise__uscc=org_code, enterprise__status="active")
        .values_list("enterprise__name", flat=True)
        .first()
    )


class DraftUpdateSerializer(serializers.Serializer):
    form = FormAnswersField(
        required=False, default=dict, help_text=_("要修改的答案（与已保存的答案合并；null 表示清空）")
    )
    materials = MaterialListField(required=False, default=list)

    def validate(self, attrs):
        case = self.context["case"]
        attrs["form"] = checked_answers(
            case.matter, attrs["form"], stored=case.submission.form_data, complete=False
        )
        attrs["materials"] = validated_material_items(attrs["materials"])
        return attrs


class CorrectionSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text=_("补正说明（选填）")
    )
    materials = MaterialListField(required=False, default=list)

    def validate(self, attrs):
        attrs["materials"] = validated_material_items(attrs["materials"])
        return attrs


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=workflow.WITHDRAWAL_REASONS,
        error_messages={"invalid_choice": _("请从列表中选择撤回原因。"), "required": _("请选择撤回原因。")},
    )
    opinion = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TransitionSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(
        choices=[(name, workflow.TRANSITIONS[name].label) for name in workflow.STAFF_TRANSITIONS],
        error_messages={"invalid_choice": _("未知的办理操作：%(input)s")},
    )
    opinion = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("原因代码（不予受理、特别程序、不予准予）"),
    )
    items = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=50,
        help_text=_("补正告知：需补正的各项"),
    )
    days = serializers.IntegerField(min_value=1, required=False, help_text=_("延长审批：延长的工作日"))
    result_document = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("办结：申请人资料库中办理结果的 id（或以 multipart 上传 result_file）"),
    )
    method = serializers.ChoiceField(
        choices=(("window", _("窗口领取")), ("express", _("邮寄送达")), ("electronic", _("电子送达"))),
        required=False,
        help_text=_("送达方式"),
    )
    tracking_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("method") == "express" and not attrs["tracking_number"].strip():
            raise serializers.ValidationError({"tracking_number": [gettext("邮寄送达请填写快递单号。")]})
        return attrs


# --- Output serializers ------------------------------------------------------------------------


def absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None and url else url


def page_url(name: str, *args) -> str:
    """A link to a browser page ("" when the applicant's pages are not mounted)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def case_api_url(case: Case) -> str:
    if case.serial:
        return reverse("application-detail", kwargs={"serial": case.serial})
    return reverse("draft-detail", kwargs={"public_id": case.submission.public_id})


class MatterRefSerializer(serializers.Serializer):
    implementation_code = serializers.CharField()
    name = serializers.CharField()


class DepartmentNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()


# Stand-ins that match the URL patterns' lookups and nothing else in a URL.
SERIAL_PLACEHOLDER = "SERIALPLACEHOLDER0000"
UUID_PLACEHOLDER = "ffffffff-ffff-ffff-ffff-fffffffffffe"


class RowMemo:
    """What every row of a page renders alike, worked out once per page: the labels of coded
    values (a translation lookup each) and the time zone of the timestamps (as DRF renders them)."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.labels: dict[tuple[int, str], dict] = {}
        self.links: dict[str, str] = {}

    def coded(self, field: CodeLabelField, value: str) -> dict:
        key = (id(field), value)
        if key not in self.labels:
            self.labels[key] = field.to_representation(value)
        return dict(self.labels[key])

    def stamp(self, value) -> str | None:
        if value is None:
            return None
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def case_url(self, request, case: Case) -> str:
        """``absolute(request, case_api_url(case))``, reversing each URL pattern once per page."""
        if case.serial:
            return self._link(request, "application-detail", "serial", SERIAL_PLACEHOLDER, case.serial)
        public_id = str(case.submission.public_id)
        return self._link(request, "draft-detail", "public_id", UUID_PLACEHOLDER, public_id)

    def _link(self, request, view_name: str, kwarg: str, placeholder: str, value: str) -> str:
        if view_name not in self.links:
            self.links[view_name] = absolute(request, reverse(view_name, kwargs={kwarg: placeholder}))
        return self.links[view_name].replace(placeholder, value)


class CaseSummarySerializer(serializers.Serializer):
    """A case in my list: reads only the case, its matter, department and submission."""

    id = serializers.UUIDField(
        source="submission.public_id", help_text=_("申办 id：草稿用它访问 drafts/<id>/")
    )
    serial = serializers.CharField(allow_null=True, help_text=_("统一申办流水号（草稿为 null）"))
    query_code = serializers.CharField(help_text=_("查询码（印在申报回执上）"))
    matter = MatterRefSerializer()
    department = DepartmentNameSerializer()
    state = CodeLabelField(choices=State.choices)
    status = serializers.SerializerMethodField(help_text=_("该状态对申请人的说明（可按事项配置）"))
    channel = CodeLabelField(choices=HandlingForm.choices)
    org_code = serializers.CharField(source="submission.org_code", help_text=_("以企业名义申请时的信用代码"))
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    promised_due_date = serializers.DateField(allow_null=True)
    remaining_workdays = serializers.SerializerMethodField(
        help_text=_("距承诺办结日期的剩余工作日（负数为超期，受理前为 null）")
    )
    url = serializers.SerializerMethodField()

    def get_status(self, case: Case) -> str:
        texts = self.context.get("wordings")
        text = texts[case.pk] if texts is not None else wording.wording_for(case)
        return text.title

    def get_remaining_workdays(self, case: Case) -> int | None:
        calendar = self.context.setdefault("calendar", WorkdayMemo())
        return remaining_workdays(case, timezone.localdate(), calendar)

    def get_url(self, case: Case) -> str:
        return absolute(self.context.get("request"), case_api_url(case))

    def to_representation(self, case: Case) -> dict:
        """The declared fields without DRF's per-field lookups: a list renders 50 of these (the
        output is the same as the generic rendering, tested)."""
        fields = self.fields
        memo = self.context.setdefault("rows", RowMemo())
        stamp = memo.stamp
        return {
            "id": str(case.submission.public_id),
            "serial": case.serial,
            "query_code": case.query_code,
            "matter": {"implementation_code": case.matter.implementation_code, "name": case.matter.name},
            "department": {"name": case.department.name, "uscc": case.department.uscc},
            "state": memo.coded(fields["state"], case.state),
            "status": self.get_status(case),
            "channel": memo.coded(fields["channel"], case.channel),
            "org_code": case.submission.org_code,
            "created_at": stamp(case.created_at),
            "submitted_at": stamp(case.submitted_at),
            "accepted_at": stamp(case.accepted_at),
            "completed_at": stamp(case.completed_at),
            "promised_due_date": case.promised_due_date.isoformat() if case.promised_due_date else None,
            "remaining_workdays": self.get_remaining_workdays(case),
            "url": memo.case_url(self.context.get("request"), case),
        }


# The columns a row of my list reads, its state wording's facts included (the matter's guide
# text is large and not needed). The query-count tests catch a column missing here.
SUMMARY_COLUMNS = (
    "id",
    "serial",
    "query_code",
    "state",
    "channel",
    "created_at",
    "submitted_at",
    "accepted_at",
    "completed_at",
    "pre_review_due_date",
    "promised_due_date",
    "legal_due_date",
    "clock_stopped_at",
    "matter__id",
    "matter__implementation_code",
    "matter__name",
    "matter__consultation_phone",
    "department__id",
    "department__name",
    "department__uscc",
    "submission__id",
    "submission__public_id",
    "submission__org_code",
)


class CaseReceiptSerializer(CaseSummarySerializer):
    """What a new application answers (申报回执): the summary, what is still missing, the links."""

    to_representation = serializers.Serializer.to_representation

    problems = serializers.SerializerMethodField(help_text=_("草稿：提交前还需处理的问题"))
    links = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_problems(self, case: Case) -> list[str]:
        return services.completeness_problems(case) if case.state == State.DRAFT else []

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_links(self, case: Case) -> dict[str, str]:
        request = self.context.get("request")
        links = {"self": case_api_url(case)}
        if case.serial:
            links.update(
                withdraw=reverse("application-withdraw", kwargs={"serial": case.serial}),
                corrections=reverse("application-corrections", kwargs={"serial": case.serial}),
                transitions=reverse("application-transitions", kwargs={"serial": case.serial}),
                progress=reverse("api-progress", kwargs={"serial": case.serial}),
                page=page_url("applications:detail", case.serial),
            )
        else:
            links["submit"] = reverse("draft-submit", kwargs={"public_id": case.submission.public_id})
        return {key: absolute(request, url) for key, url in links.items() if url}


class TimelineRowSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("环节"))
    who = serializers.CharField(help_text=_("办理部门、申请人或系统"))
    at = serializers.DateTimeField()
    opinion = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    items = serializers.ListField(child=serializers.CharField(), required=False)


class StoredDocumentSerializer(serializers.ModelSerializer):
    kind = CodeLabelField(choices=Document.Kind.choices)
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField(help_text=_("文件（须登录，仅本人、承办部门和督查人员可打开）"))

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "title",
            "name",
            "content_type",
            "size",
            "pages",
            "org_code",
            "created_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, document: Document) -> str:
        return absolute(self.context.get("request"), page_url("applications:document_file", document.pk))


class SubmissionMaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    requirement_name = serializers.CharField()
    status = CodeLabelField(choices=SubmissionMaterial.Status.choices)
    promise_date = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    document = StoredDocumentSerializer(allow_null=True)


class IssuedDocumentSerializer(serializers.Serializer):
    kind = CodeLabelField(choices=IssuedDocument.Kind.choices)
    created_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()
    verify = serializers.SerializerMethodField(help_text=_("公开核验页（二维码的地址）"))

    def get_download(self, issued: IssuedDocument) -> str:
        return absolute(self.context.get("request"), page_url("applications:issued_download", issued.pk))

    def get_verify(self, issued: IssuedDocument) -> str:
        return absolute(self.context.get("request"), page_url("applications:verify", issued.token))


class ApplicantSerializer(serializers.Serializer):
    type = serializers.CharField(source="applicant_type", help_text=_("1 个人，2 企业，3 其他组织"))
    name = serializers.CharField(source="applicant_name")
    id_number = serializers.CharField(source="masked_id_number", help_text=_("证件号码（脱敏）"))
    org_name = serializers.CharField()
    org_code = serializers.CharField()
    contact_name = serializers.CharField()
    contact_mobile = serializers.CharField(source="masked_mobile", help_text=_("联系电话（脱敏）"))


class WordingSerializer(serializers.Serializer):
    title = serializers.CharField()
    next_step = serializers.CharField(help_text=_("现在需要申请人做什么"))


class ClockSerializer(serializers.Serializer):
    text = serializers.CharField()
    overdue = serializers.BooleanField()
    running = serializers.BooleanField()
    pre_review_due_date = serializers.DateField(allow_null=True)
    promised_due_date = serializers.DateField(allow_null=True)
    legal_due_date = serializers.DateField(allow_null=True)
    remaining_workdays = serializers.IntegerField(allow_null=True)


class CaseDetailSerializer(CaseReceiptSerializer):
    """One case with what the applicant (or the handling department) reads on its page."""

    applicant = ApplicantSerializer(source="submission")
    wording = serializers.SerializerMethodField()
    clock = serializers.SerializerMethodField()
    decision = serializers.CharField()
    form = serializers.JSONField(source="submission.form_data", help_text=_("表单答案"))
    form_version = serializers.IntegerField(source="submission.form_version")
    timeline = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    issued_documents = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text=_("当前用户现在可以执行的操作"))

    @extend_schema_field(WordingSerializer)
    def get_wording(self, case: Case) -> dict:
        text = wording.wording_for(case)
        return {"title": text.title, "next_step": text.next_step}

    @extend_schema_field(ClockSerializer)
    def get_clock(self, case: Case) -> dict:
        text = clock_text(case)
        return {
            "text": str(text["text"]),
            "overdue": text["overdue"],
            "running": case.clock_running,
            "pre_review_due_date": case.pre_review_due_date,
            "promised_due_date": case.promised_due_date,
            "legal_due_date": case.legal_due_date,
            "remaining_workdays": selectors.remaining_workdays(case),
        }

    @extend_schema_field(TimelineRowSerializer(many=True))
    def get_timeline(self, case: Case) -> list:
        return TimelineRowSerializer(timeline_rows(case), many=True).data

    @extend_schema_field(SubmissionMaterialSerializer(many=True))
    def get_materials(self, case: Case) -> list:
        rows = SubmissionMaterial.objects.filter(submission_id=case.submission_id).select_related(
            "document", "requirement"
        )
        return SubmissionMaterialSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(IssuedDocumentSerializer(many=True))
    def get_issued_documents(self, case: Case) -> list:
        rows = IssuedDocument.objects.filter(case=case).order_by("created_at", "pk")
        return IssuedDocumentSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, case: Case) -> list[str]:
        request = self.context.get("request")
        return [transition.name for transition in workflow.allowed(case, request.user)] if request else []


class QueueRowSerializer(serializers.Serializer):
    """A case in the staff queue: one row of one query (no per-row query)."""

    serial = serializers.CharField()
    matter = MatterRefSerializer()
    department = DepartmentNameSerializer()
    applicant = serializers.SerializerMethodField(help_text=_("申请人（个人姓名和证件号码脱敏）"))
    state = CodeLabelField(choices=State.choices)
    channel = CodeLabelField(choices=HandlingForm.choices)
    origin = CodeLabelField(choices=Origin.choices)
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    pre_review_due_date = serializers.DateField(allow_null=True)
    promised_due_date = serializers.DateField(allow_null=True)
    remaining_workdays = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField(help_text=_("overdue 超期，due_soon 即将超期，空为正常"))
    url = serializers.SerializerMethodField()

    def _remaining(self, case: Case) -> int | None:
        memo = self.context.setdefault("remaining", {})
        if case.pk not in memo:
            calendar = self.context.setdefault("calendar", WorkdayMemo())
            memo[case.pk] = remaining_workdays(case, timezone.localdate(), calendar)
        return memo[case.pk]

    def get_applicant(self, case: Case) -> str:
        return applicant_display(case)

    def get_remaining_workdays(self, case: Case) -> int | None:
        return self._remaining(case)

    def get_deadline(self, case: Case) -> str:
        return queue_filters.deadline_status(case, self._remaining(case))

    def get_url(self, case: Case) -> str:
        return absolute(
            self.context.get("request"), reverse("application-detail", kwargs={"serial": case.serial})
        )

    def to_representation(self, case: Case) -> dict:
        """As ``CaseSummarySerializer.to_representation``: the declared fields, read directly."""
        fields = self.fields
        memo = self.context.setdefault("rows", RowMemo())
        return {
            "serial": case.serial,
            "matter": {"implementation_code": case.matter.implementation_code, "name": case.matter.name},
            "department": {"name": case.department.name, "uscc": case.department.uscc},
            "applicant": self.get_applicant(case),
            "state": memo.coded(fields["state"], case.state),
            "channel": memo.coded(fields["channel"], case.channel),
            "origin": memo.coded(fields["origin"], case.origin),
            "submitted_at": memo.stamp(case.submitted_at),
            "accepted_at": memo.stamp(case.accepted_at),
            "pre_review_due_date": case.pre_review_due_date.isoformat() if case.pre_review_due_date else None,
            "promised_due_date": case.promised_due_date.isoformat() if case.promised_due_date else None,
            "remaining_workdays": self.get_remaining_workdays(case),
            "deadline": self.get_deadline(case),
            "url": memo.case_url(self.context.get("request"), case),
        }


# --- Applicant's cases -------------------------------------------------------------------------


class MyCaseFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=State.choices, distinct=False, help_text=_("状态，可重复")
    )

    class Meta:
        model = Case
        fields = ["state"]


SERIAL_PARAMETER = OpenApiParameter("serial", str, OpenApiParameter.PATH, description=_("统一申办流水号"))


@extend_schema_view(
    list=extend_schema(summary=_("我的办件"), description=_("本人的办件（含草稿），最新在前。"), tags=TAGS),
    retrieve=extend_schema(
        summary=_("办件详情"),
        description=_(
            "办理过程、材料、出具的文书、状态说明和剩余工作日。申请人、承办部门工作人员和督查人员可查看。"
        ),
        parameters=[SERIAL_PARAMETER],
        responses={200: CaseDetailSerializer, 404: ERROR_RESPONSE},
        tags=TAGS,
    ),
)
class ApplicationViewSet(UploadsMixin, viewsets.GenericViewSet):
    """Cases by their unified serial number (统一申办流水号)."""

    permission_classes = [IsAuthenticated]
    lookup_field = "serial"
    lookup_value_regex = r"[0-9A-Za-z]{1,60}"
    serializer_class = CaseSummarySerializer
    filterset_class = MyCaseFilter
    queryset = Case.objects.none()  # for the schema; every action scopes its own

    def get_queryset(self) -> QuerySet[Case]:
        if self.action == "list":
            return (
                selectors.applicant_cases(self.request.user)
                .select_related(None)
                .select_related("matter", "department", "submission")
                .only(*SUMMARY_COLUMNS)
            )
        return selectors.cases_visible_to(self.request.user).select_related("submission")

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSummarySerializer

    def get_object(self) -> Case:
        serial = self.kwargs["serial"].upper()
        case = self.get_queryset().filter(serial=serial).first()
        if case is None:
            raise exceptions.NotFound(gettext("未找到该办件。"))
        return case

    def own_case(self) -> Case:
        """The applicant's own case; another account gets 404, as if it did not exist."""
        case = (
            selectors.applicant_cases(self.request.user)
            .select_related("submission")
            .filter(serial=self.kwargs["serial"].upper())
            .first()
        )
        if case is None:
            raise exceptions.NotFound(gettext("未找到该办件。"))
        return case

    def detail_response(self, case: Case) -> Response:
        case = selectors.cases_visible_to(self.request.user).select_related("submission").get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = list(self.paginate_queryset(queryset))
        context = {**self.get_serializer_context(), "wordings": wording.wordings_for(page)}
        return self.get_paginated_response(CaseSummarySerializer(page, many=True, context=context).data)

    def retrieve(self, request, serial: str):
        case = self.get_object()
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("网上申报"),
        description=_(
            "新建申请：JSON，或 multipart/form-data（form、materials 为 JSON 字符串，上传文件的字段名为 "
            "material_<材料要求 id>，可重复）。submit=true 时立即提交并取得统一申办流水号，任何一步失败"
            "都不保存；submit=false 保存为草稿（drafts/<id>/）。"
        ),
        request={
            "application/json": ApplicationCreateSerializer,
            "multipart/form-data": ApplicationCreateSerializer,
        },
        responses={
            201: CaseReceiptSerializer,
            400: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
        },
        tags=TAGS,
    )
    def create(self, request):
        errors = self.upload_errors(request)
        serializer = ApplicationCreateSerializer(data=request.data, context=self.get_serializer_context())
        if not serializer.is_valid():
            raise serializers.ValidationError({**serializer.errors, **errors})
        if errors:
            raise serializers.ValidationError(errors)
        data = serializer.validated_data
        sub_channel = data["sub_channel"]
        channel = HandlingForm.ONLINE_PC if sub_channel == OnlineSubChannel.PC else HandlingForm.ONLINE_MOBILE
        try:
            with StoredFiles() as stored, transaction.atomic():
                case = services.create_draft(
                    applicant=request.user,
                    matter=data["matter"],
                    data=data["applicant"],
                    form_data=data["form"],
                    channel=channel,
                    sub_channel=sub_channel,
                    origin=Origin.API,
                )
                apply_materials(case, request.user, data["materials"], request.FILES, stored)
                if data["submit"]:
                    case = services.submit(case=case, actor=request.user)
        except TransitionNotAllowed as exc:
            return refused(exc)
        # The receipt only (no re-read of the case): the detail is one GET away, at Location.
        data = CaseReceiptSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        summary=_("提交补正材料"),
        description=_(
            "待补正的办件：上传或复用材料（与新建申请相同的写法）并提交补正；材料仍不齐全时返回 409，"
            "problems 列出缺少的各项，本次上传不保存。"
        ),
        parameters=[SERIAL_PARAMETER],
        request={"application/json": CorrectionSerializer, "multipart/form-data": CorrectionSerializer},
        responses={
            200: CaseDetailSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="corrections")
    def corrections(self, request, serial: str):
        case = self.own_case()
        errors = self.upload_errors(request)
        serializer = CorrectionSerializer(data=request.data)
        if not serializer.is_valid():
            raise serializers.ValidationError({**serializer.errors, **errors})
        if errors:
            raise serializers.ValidationError(errors)
        data = serializer.validated_data
        try:
            with StoredFiles() as stored, transaction.atomic():
                if case.state != State.CORRECTION_REQUESTED:
                    # Before touching materials: the workflow says why (wrong state, not yours…).
                    workflow.require(case, "supply_correction", request.user)
                apply_materials(case, request.user, data["materials"], request.FILES, stored)
                case = services.supply_correction(case=case, actor=request.user, note=data["note"])
        except TransitionNotAllowed as exc:
            return refused(exc)
        return self.detail_response(case)

    @extend_schema(
        summary=_("撤回申请"),
        description=_("办结或作出决定前，申请人可撤回本人的申请。"),
        parameters=[SERIAL_PARAMETER],
        request=WithdrawSerializer,
        responses={
            200: CaseDetailSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, serial: str):
        case = self.own_case()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case = services.withdraw(
                case=case,
                actor=request.user,
                reason_code=serializer.validated_data["reason"],
                opinion=serializer.validated_data["opinion"],
            )
        except TransitionNotAllowed as exc:
            return refused(exc)
        return self.detail_response(case)

    @extend_schema(
        summary=_("办理（部门工作人员）"),
        description=_(
            "承办部门工作人员按审批流程办理：签收、受理、补正告知、不予受理、审查、特别程序、延长审批、"
            "审批、办结、送达。所需的意见、原因等见各字段；流程不允许时返回 409（中文说明），"
            "无权办理（如督查人员）返回 403，其他部门的办件返回 404。"
        ),
        parameters=[SERIAL_PARAMETER],
        request={"application/json": TransitionSerializer, "multipart/form-data": TransitionSerializer},
        responses={
            200: CaseDetailSerializer,
            400: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
        },
        tags=STAFF_TAGS,
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, serial: str):
        case = self.get_object()
        errors = self.upload_errors(request, expected="result_file".__eq__, hint="result_file")
        serializer = TransitionSerializer(data=request.data)
        if not serializer.is_valid():
            raise serializers.ValidationError({**serializer.errors, **errors})
        if errors:
            raise serializers.ValidationError(errors)
        data = serializer.validated_data
        name = data["transition"]
        result_file = request.FILES.get("result_file")
        document = None
        if data.get("result_document") is not None:
            document = Document.objects.filter(pk=data["result_document"]).first()
            if document is None:
                raise serializers.ValidationError({"result_document": [gettext("未找到该办理结果文件。")]})
        try:
            with StoredFiles() as stored, transaction.atomic():
                if result_file is not None:
                    document = self.store_result(case, name, result_file)
                    stored.names.append((document.file.storage, document.file.name))
                case = fire(case, name, request.user, data, document)
        except TransitionNotAllowed as exc:
            return refused(exc)
        return self.detail_response(case)

    def store_result(self, case: Case, name: str, upload) -> Document:
        """The result (证照/批文) uploaded with 办结, kept in the applicant's store like the back office."""
        workflow.require(case, name, self.request.user)  # refused before the file is stored
        try:
            checked = uploads.check(upload)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"result_file": _messages(exc)}) from None
        return materials.store_document(
            owner=case.applicant,
            checked=checked,
            kind=Document.Kind.RESULT,
            title=case.matter.result_name or gettext("办理结果"),
            org_code=case.submission.org_code,
        )


def fire(case: Case, name: str, actor, data: dict, result_document: Document | None) -> Case:
    """One staff transition through the services (``services.perform``; 送达 with its details)."""
    opinion = data.get("opinion", "")
    if name == "deliver":
        details = {"method": data["method"]} if data.get("method") else {}
        if data.get("tracking_number", "").strip():
            details["tracking_number"] = data["tracking_number"].strip()
        return services.deliver(case=case, actor=actor, opinion=opinion, details=details)
    kwargs = {"opinion": opinion, "reason": data.get("reason", "")}
    if "items" in data:
        kwargs["items"] = data["items"]
    if "days" in data:
        kwargs["days"] = data["days"]
    if result_document is not None:
        kwargs["result_document"] = result_document
    return services.perform(case, name, actor, **kwargs)


# --- Drafts --------------------------------------------------------------------------------------

DRAFT_PARAMETER = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("申办 id")
)


@extend_schema_view(
    retrieve=extend_schema(
        summary=_("草稿"),
        description=_("草稿及提交前还需处理的问题（problems）。已提交的申请也可由此找到其流水号。"),
        parameters=[DRAFT_PARAMETER],
        responses={200: CaseDetailSerializer, 404: ERROR_RESPONSE},
        tags=TAGS,
    ),
)
class DraftViewSet(UploadsMixin, viewsets.GenericViewSet):
    """Drafts (no serial number yet), by the id of their submission; only the applicant's own."""

    permission_classes = [IsAuthenticated]
    lookup_field = "public_id"
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"
    serializer_class = CaseDetailSerializer
    queryset = Case.objects.none()

    def get_object(self) -> Case:
        try:
            case = (
                selectors.applicant_cases(self.request.user)
                .select_related("submission")
                .filter(submission__public_id=self.kwargs["public_id"])
                .first()
            )
        except DjangoValidationError:  # not a UUID
            case = None
        if case is None:
            raise exceptions.NotFound(gettext("未找到该草稿。"))
        return case

    def draft_response(self, case: Case) -> Response:
        case = selectors.applicant_cases(self.request.user).select_related("submission").get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    def retrieve(self, request, public_id):
        return self.draft_response(self.get_object())

    @extend_schema(
        summary=_("保存草稿"),
        description=_(
            "修改草稿的表单答案（与已保存的合并，只校验填写了的项）并添加材料（与新建申请相同的写法）。"
        ),
        parameters=[DRAFT_PARAMETER],
        request={"application/json": DraftUpdateSerializer, "multipart/form-data": DraftUpdateSerializer},
        responses={
            200: CaseDetailSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
        },
        tags=TAGS,
    )
    def partial_update(self, request, public_id):
        case = self.get_object()
        errors = self.upload_errors(request)
        serializer = DraftUpdateSerializer(data=request.data, context={"case": case})
        if not serializer.is_valid():
            raise serializers.ValidationError({**serializer.errors, **errors})
        if errors:
            raise serializers.ValidationError(errors)
        data = serializer.validated_data
        try:
            with StoredFiles() as stored, transaction.atomic():
                case = services.update_draft(case=case, actor=request.user, form_data=data["form"])
                apply_materials(case, request.user, data["materials"], request.FILES, stored)
        except TransitionNotAllowed as exc:
            return refused(exc)
        return self.draft_response(case)

    @extend_schema(
        summary=_("删除草稿"),
        description=_("草稿删除后，上传过的材料仍保存在资料库中。"),
        parameters=[DRAFT_PARAMETER],
        responses={204: None, 404: ERROR_RESPONSE, 409: CONFLICT_RESPONSE},
        tags=TAGS,
    )
    def destroy(self, request, public_id):
        case = self.get_object()
        try:
            services.discard_draft(case=case, actor=request.user)
        except TransitionNotAllowed as exc:
            return refused(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("提交草稿"),
        description=_("提交并取得统一申办流水号；不完整时返回 409，problems 列出全部问题。"),
        parameters=[DRAFT_PARAMETER],
        request=None,
        responses={200: CaseDetailSerializer, 404: ERROR_RESPONSE, 409: CONFLICT_RESPONSE},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, public_id):
        case = self.get_object()
        try:
            case = services.submit(case=case, actor=request.user)
        except TransitionNotAllowed as exc:
            return refused(exc)
        return self.draft_response(case)


# --- Document store -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("我的资料库"),
        description=_("本人及本人所代表企业的资料，最新在前；materials 项的 document 即此处的 id。"),
        tags=TAGS,
    )
)
class DocumentViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = StoredDocumentSerializer
    queryset = Document.objects.none()
    filter_backends = []

    def get_queryset(self):
        return materials.library(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- Staff queue --------------------------------------------------------------------------------


class QueuePagination(CursorPagination):
    """Newest submissions first, by cursor: no ``COUNT(*)`` over the department's cases."""

    ordering = ("-submitted_at", "-pk")
    page_size_query_param = "page_size"
    max_page_size = 100


class QueueFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=[(value, label) for value, label in State.choices if value != State.DRAFT],
        distinct=False,  # a column of the case itself: no join, no duplicates
        help_text=_("状态，可重复"),
    )
    matter = django_filters.CharFilter(field_name="matter__implementation_code", help_text=_("事项实施编码"))
    channel = django_filters.ChoiceFilter(choices=HandlingForm.choices, help_text=_("办理形式（A.5）"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text=_("true：已超过承诺期限"))
    due_soon = django_filters.BooleanFilter(method="filter_due_soon", help_text=_("true：即将超期"))

    class Meta:
        model = Case
        fields = ["state", "matter", "channel", "overdue", "due_soon"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = queue_filters.overdue_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_due_soon(self, queryset, name, value):
        if value is None:
            return queryset
        limits = self.request.parser_context["view"].queue_limits()
        condition = queue_filters.due_soon_q(timezone.localdate(), limits)
        return queryset.filter(condition) if value else queryset.exclude(condition)


QUEUE_COLUMNS = (
    "id",
    "serial",
    "state",
    "channel",
    "origin",
    "submitted_at",
    "accepted_at",
    "completed_at",
    "pre_review_due_date",
    "promised_due_date",
    "clock_stopped_at",
    "matter__id",
    "matter__implementation_code",
    "matter__name",
    "matter__promised_limit_days",
    "department__id",
    "department__name",
    "department__uscc",
    "submission__id",
    "submission__applicant_type",
    "submission__applicant_name",
    "submission__applicant_id_number",
    "submission__org_name",
)


@extend_schema_view(
    list=extend_schema(
        summary=_("办件工作台"),
        description=_(
            "本人所在部门的办件（督查人员为全部办件），按提交时间倒序；游标分页（next/previous），"
            "page_size 最大 100。"
        ),
        responses={200: QueueRowSerializer(many=True), 403: ERROR_RESPONSE},
        tags=STAFF_TAGS,
    )
)
class QueueViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = QueueRowSerializer
    pagination_class = QueuePagination
    filterset_class = QueueFilter
    queryset = Case.objects.none()

    def department_ids(self) -> list[int]:
        if not hasattr(self, "_department_ids"):
            self._department_ids = selectors.handling_department_ids(self.request.user)
        return self._department_ids

    def sees_all(self) -> bool:
        return selectors.sees_all_cases(self.request.user)

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Case.objects.none()
        if self.sees_all():
            queryset = Case.objects.all()
        elif self.department_ids():
            queryset = Case.objects.filter(department_id__in=self.department_ids())
        else:
            raise exceptions.PermissionDenied(gettext("只有承办部门的工作人员和督查人员可以查看办件工作台。"))
        # Submitted cases only: the same set as "not a draft", served by (department, -submitted_at).
        return (
            queryset.filter(submitted_at__isnull=False)
            .select_related("matter", "department", "submission")
            .only(*QUEUE_COLUMNS)
        )

    def queue_limits(self) -> list[int]:
        """Promised limits of the matters in scope (the "due soon" threshold depends on them)."""
        matters = Matter.objects.all()
        if not self.sees_all():
            matters = matters.filter(department_id__in=self.department_ids())
        return list(matters.order_by().values_list("promised_limit_days", flat=True).distinct())

    def list(self, request):
        queryset = self.within_page_reach(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def within_page_reach(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        """The cases that can be on the requested page, when the scope spans departments (or states).

        The index (department, -submitted_at) gives one department's newest cases in order, but
        "the newest of several departments" made PostgreSQL sort all their cases (tens of
        thousands of rows) for one page. So each department (and each state asked for) gives at
        most the k rows the cursor paginator fetches (same filters, cursor and order: one short
        index scan each), in one ``UNION ALL``; the page is taken from those few rows, and is
        the same page.
        """
        department_ids = (
            list(Department.objects.values_list("pk", flat=True))
            if self.sees_all()
            else self.department_ids()
        )
        states = {state for state in self.request.query_params.getlist("state") if state in State.values}
        if len(department_ids) < 2 and len(states) < 2:
            return queryset
        paginator = self.paginator
        cursor = paginator.decode_cursor(self.request)
        offset, reverse, position = cursor if cursor is not None else (0, False, None)
        wanted = offset + paginator.get_page_size(self.request) + 1
        # The paginator's order and cursor condition (``-submitted_at`` first; "previous" reverses it).
        order = ("submitted_at", "pk") if reverse else ("-submitted_at", "-pk")
        scoped = queryset.order_by(*order)
        if position is not None:
            scoped = scoped.filter(**{"submitted_at__gt" if reverse else "submitted_at__lt": position})
        # Several states asked for: one arm per state too, each an ordered scan of the index
        # (department, state, -submitted_at) rather than a sort of all those states' cases.
        parts = [{"department_id": department_id} for department_id in department_ids]
        if len(states) > 1:
            parts = [{**part, "state": state} for part in parts for state in sorted(states)]
        arms, params = [], []
        for number, part in enumerate(parts):
            arm = scoped.filter(**part).values_list("pk", flat=True)[:wanted]
            sql, arm_params = arm.query.sql_with_params()
            # Each arm as a derived table: SQLite takes no ORDER BY/LIMIT in a bare UNION arm.
            arms.append(f'SELECT "arm{number}".* FROM ({sql}) AS "arm{number}"')  # noqa: S608
            params.extend(arm_params)
        # The SQL is the ORM's own compiled arms; every value is a parameter.
        union = RawSQL(" UNION ALL ".join(arms), params)  # noqa: S611
        return self.get_queryset().filter(pk__in=union)


# --- Public: progress, form schema, serial numbers ------------------------------------------------

PROGRESS_RESPONSE = inline_serializer(
    name="Progress",
    fields={
        "serial": serializers.CharField(),
        "matter": MatterRefSerializer(),
        "department": DepartmentNameSerializer(),
        "applicant": serializers.CharField(help_text=_("个人姓名脱敏，单位名称完整")),
        "state": CodeLabelField(choices=State.choices),
        "status": WordingSerializer(),
        "submitted_at": serializers.DateTimeField(),
        "completed": serializers.BooleanField(),
        "timeline": inline_serializer(
            name="ProgressStep",
            many=True,
            fields={
                "label": serializers.CharField(),
                "who": serializers.CharField(),
                "at": serializers.DateTimeField(),
            },
        ),
    },
)
PROOFS = (ProgressQueryForm.CODE, ProgressQueryForm.NAME, ProgressQueryForm.ID_TAIL)


class ProgressView(APIView):
    """办件进度查询 without logging in: the /progress/ page's proofs, answers and rate limits.

    Counted against the same per-IP and per-serial limits as the page (the same cache keys), so
    using both does not double an enumerator's budget. An unknown serial and a wrong proof get
    the same 404.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # the page's limits below, not the API's defaults

    @extend_schema(
        summary=_("办件进度查询"),
        description=_(
            "流水号加一项验证信息：code（申报回执上的查询码）、name（申请人姓名或单位名称）或 "
            "id_tail（身份证号码后6位），三选一。每个IP每分钟10次、每天100次；同一流水号验证失败过多时暂停查询。"
        ),
        parameters=[
            SERIAL_PARAMETER,
            OpenApiParameter("code", str, description=_("查询码（6位）")),
            OpenApiParameter("name", str, description=_("申请人姓名或单位名称")),
            OpenApiParameter("id_tail", str, description=_("申请人身份证号码后6位")),
        ],
        responses={200: PROGRESS_RESPONSE, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        auth=[],
        tags=TAGS,
    )
    def get(self, request, serial: str):
        wait = progress_page._throttled(request._request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        given = [
            (method, request.query_params.get(method, ""))
            for method in PROOFS
            if method in request.query_params
        ]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": [gettext("请提供一项验证信息：code、name 或 id_tail。")]}
            )
        method, proof = given[0]
        form = ProgressQueryForm({"serial": serial, "method": method, "proof": proof})
        if not form.is_valid():
            raise serializers.ValidationError(
                {(method if key == "proof" else key): msgs for key, msgs in form.errors.items()}
            )
        data = form.cleaned_data
        if progress_page._too_many_failures(data["serial"]):
            raise exceptions.Throttled()
        case = progress_page.find_case(data["serial"], data["method"], data["proof"])
        if case is None:
            progress_page._count_failure(data["serial"])
            raise exceptions.NotFound(gettext("未查询到办件，请核对统一申办流水号和验证信息。"))
        text = wording.wording_for(case)
        return Response(
            {
                "serial": case.serial,
                "matter": {"implementation_code": case.matter.implementation_code, "name": case.matter.name},
                "department": {"name": case.department.name, "uscc": case.department.uscc},
                "applicant": progress_page.public_applicant(case),
                "state": {"code": case.state, "label": str(case.get_state_display())},
                "status": {"title": text.title, "next_step": text.next_step},
                "submitted_at": case.submitted_at,
                "completed": case.state in CLOSED_STATES,
                "timeline": [
                    {"label": row["label"], "who": str(row["who"]), "at": row["at"]}
                    for row in timeline_rows(case, public=True)
                ],
            }
        )


FORM_SCHEMA_RESPONSE = {
    "type": "object",
    "description": "JSON Schema (draft 2020-12) of the matter's form answers, plus x-materials: "
    "the material requirements, whose ids key the uploads (material_<id>) and materials items.",
    "additionalProperties": True,
}


class FormSchemaView(APIView):
    """The JSON Schema of a published matter's form (``forms_engine.json_schema``) and its materials."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("事项申请表单的 JSON Schema"),
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description=_("事项实施编码"))],
        responses={200: FORM_SCHEMA_RESPONSE, 404: ERROR_RESPONSE},
        tags=TAGS,
    )
    def get(self, request, code: str):
        matter = Matter.objects.published().filter(implementation_code=code.upper()).first()
        if matter is None:
            raise exceptions.NotFound(gettext("未找到该事项，请核对实施编码。"))
        schema = forms_engine.json_schema(matter)
        requirements = MaterialRequirement.objects.filter(matter=matter).select_related("matter")
        schema["x-materials"] = [
            {
                "id": requirement.pk,
                "name": requirement.name,
                "necessity": requirement.necessity,
                "required_online": materials.required_online(requirement),
                "key_material": requirement.key_material,
                "can_promise": materials.can_promise(requirement),
                "upload_field": f"material_{requirement.pk}",
            }
            for requirement in requirements.order_by("sort_order", "pk")
        ]
        schema["x-uploads"] = {"types": uploads.allowed_labels(), "max_bytes": uploads.max_bytes()}
        return Response(schema)


SERIAL_VALIDATION_RESPONSE = inline_serializer(
    name="SerialValidation",
    fields={
        "serial": serializers.CharField(),
        "well_formed": serializers.BooleanField(),
        "implementation_code": serializers.CharField(),
        "date": serializers.DateField(),
        "sequence": serializers.IntegerField(),
        "exists": serializers.BooleanField(),
        "case": inline_serializer(
            name="SerialCase",
            allow_null=True,
            fields={
                "matter": serializers.DictField(),
                "department": serializers.DictField(),
                "state": serializers.DictField(),
                "submitted_on": serializers.DateField(allow_null=True),
            },
        ),
    },
)


class SerialValidationView(APIView):
    """Is this a well-formed unified serial number (统一申办流水号), and whose case is it?

    Well-formed: 43 characters, the 31-character implementation code with a valid USCC
    check character, a real date, a 4-digit sequence from 0001. When a case has the
    number, its matter, department, state and submission date (no personal data).
    """

    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("校验统一申办流水号"),
        parameters=[OpenApiParameter("serial", str, OpenApiParameter.PATH, description=_("统一申办流水号"))],
        responses={200: SERIAL_VALIDATION_RESPONSE, 400: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        tags=["applications"],
    )
    def get(self, request, serial: str):
        try:
            parsed = serials.parse_serial(serial)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"serial": exc.messages}) from None
        case = selectors.case_by_serial(parsed.serial)
        return Response(
            {
                "serial": parsed.serial,
                "well_formed": True,
                "implementation_code": parsed.implementation_code,
                "date": parsed.day.isoformat(),
                "sequence": parsed.sequence,
                "exists": case is not None,
                "case": selectors.public_summary(case) if case is not None else None,
            }
        )


def register(router) -> None:
    """The viewsets of this module on the API's one router (``portal.api``)."""
    router.register("applications", ApplicationViewSet, basename="application")
    router.register("drafts", DraftViewSet, basename="draft")
    router.register("documents", DocumentViewSet, basename="document")
    router.register("queue", QueueViewSet, basename="queue")


urlpatterns = [
    # With or without the trailing slash: the serial is read from printed receipts and QR codes.
    re_path(
        r"^serials/validate/(?P<serial>[^/]{1,100})/?$",
        SerialValidationView.as_view(),
        name="api-serial-validate",
    ),
    re_path(r"^progress/(?P<serial>[^/]{1,100})/?$", ProgressView.as_view(), name="api-progress"),
    re_path(
        r"^matters/(?P<code>[0-9A-Za-z]{1,40})/form-schema/$",
        FormSchemaView.as_view(),
        name="api-form-schema",
    ),
]
