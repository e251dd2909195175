"""Read queries over the catalogue shared by pages, the API and the admin."""

from django.db.models import Count, Prefetch, Q, QuerySet

from matters import codes
from matters.models import Department, MaterialRequirement, Matter, MatterRelation, MatterStep, Theme


def published_matters() -> QuerySet[Matter]:
    return Matter.objects.published().for_listing()


def popular_matters(*, limit: int = 10) -> QuerySet[Matter]:
    return published_matters().order_by("-popularity", "name")[:limit]


def themes_for(audience: str) -> QuerySet[Theme]:
    return Theme.objects.filter(audience=audience).order_by("sort_order", "name")


def departments_with_matters() -> QuerySet[Department]:
    published = Q(matters__status=codes.Status.PUBLISHED)
    return (
        Department.objects.filter(is_active=True)
        .annotate(matter_count=Count("matters", filter=published))
        .filter(matter_count__gt=0)
        .order_by("sort_order", "name")
    )


def matter_for_guide(implementation_code: str) -> Matter:
    """One published matter with everything its guide page shows, in a fixed number of queries."""
    relations = MatterRelation.objects.filter(related__status=codes.Status.PUBLISHED).select_related(
        "related", "related__department"
    )
    return (
        Matter.objects.published()
        .select_related("department", "region")
        .prefetch_related(
            Prefetch("steps", queryset=MatterStep.objects.order_by("sort_order")),
            Prefetch("materials", queryset=MaterialRequirement.objects.order_by("sort_order")),
            Prefetch("relations", queryset=relations.order_by("kind", "sort_order")),
            "themes",
            "tags",
            "co_departments",
        )
        .get(implementation_code=implementation_code)
    )


def matters_editable_by(user) -> QuerySet[Matter]:
    """Catalogue editors edit every matter; department staff only their own department's."""
    qs = Matter.objects.all()
    if user.is_catalogue_editor:
        return qs
    return qs.filter(department__memberships__user=user).distinct()
