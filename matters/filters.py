"""The catalogue's filters, shared by the /matters/ page and GET /api/v1/matters/."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from matters import codes
from matters.models import Department, Matter, Tag, Theme


class MatterFilter(django_filters.FilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("实施部门"), queryset=Department.objects.filter(is_active=True), empty_label=_("全部部门")
    )
    theme = django_filters.ModelChoiceFilter(
        label=_("主题"),
        queryset=Theme.objects.all(),
        to_field_name="slug",
        field_name="themes",
        empty_label=_("全部主题"),
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("分类标签"),
        queryset=Tag.objects.all(),
        to_field_name="slug",
        field_name="tags",
        empty_label=_("全部标签"),
    )
    audience = django_filters.ChoiceFilter(
        label=_("面向对象"),
        choices=codes.Audience.choices,
        method="filter_audience",
        empty_label=_("全部对象"),
    )
    matter_type = django_filters.ChoiceFilter(
        label=_("事项类型"), choices=codes.MatterType.choices, empty_label=_("全部类型")
    )
    online_depth = django_filters.ChoiceFilter(
        label=_("网上办理深度"), choices=codes.OnlineDepth.choices, empty_label=_("全部深度")
    )
    online_apply = django_filters.BooleanFilter(
        label=_("可网上申办"), widget=django_filters.widgets.BooleanWidget
    )

    class Meta:
        model = Matter
        fields = ["department", "theme", "tag", "audience", "matter_type", "online_depth", "online_apply"]

    def filter_audience(self, queryset, name, value):
        """A matter for both audiences shows up under citizens and under enterprises."""
        if value in (codes.Audience.CITIZEN, codes.Audience.ENTERPRISE):
            return queryset.filter(Q(audience=value) | Q(audience=codes.Audience.BOTH))
        return queryset.filter(audience=value)
