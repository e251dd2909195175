"""Inbound API of the departments' own systems, under ``/api/v1/department-systems/``.

Every call is signed with the system's key (HMAC-SHA256, ``integrations.signing``; the four
``X-…`` headers) and acts for the system's service account, scoped to its department:

* ``GET matters/`` and ``GET matters/<code>/``: the department's published matters (a system
  can only register cases of its own matters; the whole catalogue is public at ``/api/v1/matters/``);
* ``POST cases/``: register a case received in the department's system → a unified serial
  number, once per ``external_id`` (the system's own case id);
* ``GET cases/<external_id>/``: the case as the hall sees it (state, dates, process records);
* ``POST cases/<external_id>/transitions/``: a step of the workflow (受理, 补正告知, 审批, 办结,
  送达…), once per ``event_id``; with ``result_file`` in a multipart body for 办结;
* ``POST cases/<external_id>/results/``: the result document (证照/批文), once per ``event_id``.

Replays (same id, same body) get the first answer again with ``Idempotent-Replay: true``; the
same id with another body is a 409 ``external_id_reused``. The workflow's refusals are 409
``conflict`` with the rule's code as ``reason``. The views are thin: ``services`` decides.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import path, re_path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from applications import workflow
from applications.api import (
    CONFLICT_RESPONSE,
    FormAnswersField,
    StoredFiles,
    TransitionSerializer,
    absolute,
    checked_answers,
    fire,
    page_url,
    refused,
)
from applications.models import Document, OnlineSubChannel, SubmissionMaterial
from applications.services import ApplicantData
from applications.workflow import TransitionNotAllowed
from integrations.departments import services
from integrations.departments.models import PEER, DepartmentCase
from integrations.inbound import PeerAPIView, deduplicated
from matters import selectors as matter_selectors
from matters.api import MaterialSerializer, MatterDetailSerializer, MatterSummarySerializer
from matters.codes import HandlingForm
from portal.api_support import ERROR_RESPONSE, CodeLabelField, error_response
from portal.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)

TAGS = ["department systems"]
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
EXTERNAL_ID_PATH = r"(?P<external_id>[A-Za-z0-9][A-Za-z0-9_.:-]{0,63})"

SIGNATURE_HEADERS = [
    OpenApiParameter(
        "X-Key-Id",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=_("密钥编号（后台生成）"),
    ),
    OpenApiParameter(
        "X-Timestamp",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=_("Unix 时间戳（秒），与服务器时间相差不得超过 300 秒"),
    ),
    OpenApiParameter(
        "X-Nonce",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=_("随机数，8–64 位 [A-Za-z0-9_-]，同一密钥不得重复使用"),
    ),
    OpenApiParameter(
        "X-Signature",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=_(
            "HMAC-SHA256(密钥值, 方法\\n路径（含查询串）\\n时间戳\\n随机数\\n"
            "hex(SHA-256(请求体)))，小写十六进制"
        ),
    ),
]
REFUSALS = {
    401: OpenApiResponse(
        ERROR_RESPONSE, description=_("签名缺失、密钥无效、时间戳超窗、签名错误或随机数重放")
    ),
    403: OpenApiResponse(ERROR_RESPONSE, description=_("密钥不属于部门业务系统，或无权执行该操作")),
}
REPLAY_HEADER_DOC = _("重放（相同编号、相同请求体）时返回首次应答，并带 Idempotent-Replay: true 响应头。")


class PeerSignatureScheme(OpenApiAuthenticationExtension):
    """The HMAC signature of peers' calls in the OpenAPI description."""

    target_class = "integrations.inbound.PeerSignatureAuthentication"
    name = "PeerSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": str(
                _(
                    "对接系统签名：每个请求带 X-Key-Id、X-Timestamp、X-Nonce、X-Signature 四个头。"
                    "X-Signature = 小写十六进制 HMAC-SHA256(密钥值, "
                    "METHOD + \\n + PATH（含查询串）+ \\n + TIMESTAMP + \\n + NONCE + \\n + "
                    "hex(SHA-256(body)))。"
                    "示例见 docs/department-systems.md。"
                )
            ),
        }


def _error(exc: services.DepartmentSystemError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


class DepartmentSystemView(PeerAPIView):
    """Signed calls of department systems; ``self.system`` is the caller's system."""

    peer = PEER
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticates (401/403 before anything else)
        self.system = services.system_for(request.auth)

    def handle_exception(self, exc):
        if isinstance(exc, services.DepartmentSystemError):
            return _error(exc)
        return super().handle_exception(exc)


# --- Catalogue --------------------------------------------------------------------------------


class DepartmentMaterialSerializer(MaterialSerializer):
    """A material requirement with its id, which ``materials[].requirement`` refers to."""

    class Meta(MaterialSerializer.Meta):
        fields = ["id", *MaterialSerializer.Meta.fields]


class DepartmentMatterSerializer(MatterDetailSerializer):
    materials = DepartmentMaterialSerializer(many=True, read_only=True)
    form_schema_url = serializers.SerializerMethodField(help_text=_("表单字段说明（JSON Schema）"))

    class Meta(MatterDetailSerializer.Meta):
        fields = [*MatterDetailSerializer.Meta.fields, "form_schema_url"]

    def get_form_schema_url(self, matter) -> str:
        url = reverse("api-form-schema", kwargs={"code": matter.implementation_code})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MatterListView(DepartmentSystemView):
    @extend_schema(
        summary=_("本部门事项"),
        description=_("本部门已发布的事项（可登记办件的事项）。全部已发布事项见公开的 /api/v1/matters/。"),
        parameters=SIGNATURE_HEADERS,
        responses={200: MatterSummarySerializer(many=True), **REFUSALS},
        tags=TAGS,
    )
    def get(self, request):
        matters = (
            matter_selectors.published_matters().filter(department=self.system.department).order_by("name")
        )
        return Response(MatterSummarySerializer(matters, many=True, context={"request": request}).data)


class MatterDetailView(DepartmentSystemView):
    @extend_schema(
        summary=_("本部门事项的办事指南"),
        description=_("办事指南、材料要求（含 id）和表单说明地址；其他部门的事项返回 404。"),
        parameters=SIGNATURE_HEADERS,
        responses={200: DepartmentMatterSerializer, 404: ERROR_RESPONSE, **REFUSALS},
        tags=TAGS,
    )
    def get(self, request, code: str):
        services.own_matter(self.system, code)  # 404 for another department's matter
        matter = matter_selectors.matter_for_guide(code.strip().upper())
        return Response(DepartmentMatterSerializer(matter, context={"request": request}).data)


# --- Registering a case -------------------------------------------------------------------------


class ApplicantInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text=_("申请人姓名；企业申请时为经办人姓名"))
    id_type = serializers.CharField(
        max_length=3, default="111", help_text=_("证件类型（GA/T 2000.156），111=居民身份证")
    )
    id_number = serializers.CharField(max_length=30, help_text=_("证件号码；居民身份证按 GB 11643 校验"))
    mobile = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", validators=[validate_mobile]
    )
    org_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    org_code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_uscc],
        help_text=_("企业申请：统一社会信用代码"),
    )

    def validate(self, attrs):
        if attrs["id_type"] == "111":
            try:
                validate_id_number(attrs["id_number"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"id_number": exc.messages}) from None
            attrs["id_number"] = normalize_id_number(attrs["id_number"])
        attrs["mobile"] = normalize_mobile(attrs["mobile"]) if attrs["mobile"] else ""
        attrs["org_code"] = normalize_uscc(attrs["org_code"]) if attrs["org_code"] else ""
        if attrs["org_code"] and not attrs["org_name"].strip():
            raise serializers.ValidationError({"org_name": [gettext("企业申请须填写单位名称。")]})
        return attrs


class MaterialInputSerializer(serializers.Serializer):
    requirement = serializers.IntegerField(
        min_value=1, required=False, help_text=_("材料要求 id（见本部门事项的 materials）")
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(
        choices=[SubmissionMaterial.Status.PROVIDED, SubmissionMaterial.Status.PROMISED],
        default=SubmissionMaterial.Status.PROVIDED,
        help_text=_("provided 已提交；promised 容缺后补"),
    )
    promise_date = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("requirement") and not attrs["name"].strip():
            raise serializers.ValidationError(gettext("每项材料须填写 requirement 或 name。"))
        if attrs["status"] == SubmissionMaterial.Status.PROMISED and not attrs["promise_date"]:
            raise serializers.ValidationError(
                {"promise_date": [gettext("容缺后补的材料须填写承诺补交日期。")]}
            )
        return attrs


class CaseRegisterSerializer(serializers.Serializer):
    external_id = serializers.RegexField(
        EXTERNAL_ID,
        max_length=64,
        help_text=_("部门系统自己的办件编号（幂等键，1–64 位字母、数字和 _.:-）"),
        error_messages={"invalid": _("部门办件编号只能包含字母、数字和 _.:-，最长64位。")},
    )
    matter = serializers.CharField(max_length=40, help_text=_("事项实施编码（须为本部门已发布事项）"))
    applicant = ApplicantInputSerializer()
    form = FormAnswersField(required=False, default=dict)
    materials = MaterialInputSerializer(many=True, required=False, default=list, max_length=100)
    channel = serializers.ChoiceField(
        choices=HandlingForm.choices,
        default=HandlingForm.ONLINE_PC,
        help_text=_("办理形式（A.5）：1 窗口，2 电脑端网上，3 移动端，4 快递，9 其他"),
    )
    sub_channel = serializers.ChoiceField(
        choices=OnlineSubChannel.choices,
        default=OnlineSubChannel.PC,
        help_text=_("网上申报渠道（办理形式为 2、3 时）"),
    )


class RecordOutputSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    action = serializers.CharField()
    label = serializers.CharField(source="action_label")
    to_state = serializers.CharField()
    actor_name = serializers.CharField()
    opinion = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="case.pk", help_text=_("本平台办件 id"))
    external_id = serializers.CharField()
    serial = serializers.CharField(source="case.serial", help_text=_("统一申办流水号"))
    query_code = serializers.CharField(
        source="case.query_code", help_text=_("查询码：与流水号一起打印在回执上")
    )
    matter = serializers.CharField(source="case.matter.implementation_code")
    state = CodeLabelField(source="case.state", choices=workflow.State.choices)
    decision = serializers.CharField(source="case.decision")
    applicant_matched = serializers.BooleanField(
        help_text=_("true：已关联申请人本人账户，办件出现在其“我的办件”中；false：凭流水号和查询码查询进度")
    )
    submitted_at = serializers.DateTimeField(source="case.submitted_at")
    accepted_at = serializers.DateTimeField(source="case.accepted_at", allow_null=True)
    completed_at = serializers.DateTimeField(source="case.completed_at", allow_null=True)
    promised_due_date = serializers.DateField(source="case.promised_due_date", allow_null=True)
    progress_url = serializers.SerializerMethodField(help_text=_("公开的办件进度查询页"))
    records = serializers.SerializerMethodField()

    def get_progress_url(self, link: DepartmentCase) -> str:
        return absolute(self.context.get("request"), page_url("applications:progress"))

    @extend_schema_field(RecordOutputSerializer(many=True))
    def get_records(self, link: DepartmentCase) -> list[dict]:
        rows = link.case.records.order_by("sequence")
        return RecordOutputSerializer(rows, many=True).data


def _case_event_id(prefix: str, field: str):
    def identifier(request) -> str:
        value = str(request.data.get(field) or "").strip()
        return f"{prefix}:{value}" if value else ""

    return identifier


class CaseRegisterView(DepartmentSystemView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary=_("登记办件"),
        description=_(
            "登记部门系统受理渠道收到的申请：取得统一申办流水号，按本平台流程提交（来源：部门业务系统）。"
            "申请人以已核验身份找到本人账户时，办件出现在其“我的办件”中。"
        )
        + str(REPLAY_HEADER_DOC),
        parameters=SIGNATURE_HEADERS,
        request=CaseRegisterSerializer,
        responses={
            201: CaseOutputSerializer,
            400: ERROR_RESPONSE,
            404: OpenApiResponse(ERROR_RESPONSE, description=_("事项不存在、未发布或不属于本部门")),
            409: OpenApiResponse(ERROR_RESPONSE, description=_("编号已用于不同内容，或流程拒绝")),
            **REFUSALS,
        },
        tags=TAGS,
    )
    @deduplicated(external_id=_case_event_id("case", "external_id"))
    def post(self, request):
        serializer = CaseRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        matter = services.own_matter(self.system, data["matter"])
        form = checked_answers(matter, data["form"], complete=False)
        person = data["applicant"]
        applicant = ApplicantData(
            name=person["org_name"].strip() if person["org_code"] else person["name"].strip(),
            id_number=person["id_number"],
            id_type=person["id_type"],
            mobile=person["mobile"],
            org_name=person["org_name"].strip(),
            org_code=person["org_code"],
            contact_name=person["name"].strip(),
        )
        materials = [
            services.MaterialInfo(
                name=item["name"].strip(),
                requirement_id=item.get("requirement"),
                status=item["status"],
                promise_date=item["promise_date"],
                note=item["note"],
            )
            for item in data["materials"]
        ]
        try:
            link = services.register_case(
                system=self.system,
                external_id=data["external_id"],
                matter=matter,
                applicant=applicant,
                form_data=form,
                materials=materials,
                channel=data["channel"],
                sub_channel=data["sub_channel"],
            )
        except TransitionNotAllowed as exc:
            return refused(exc)
        except services.DepartmentSystemError as exc:
            return _error(exc)
        return Response(
            CaseOutputSerializer(link, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


# --- One case: read, transitions, results -------------------------------------------------------

EXTERNAL_ID_PARAMETER = OpenApiParameter(
    "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("部门系统自己的办件编号")
)


class CaseDetailView(DepartmentSystemView):
    @extend_schema(
        summary=_("办件状态"),
        description=_("本系统登记的办件在本平台的状态、期限和办理过程。"),
        parameters=[EXTERNAL_ID_PARAMETER, *SIGNATURE_HEADERS],
        responses={200: CaseOutputSerializer, 404: ERROR_RESPONSE, **REFUSALS},
        tags=TAGS,
    )
    def get(self, request, external_id: str):
        link = services.case_of(self.system, external_id)
        return Response(CaseOutputSerializer(link, context={"request": request}).data)


class DepartmentTransitionSerializer(TransitionSerializer):
    event_id = serializers.RegexField(
        EXTERNAL_ID,
        max_length=64,
        help_text=_("部门系统中该办理环节的编号（幂等键）"),
        error_messages={"invalid": _("环节编号只能包含字母、数字和 _.:-，最长64位。")},
    )
    transition = serializers.ChoiceField(
        choices=[(name, workflow.TRANSITIONS[name].label) for name in services.PUSHABLE_TRANSITIONS],
        error_messages={"invalid_choice": _("未知的办理操作：%(input)s")},
        help_text=_(
            "sign 签收预审，accept 受理，request_correction 补正告知（items），reject 不予受理（reason），"
            "start_review 审查，begin_special_procedure / end_special_procedure 特别程序，"
            "extend 延长审批（days），"
            "approve 准予，deny 不予准予（reason），complete / complete_immediately 办结（result_document 或 "
            "result_file），deliver 送达（method, tracking_number），"
            "withdraw 撤回（仅未关联申请人账户的办件）"
        ),
    )
    result_file = serializers.FileField(required=False, help_text=_("办结：办理结果文件（multipart）"))


class TransitionView(DepartmentSystemView):
    @extend_schema(
        summary=_("推送办理环节"),
        description=_(
            "按本平台审批流程推送部门系统中的办理环节；状态机、办理过程记录、计时和向省厅推送与本平台办理完全相同。"
            "流程不允许时返回 409（reason 为规则代码）。"
        )
        + str(REPLAY_HEADER_DOC),
        parameters=[EXTERNAL_ID_PARAMETER, *SIGNATURE_HEADERS],
        request={
            "application/json": DepartmentTransitionSerializer,
            "multipart/form-data": DepartmentTransitionSerializer,
        },
        responses={
            200: CaseOutputSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
            **REFUSALS,
        },
        tags=TAGS,
    )
    @deduplicated(external_id=_case_event_id("event", "event_id"))
    def post(self, request, external_id: str):
        link = services.case_of(self.system, external_id)
        serializer = DepartmentTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        name = data["transition"]
        account = self.system.account
        document = None
        if data.get("result_document") is not None:
            document = Document.objects.filter(
                pk=data["result_document"], owner=link.case.applicant_id
            ).first()
            if document is None:
                raise serializers.ValidationError({"result_document": [gettext("未找到该办理结果文件。")]})
        try:
            with StoredFiles() as stored, transaction.atomic():
                if data.get("result_file") is not None:
                    document = services.store_result(
                        system=self.system, case=link.case, upload=data["result_file"], transition=name
                    )
                    stored.names.append((document.file.storage, document.file.name))
                fire(link.case, name, account, data, document)
        except TransitionNotAllowed as exc:
            return refused(exc)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"result_file": exc.messages}) from None
        link = services.case_of(self.system, external_id)
        return Response(CaseOutputSerializer(link, context={"request": request}).data)


class ResultUploadSerializer(serializers.Serializer):
    event_id = serializers.RegexField(
        EXTERNAL_ID, max_length=64, help_text=_("部门系统中该结果文件的编号（幂等键）")
    )
    file = serializers.FileField(help_text=_("办理结果文件（PDF、OFD 或图片），multipart 上传"))


class ResultDocumentSerializer(serializers.Serializer):
    document = serializers.IntegerField(source="pk", help_text=_("办结时以 result_document 引用"))
    title = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class ResultUploadView(DepartmentSystemView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary=_("上传办理结果"),
        description=_(
            "办理结果（证照、批文）存入申请人的资料库，返回其 id，办结时以 result_document 引用。"
            "重试时请发送与首次完全相同的请求体（含 multipart 分隔符）。"
        )
        + str(REPLAY_HEADER_DOC),
        parameters=[EXTERNAL_ID_PARAMETER, *SIGNATURE_HEADERS],
        request={"multipart/form-data": ResultUploadSerializer},
        responses={
            201: ResultDocumentSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: CONFLICT_RESPONSE,
            **REFUSALS,
        },
        tags=TAGS,
    )
    @deduplicated(external_id=_case_event_id("result", "event_id"))
    def post(self, request, external_id: str):
        link = services.case_of(self.system, external_id)
        serializer = ResultUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with StoredFiles() as stored:
                document = services.store_result(
                    system=self.system, case=link.case, upload=serializer.validated_data["file"]
                )
                stored.names.append((document.file.storage, document.file.name))
        except TransitionNotAllowed as exc:
            return refused(exc)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from None
        return Response(ResultDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("matters/", MatterListView.as_view(), name="department-system-matters"),
    re_path(
        r"^matters/(?P<code>[0-9A-Za-z]{1,40})/$", MatterDetailView.as_view(), name="department-system-matter"
    ),
    path("cases/", CaseRegisterView.as_view(), name="department-system-cases"),
    re_path(rf"^cases/{EXTERNAL_ID_PATH}/$", CaseDetailView.as_view(), name="department-system-case"),
    re_path(
        rf"^cases/{EXTERNAL_ID_PATH}/transitions/$",
        TransitionView.as_view(),
        name="department-system-case-transitions",
    ),
    re_path(
        rf"^cases/{EXTERNAL_ID_PATH}/results/$",
        ResultUploadView.as_view(),
        name="department-system-case-results",
    ),
]
