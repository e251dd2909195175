"""Read queries over the catalogue shared by pages, the API and the admin.

Every function returns what its page shows in a fixed number of queries, whatever the
size of the catalogue: the page tests count them.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from matters import cache, codes
from matters.models import (
    Department,
    GuideOption,
    GuideQuestion,
    MaterialRequirement,
    Matter,
    MatterRelation,
    MatterStep,
    Theme,
)

# A guidance path longer than this is a loop in the configured data, not a real path.
MAX_GUIDE_ANSWERS = 20


def published_matters() -> QuerySet[Matter]:
    return Matter.objects.published().for_listing()


def catalogue_matters() -> QuerySet[Matter]:
    """Published matters in the order of the catalogue page: most used first, then by name.

    The index ``matter_status_popularity`` serves this order, so a page reads its 20 rows
    instead of sorting the whole catalogue; ``id`` keeps pages from shuffling between equals.
    """
    return published_matters().order_by("-popularity", "name", "id")


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


def matter_for_application(implementation_code: str) -> Matter | None:
    """A matter as an application reads it (by implementation code, with its department and
    region), kept until the catalogue changes; None when there is none. Whether it takes
    applications is the caller's rule."""
    code = implementation_code.strip().upper()

    def build():
        return Matter.objects.for_handling().filter(implementation_code=code).first()

    return cache.snapshot("matter-for-application", code, build=build)


def requirements_of(matter: Matter) -> list[MaterialRequirement]:
    """The material requirements of ``matter`` in guide order, each pointing at ``matter``
    (kept until the catalogue changes)."""

    def build():
        return list(MaterialRequirement.objects.filter(matter_id=matter.pk).order_by("sort_order", "pk"))

    requirements = cache.snapshot("requirements", matter.pk, build=build)
    for requirement in requirements:
        requirement.matter = matter
    return requirements


def matter_for_guide(implementation_code: str) -> Matter:
    """One published matter with everything its guide page shows, in a fixed number of queries."""
    relations = MatterRelation.objects.filter(related__status=codes.Status.PUBLISHED).select_related(
        "related", "related__department"
    )
    return (
        Matter.objects.published()
        .select_related("department", "region")
        .prefetch_related(
            Prefetch("steps", queryset=MatterStep.objects.order_by("sort_order", "id")),
            Prefetch("materials", queryset=MaterialRequirement.objects.order_by("sort_order", "id")),
            Prefetch("relations", queryset=relations.order_by("kind", "sort_order", "id")),
            Prefetch("themes", queryset=Theme.objects.order_by("audience", "sort_order", "name")),
            "tags",
            "co_departments",
        )
        .get(implementation_code=implementation_code)
    )


def relations_by_kind(matter: Matter) -> list[tuple[str, str, list[MatterRelation]]]:
    """The guide's related matters grouped as 前置 / 并联 / 关联: (kind, label, relations), non-empty only.

    Reads the prefetched ``matter.relations`` of ``matter_for_guide``: no query.
    """
    groups: dict[str, list[MatterRelation]] = {kind: [] for kind in codes.RelationKind.values}
    for relation in matter.relations.all():
        groups.setdefault(relation.kind, []).append(relation)
    labels = dict(codes.RelationKind.choices)
    return [(kind, labels.get(kind, kind), items) for kind, items in groups.items() if items]


def matters_editable_by(user) -> QuerySet[Matter]:
    """Catalogue editors edit every matter; department staff only their own department's.

    A subquery rather than a join, so the result needs no DISTINCT (which would defeat
    the admin's LIMIT on a large catalogue).
    """
    qs = Matter.objects.all()
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return qs.none()
    if user.is_catalogue_editor:
        return qs
    return qs.filter(department__in=Department.objects.filter(memberships__user=user).values("pk"))


# --- Smart guidance (智能导办) ------------------------------------------------------


@dataclass
class GuidanceStep:
    """One answer given: the question asked and the option chosen."""

    question: GuideQuestion
    option: GuideOption


@dataclass
class GuidancePath:
    """Where a visitor stands in the guidance, rebuilt from the option ids of the URL.

    One of three states: ``questions`` holds the question(s) to answer next (all start
    questions at the beginning, otherwise the one the last answer leads to; each with its
    options in ``question.choices``); ``end`` is the last answer when it leads no further
    (show the recommendations); neither when no start question is configured.
    """

    steps: list[GuidanceStep] = field(default_factory=list)
    questions: list[GuideQuestion] = field(default_factory=list)
    end: GuideOption | None = None
    # Some answers of the URL did not fit the configured questions and were dropped.
    truncated: bool = False

    @property
    def option_ids(self) -> list[int]:
        return [step.option.pk for step in self.steps]


def guidance_path(option_ids: list[int]) -> GuidancePath:
    """Replay the chosen options from a start question; stop at the first one that does not fit.

    A fixed number of queries whatever the path length: the start questions, the chosen
    options, and the question(s) to answer next with their options.
    """
    path = GuidancePath()
    start_ids = list(
        GuideQuestion.objects.filter(is_start=True).order_by("sort_order", "id").values_list("pk", flat=True)
    )
    ids = option_ids[:MAX_GUIDE_ANSWERS]
    path.truncated = len(option_ids) > len(ids)
    chosen = {
        option.pk: option for option in GuideOption.objects.filter(pk__in=ids).select_related("question")
    }
    expected: set[int] = set(start_ids)
    for option_id in ids:
        option = chosen.get(option_id)
        if option is None or option.question_id not in expected:
            path.truncated = True
            break
        path.steps.append(GuidanceStep(question=option.question, option=option))
        if option.next_question_id is None:
            path.end = option
            path.truncated = path.truncated or len(path.steps) < len(ids)
            return path
        expected = {option.next_question_id}
    ask = [path.steps[-1].option.next_question_id] if path.steps else start_ids
    if ask:
        options = GuideOption.objects.order_by("sort_order", "id")
        questions = GuideQuestion.objects.filter(pk__in=ask).prefetch_related(
            Prefetch("options", queryset=options, to_attr="choices")
        )
        position = {question_id: index for index, question_id in enumerate(ask)}
        path.questions = sorted(questions, key=lambda question: position[question.pk])
    return path


def guidance_recommendations(path: GuidancePath) -> list[Matter]:
    """The published matters recommended along the path, in the order the answers gave them.

    Each carries its materials prefetched (for the combined material list) and its department.
    """
    if not path.steps:
        return []
    order = {option_id: position for position, option_id in enumerate(path.option_ids)}
    materials = MaterialRequirement.objects.order_by("sort_order", "id")
    through = GuideOption.matters.through
    links = list(
        through.objects.filter(guideoption_id__in=order, matter__status=codes.Status.PUBLISHED).values_list(
            "guideoption_id", "matter_id"
        )
    )
    if not links:
        return []
    matters = {
        matter.pk: matter
        for matter in Matter.objects.filter(pk__in={matter_id for _, matter_id in links})
        .select_related("department")
        .prefetch_related(Prefetch("materials", queryset=materials))
    }
    ranked = sorted(links, key=lambda link: (order[link[0]], matters[link[1]].name, link[1]))
    result: list[Matter] = []
    seen: set[int] = set()
    for _option_id, matter_id in ranked:
        if matter_id not in seen:
            seen.add(matter_id)
            result.append(matters[matter_id])
    return result


@dataclass
class CombinedMaterial:
    """One line of the combined material list: a material by name and the matters that need it."""

    name: str
    needs: list[tuple[Matter, MaterialRequirement]] = field(default_factory=list)

    @property
    def required_by_any(self) -> bool:
        return any(req.necessity == MaterialRequirement.Necessity.REQUIRED for _, req in self.needs)


def combined_materials(matters: list[Matter]) -> list[CombinedMaterial]:
    """The materials of several matters, de-duplicated by name, each with the matters that need it.

    Reads the prefetched materials of ``guidance_recommendations``: no query.
    """
    combined: dict[str, CombinedMaterial] = {}
    for matter in matters:
        for requirement in matter.materials.all():
            key = " ".join(requirement.name.split())
            entry = combined.setdefault(key, CombinedMaterial(name=key))
            entry.needs.append((matter, requirement))
    return list(combined.values())
