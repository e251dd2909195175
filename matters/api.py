"""Catalogue API (read-only): published matters with their guides, departments and themes.

Registered under /api/v1/ by ``portal.api``. Lists and guides start from the same selectors
as the catalogue pages, filter with the same ``MatterFilter`` and search with the same
``matters.search.search``, so the page and the API never disagree.
"""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.filters import BaseFilterBackend
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from matters import cache, codes, search, selectors
from matters.filters import MatterFilter
from matters.models import Department, MaterialRequirement, Matter, MatterRelation, MatterStep, Tag, Theme
from portal.api_support import (
    ERROR_RESPONSE,
    CodeLabelField,
    CodeLabelListField,
    IntegerCodeLabelField,
    ReadOnlyModelSerializer,
)

# --- Serializers -------------------------------------------------------------------


class DepartmentRefSerializer(ReadOnlyModelSerializer):
    """The implementing department as a matter shows it."""

    url = serializers.HyperlinkedIdentityField(view_name="department-detail", lookup_field="uscc")

    class Meta:
        model = Department
        fields = ["name", "uscc", "url"]


class DepartmentSerializer(ReadOnlyModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="department-detail", lookup_field="uscc")
    region_code = serializers.CharField(source="region.code", read_only=True)
    matter_count = serializers.IntegerField(read_only=True, help_text=_("已发布事项数"))

    class Meta:
        model = Department
        fields = [
            "id",
            "name",
            "short_name",
            "uscc",
            "region_code",
            "phone",
            "address",
            "matter_count",
            "url",
        ]


class ThemeSerializer(ReadOnlyModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="theme-detail", lookup_field="slug")
    audience = CodeLabelField(choices=Theme.Audience.choices)

    class Meta:
        model = Theme
        fields = ["slug", "name", "audience", "description", "url"]


class TagSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


class MatterSummarySerializer(ReadOnlyModelSerializer):
    """A matter in a list. Reads only the columns of ``MatterQuerySet.for_listing()``."""

    url = serializers.HyperlinkedIdentityField(view_name="matter-detail", lookup_field="implementation_code")
    guide_url = serializers.SerializerMethodField(help_text=_("办事指南网页"))
    department = DepartmentRefSerializer(read_only=True)
    matter_type = CodeLabelField(choices=codes.MatterType.choices)
    audience = CodeLabelField(choices=codes.Audience.choices)
    online_depth = IntegerCodeLabelField(choices=codes.OnlineDepth.choices)
    case_type = CodeLabelField(choices=codes.CaseType.choices)

    class Meta:
        model = Matter
        fields = [
            "implementation_code",
            "basic_code",
            "name",
            "department",
            "matter_type",
            "audience",
            "online_depth",
            "online_apply",
            "appointment",
            "case_type",
            "promised_limit_days",
            "onsite_visits",
            "url",
            "guide_url",
        ]

    def get_guide_url(self, matter: Matter) -> str:
        url = matter.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MatterStepSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = MatterStep
        fields = ["sort_order", "name", "description", "handler", "duration_days"]


class MaterialSerializer(ReadOnlyModelSerializer):
    necessity = CodeLabelField(choices=MaterialRequirement.Necessity.choices)
    source = CodeLabelField(choices=MaterialRequirement.Source.choices)
    medium = CodeLabelField(choices=MaterialRequirement.Medium.choices)

    class Meta:
        model = MaterialRequirement
        fields = [
            "sort_order",
            "name",
            "necessity",
            "condition",
            "source",
            "issuing_body",
            "licence_type_code",
            "originals",
            "copies",
            "medium",
            "specification",
            "time_requirement",
            "notes",
            "key_material",
            "sample",
            "blank_form",
        ]


class RelatedMatterSerializer(ReadOnlyModelSerializer):
    """The other end of a relation: enough to show a link."""

    implementation_code = serializers.CharField(source="related.implementation_code")
    name = serializers.CharField(source="related.name")
    department = serializers.CharField(source="related.department.name")
    url = serializers.HyperlinkedRelatedField(
        source="related",
        view_name="matter-detail",
        lookup_field="implementation_code",
        read_only=True,
    )

    class Meta:
        model = MatterRelation
        fields = ["implementation_code", "name", "department", "note", "url"]


class RelationGroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=codes.RelationKind.choices)
    label = serializers.CharField()
    matters = RelatedMatterSerializer(many=True)


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MatterDetailSerializer(MatterSummarySerializer):
    """The whole service guide (办事指南) of one matter."""

    level = CodeLabelField(choices=codes.Level.choices)
    review_type = CodeLabelField(choices=codes.ReviewType.choices)
    general_scope = CodeLabelField(choices=codes.GeneralScope.choices)
    result_type = CodeLabelField(choices=[("", ""), *codes.ResultType.choices])
    service_objects = CodeLabelListField(choices=codes.ServiceObject.choices)
    handling_forms = CodeLabelListField(choices=codes.HandlingForm.choices)
    region = RegionSerializer(read_only=True)
    co_departments = DepartmentRefSerializer(many=True, read_only=True)
    themes = ThemeSerializer(many=True, read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    steps = MatterStepSerializer(many=True, read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    related_matters = serializers.SerializerMethodField()

    class Meta(MatterSummarySerializer.Meta):
        fields = [
            *MatterSummarySerializer.Meta.fields,
            "business_item_code",
            "summary",
            "level",
            "region",
            "co_departments",
            "service_objects",
            "themes",
            "tags",
            # Guide
            "legal_basis",
            "acceptance_conditions",
            "quantity_limit",
            "intermediary_services",
            "special_procedures",
            "legal_limit_days",
            "limit_explanation",
            "review_type",
            "fee_required",
            "fee_basis",
            "fee_standard",
            "handling_place",
            "handling_hours",
            "consultation_phone",
            "supervision_phone",
            "onsite_visits_reason",
            "handling_forms",
            "online_payment",
            "express_delivery",
            "online_address",
            "general_scope",
            "result_type",
            "result_name",
            "result_sample",
            "faq",
            "steps",
            "materials",
            "related_matters",
            "published_at",
            "updated_at",
        ]

    @extend_schema_field(RelationGroupSerializer(many=True))
    def get_related_matters(self, matter: Matter) -> list[dict]:
        """Related matters grouped as on the guide page: 前置, 并联, 关联; empty kinds left out."""
        groups = [
            {"kind": kind, "label": str(label), "matters": relations}
            for kind, label, relations in selectors.relations_by_kind(matter)
        ]
        return RelationGroupSerializer(groups, many=True, context=self.context).data


# --- Filters -----------------------------------------------------------------------


class MatterSearchBackend(BaseFilterBackend):
    """``?search=``: the catalogue's Chinese full-text search, best matches first."""

    param = "search"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.param, "").strip()
        if not query:
            return queryset
        return search.search(queryset, query)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": str(_("检索词：事项名称、办事指南和材料名称，支持拼音首字母和同义词")),
                "schema": {"type": "string"},
            }
        ]


# --- Viewsets ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("事项目录"), description=_("已发布事项，可按目录页的条件筛选并检索。")),
    retrieve=extend_schema(
        summary=_("办事指南"), responses={200: MatterDetailSerializer, 404: ERROR_RESPONSE}
    ),
)
class MatterViewSet(viewsets.ReadOnlyModelViewSet):
    """Published matters, looked up by implementation code (实施编码)."""

    permission_classes = [AllowAny]
    lookup_field = "implementation_code"
    lookup_url_kwarg = "implementation_code"
    filter_backends = [DjangoFilterBackend, MatterSearchBackend]
    filterset_class = MatterFilter

    def get_queryset(self):
        # The catalogue page's stable order; a search re-ranks best first.
        return selectors.catalogue_matters()

    def list(self, request, *args, **kwargs):
        """Like the catalogue page, a list is kept per query string until the catalogue
        changes (matters.cache): the mobile app's and WeChat's lists cost one cache read."""
        params = cache.query_params(request.GET)
        if params is None:  # an odd, very long query string: not worth a cache entry
            return super().list(request, *args, **kwargs)
        # Its links are absolute: they vary with the host and scheme asked.
        key = cache.fragment_key("api-matters", request.scheme, request.get_host(), params)
        data = cache.fragment(
            key, lambda: dict(super(MatterViewSet, self).list(request, *args, **kwargs).data)
        )
        return Response(data)

    def get_serializer_class(self):
        return MatterDetailSerializer if self.action == "retrieve" else MatterSummarySerializer

    def get_object(self):
        try:
            matter = selectors.matter_for_guide(self.kwargs[self.lookup_url_kwarg])
        except Matter.DoesNotExist:
            raise exceptions.NotFound(_("未找到该事项，请核对实施编码。")) from None
        self.check_object_permissions(self.request, matter)
        return matter


@extend_schema_view(
    list=extend_schema(summary=_("部门列表"), description=_("有已发布事项的部门及其事项数。")),
    retrieve=extend_schema(summary=_("部门"), responses={200: DepartmentSerializer, 404: ERROR_RESPONSE}),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments that implement published matters, looked up by USCC."""

    permission_classes = [AllowAny]
    serializer_class = DepartmentSerializer
    lookup_field = "uscc"
    filter_backends = []

    def get_queryset(self):
        return (
            selectors.departments_with_matters().select_related("region").order_by("sort_order", "name", "pk")
        )


@extend_schema_view(
    list=extend_schema(summary=_("主题列表"), description=_("个人生活事件和企业生命周期主题。")),
    retrieve=extend_schema(summary=_("主题"), responses={200: ThemeSerializer, 404: ERROR_RESPONSE}),
)
class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Life-event and enterprise-lifecycle themes, looked up by slug; ``?audience=`` filters."""

    permission_classes = [AllowAny]
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["audience"]

    def get_queryset(self):
        return Theme.objects.order_by("audience", "sort_order", "name", "pk")
