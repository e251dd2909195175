"""Loader of the demo catalogue of the Zhongshan hall (``matters/fixtures/demo/``).

The format is described in ``matters/fixtures/demo/README.md``. ``load_demo()`` reads the
frame (regions, departments, themes), every ``matters/*.yaml`` file, the search synonyms,
the smart-guidance paths and the notices, in one transaction.

Idempotent: every row is matched by its natural key (region code, department name or
USCC, theme slug, tag name, implementation code, synonym term, guide question text,
notice title) and written only when it differs; child rows (steps, materials, relations)
are replaced only when they differ. A second run therefore writes nothing and adds no
catalogue history. Every matter passes ``full_clean()`` and ``clean_steps()``, or the load
stops with the file and the matter's name.
"""

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.text import slugify
from pypinyin import lazy_pinyin
from simple_history.utils import bulk_create_with_history

from matters import codes
from matters.models import (
    Department,
    GuideOption,
    GuideQuestion,
    MaterialRequirement,
    Matter,
    MatterRelation,
    MatterStep,
    Region,
    Synonym,
    Tag,
    Theme,
)
from portal.models import Notice

logger = logging.getLogger(__name__)

DEMO_ROOT = Path(__file__).resolve().parent / "fixtures" / "demo"
CITY_REGION_CODE = "442000000000"
RESULT_SAMPLE_DIR = "matters/result_samples/demo"

# Keys of a matter entry that are not plain Matter fields.
MATTER_RELATED_KEYS = frozenset(
    {"steps", "materials", "relations", "themes", "tags", "co_departments", "region"}
)
# Matter fields the loader decides itself (status, publication, search columns, sample file).
MATTER_MANAGED_FIELDS = frozenset(
    {
        "id",
        "department",
        "region",
        "status",
        "published_at",
        "search_document",
        "search_vector",
        "updated_at",
        "result_sample",
    }
)
MATTER_FIELDS = frozenset(f.name for f in Matter._meta.concrete_fields) - MATTER_MANAGED_FIELDS
STEP_FIELDS = ("sort_order", "name", "description", "handler", "duration_days")
MATERIAL_FIELDS = tuple(
    f.name
    for f in MaterialRequirement._meta.concrete_fields
    if f.name not in {"id", "matter", "sample", "blank_form"}
)
RELATION_FIELDS = ("related_id", "kind", "note", "sort_order")


class DemoDataError(Exception):
    """A demo file is malformed or breaks a catalogue rule; the message names the file and the row."""


@dataclass
class LoadResult:
    """Counts of the rows the demo describes, and how many were written."""

    counts: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    reindexed: bool = False

    def note(self, kind: str, outcome: str) -> None:
        self.counts[kind] += 1
        if outcome == "created":
            self.created[kind] += 1
        elif outcome == "updated":
            self.updated[kind] += 1

    def summary(self) -> str:
        parts = []
        for kind, total in self.counts.items():
            written = self.created[kind] + self.updated[kind]
            detail = f" (+{self.created[kind]} new, {self.updated[kind]} updated)" if written else ""
            parts.append(f"{kind} {total}{detail}")
        return ", ".join(parts)


# --- Helpers ---------------------------------------------------------------------------


# The C parser (libyaml) is ten times faster; the pure-Python one is the fallback.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}  # noqa: S506 - safe loader


def _read(path: Path, key: str) -> list:
    if not path.exists():
        raise DemoDataError(f"{path}: file missing")
    try:
        document = _yaml(path)
    except yaml.YAMLError as e:
        raise DemoDataError(f"{path.name}: not valid YAML: {e}") from None
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise DemoDataError(f"{path.name}: expected a top-level list `{key}:`")
    return document[key]


def _text(value) -> str:
    """YAML block scalars end with a newline and empty keys read as None: normalise both."""
    if value is None:
        return ""
    return str(value).strip()


def _current(obj: models.Model, name: str):
    value = getattr(obj, name)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _assign(obj: models.Model, values: dict) -> bool:
    """Set the values that differ; tell whether anything changed."""
    changed = False
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.many_to_one:
            # Compare ids (no query), but assign the object so clean() finds it cached.
            differs = getattr(obj, model_field.attname) != (value.pk if value is not None else None)
        else:
            differs = _current(obj, name) != value
        if differs:
            setattr(obj, name, value)
            changed = True
    return changed


def _save(obj: models.Model, values: dict, *, where: str, exclude: Iterable[str] = ()) -> str:
    """Validate and save ``obj`` if new or changed by ``values``: "created", "updated" or "unchanged"."""
    is_new = obj.pk is None
    changed = _assign(obj, values)
    if not (is_new or changed):
        return "unchanged"
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as e:
        raise DemoDataError(f"{where}: {_messages(e)}") from None
    obj.save()
    return "created" if is_new else "updated"


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    return " ".join(error.messages)


def _code(value, *, where: str, name: str) -> str:
    """Codes must be quoted in YAML: an unquoted 000172001000 reads as an octal number."""
    if isinstance(value, str):
        return value.strip()
    raise DemoDataError(f'{where}: {name} must be a quoted string (e.g. "000172001000"), got {value!r}')


def pinyin_slug(text: str, *, max_length: int = 50) -> str:
    """An ASCII slug of a Chinese name, e.g. 出入境 → chu-ru-jing."""
    slug = slugify("-".join(lazy_pinyin(text)))
    return slug[:max_length].strip("-") or "tag"


# --- Frame: regions, departments, themes ------------------------------------------------


def load_regions(root: Path, result: LoadResult) -> dict[str, Region]:
    path = root / "regions.yaml"
    regions = {r.code: r for r in Region.objects.all()}
    for item in _read(path, "regions"):
        code = _code(item.get("code"), where=path.name, name="code")
        where = f"{path.name}: region {code}"
        parent = None
        if item.get("parent"):
            parent_code = _code(item["parent"], where=where, name="parent")
            parent = regions.get(parent_code)
            if parent is None:
                raise DemoDataError(f"{where}: parent {parent_code} must be listed before it")
        region = regions.get(code) or Region(code=code)
        values = {
            "name": _text(item.get("name")),
            "kind": item.get("kind"),
            "parent": parent,
            "valid_from": item.get("valid_from"),
            "valid_to": item.get("valid_to"),
        }
        result.note("regions", _save(region, values, where=where))
        regions[code] = region
    return regions


def load_departments(root: Path, result: LoadResult, regions: dict[str, Region]) -> dict[str, Department]:
    path = root / "departments.yaml"
    by_name = {d.name: d for d in Department.objects.all()}
    by_uscc = {d.uscc: d for d in by_name.values()}
    departments: dict[str, Department] = {}
    for position, item in enumerate(_read(path, "departments"), start=1):
        name = _text(item.get("name"))
        uscc = _code(item.get("uscc"), where=f"{path.name}: {name}", name="uscc")
        where = f"{path.name}: department {name}"
        if name in departments:
            raise DemoDataError(f"{where}: listed twice")
        region_code = _code(item.get("region", CITY_REGION_CODE), where=where, name="region")
        if region_code not in regions:
            raise DemoDataError(f"{where}: unknown region {region_code}")
        department = by_name.get(name) or by_uscc.get(uscc) or Department()
        values = {
            "name": name,
            "short_name": _text(item.get("short_name")),
            "uscc": uscc,
            "region": regions[region_code],
            "body_nature": str(item.get("body_nature", codes.BodyNature.STATUTORY)),
            "address": _text(item.get("address")),
            "phone": _text(item.get("phone")),
            "description": _text(item.get("description")),
            "sort_order": item.get("sort_order", position * 10),
            "is_active": item.get("is_active", True),
        }
        result.note("departments", _save(department, values, where=where))
        departments[name] = department
    return departments


def load_themes(root: Path, result: LoadResult) -> dict[str, Theme]:
    path = root / "themes.yaml"
    existing = {t.slug: t for t in Theme.objects.all()}
    themes: dict[str, Theme] = {}
    for position, item in enumerate(_read(path, "themes"), start=1):
        slug = _text(item.get("slug"))
        where = f"{path.name}: theme {slug}"
        if slug in themes:
            raise DemoDataError(f"{where}: listed twice")
        theme = existing.get(slug) or Theme(slug=slug)
        values = {
            "name": _text(item.get("name")),
            "audience": item.get("audience"),
            "description": _text(item.get("description")),
            "icon": _text(item.get("icon")),
            "sort_order": item.get("sort_order", position * 10),
        }
        result.note("themes", _save(theme, values, where=where))
        themes[slug] = theme
    return themes


@dataclass
class Frame:
    regions: dict[str, Region]
    departments: dict[str, Department]
    themes: dict[str, Theme]

    @property
    def city(self) -> Region:
        return self.regions[CITY_REGION_CODE]


def load_frame(*, root: Path | None = None, result: LoadResult | None = None) -> Frame:
    """Regions, departments and themes: what every other demo file refers to."""
    root = root or DEMO_ROOT
    result = result if result is not None else LoadResult()
    with transaction.atomic():
        regions = load_regions(root, result)
        if CITY_REGION_CODE not in regions:
            raise DemoDataError(f"regions.yaml: the city {CITY_REGION_CODE} is missing")
        return Frame(
            regions=regions,
            departments=load_departments(root, result, regions),
            themes=load_themes(root, result),
        )


# --- Tags ------------------------------------------------------------------------------


class TagBook:
    """Tags by name, created on first use with a unique pinyin slug."""

    def __init__(self, result: LoadResult):
        self.result = result
        self.by_name = {t.name: t for t in Tag.objects.all()}
        self.slugs = {t.slug for t in self.by_name.values()}
        self.used: set[str] = set()

    def get(self, name: str, *, where: str) -> Tag:
        name = _text(name)
        if not name:
            raise DemoDataError(f"{where}: empty tag name")
        tag = self.by_name.get(name)
        if tag is None:
            base = pinyin_slug(name, max_length=45)
            slug, n = base, 2
            while slug in self.slugs:
                slug, n = f"{base}-{n}", n + 1
            tag = Tag(name=name, slug=slug)
            try:
                # Name and slug are unique by construction: this book holds every existing tag.
                tag.full_clean(validate_unique=False)
            except ValidationError as e:
                raise DemoDataError(f"{where}: tag {name}: {_messages(e)}") from None
            tag.save()
            self.by_name[name] = tag
            self.slugs.add(slug)
            self.result.created["tags"] += 1
        if name not in self.used:
            self.used.add(name)
            self.result.counts["tags"] += 1
        return tag


# --- Result samples --------------------------------------------------------------------


def result_sample_svg(*, result_name: str, issuer: str, matter_name: str) -> str:
    """A mock certificate marked 样本: plain SVG, so no fonts or PDF libraries are needed to make it."""
    title_size = 34 if len(result_name) <= 10 else max(18, int(340 / len(result_name)))
    title = escape(result_name)
    issuer_text = escape(issuer)
    matter = escape(matter_name)
    # The value column is about 340px wide: shrink long matter names to fit it.
    matter_size = 18 if len(matter_name) <= 18 else max(10, int(340 / len(matter_name)))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="595" height="842" viewBox="0 0 595 842" role="img"
     aria-label="{title}（样本）">
  <title>{title}（样本）</title>
  <style>
    text {{ font-family: "Noto Serif CJK SC", "Source Han Serif SC", SimSun, serif; fill: #222; }}
    .label {{ font-size: 18px; }}
    .line {{ stroke: #999; stroke-width: 1; }}
  </style>
  <rect x="0" y="0" width="595" height="842" fill="#fffdf6"/>
  <rect x="24" y="24" width="547" height="794" fill="none" stroke="#b8860b" stroke-width="6"/>
  <rect x="36" y="36" width="523" height="770" fill="none" stroke="#b8860b" stroke-width="1.5"/>
  <text x="297.5" y="150" text-anchor="middle"
        style="font-size:{title_size}px;font-weight:bold">{title}</text>
  <text x="297.5" y="190" text-anchor="middle" class="label">编号：××××××××××××</text>
  <text x="80" y="280" class="label">持 证 人：××××××</text>
  <line x1="170" y1="288" x2="515" y2="288" class="line"/>
  <text x="80" y="340" class="label">证件号码：××××××××××××××××××</text>
  <line x1="170" y1="348" x2="515" y2="348" class="line"/>
  <text x="80" y="400" class="label">办理事项：</text>
  <text x="172" y="400" style="font-size:{matter_size}px">{matter}</text>
  <line x1="170" y1="408" x2="515" y2="408" class="line"/>
  <text x="80" y="460" class="label">有效期限：</text>
  <text x="172" y="460" style="font-size:15px">××××年××月××日至××××年××月××日</text>
  <line x1="170" y1="468" x2="515" y2="468" class="line"/>
  <text x="515" y="650" text-anchor="end" class="label">发证机关：{issuer_text}</text>
  <text x="515" y="690" text-anchor="end" class="label">××××年××月××日</text>
  <g transform="translate(430 630)" fill="none" stroke="#d40000" stroke-width="4" opacity="0.85">
    <circle r="70"/>
    <path id="stamp-arc" d="M -52 22 A 56 56 0 1 1 52 22" stroke="none"/>
    <text style="font-size:14px;fill:#d40000;letter-spacing:1px" stroke="none">
      <textPath href="#stamp-arc" startOffset="50%" text-anchor="middle">{issuer_text}</textPath>
    </text>
    <polygon points="0,-22 6.5,-7 22,-7 9.5,3 14,19 0,9 -14,19 -9.5,3 -22,-7 -6.5,-7"
             fill="#d40000" stroke="none"/>
    <text y="48" text-anchor="middle" style="font-size:16px;fill:#d40000" stroke="none">样本专用章</text>
  </g>
  <text x="297.5" y="520" text-anchor="middle" transform="rotate(-30 297.5 520)"
        style="font-size:150px;font-weight:bold;fill:#d40000;fill-opacity:0.18">样本</text>
  <text x="297.5" y="780" text-anchor="middle" style="font-size:13px;fill:#666">
    本样本仅供办事人参考，不具有法律效力。
  </text>
</svg>
"""


def ensure_result_sample(matter: Matter) -> str:
    """Write the matter's sample file when missing or different, and return its storage name.

    The name is fixed per implementation code, so a re-run reuses the same file.
    """
    storage = Matter._meta.get_field("result_sample").storage
    name = f"{RESULT_SAMPLE_DIR}/{matter.implementation_code}.svg"
    content = result_sample_svg(
        result_name=matter.result_name, issuer=matter.department.name, matter_name=matter.name
    ).encode("utf-8")
    if storage.exists(name):
        with storage.open(name, "rb") as existing:
            if existing.read() == content:
                return name
        storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    return saved


# --- Matters ---------------------------------------------------------------------------


@dataclass
class MatterSpec:
    """One matter entry of a file, checked and normalised but not yet saved."""

    path: Path
    department: Department
    name: str
    values: dict
    region_code: str
    steps: list[dict]
    materials: list[dict]
    relations: list[dict]
    themes: list[str]
    tags: list[str]
    co_departments: list[str]
    matter: Matter | None = None

    @property
    def where(self) -> str:
        return f"{self.path.name}: {self.name}"


def _list(value, *, where: str, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DemoDataError(f"{where}: {name} must be a list")
    return value


def _parse_matter(path: Path, department: Department, raw) -> MatterSpec:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise DemoDataError(f"{path.name}: every matter needs a name (got {raw!r:.80})")
    name = _text(raw["name"])
    where = f"{path.name}: {name}"
    unknown = set(raw) - MATTER_FIELDS - MATTER_RELATED_KEYS
    if unknown:
        raise DemoDataError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    values = {key: raw[key] for key in raw if key in MATTER_FIELDS}
    values["name"] = name
    values["basic_code"] = _code(raw.get("basic_code"), where=where, name="basic_code")
    values["level"] = str(raw.get("level", codes.Level.CITY))
    for key in ("matter_type", "case_type"):
        if key in values:
            values[key] = _code(values[key], where=where, name=key)
    for key in ("service_objects", "handling_forms"):
        # A list of codes: [1, 2] and ["1", "2"] mean the same.
        values[key] = [str(code) for code in _list(raw.get(key), where=where, name=key)]
    for f in Matter._meta.concrete_fields:
        if isinstance(f, models.CharField | models.TextField) and f.name in values and f.name != "name":
            values[f.name] = _text(values[f.name]) if values[f.name] is not None else ""
    # Rule 1 of the catalogue checkers decides case and review type when the file is silent.
    promised = values.get("promised_limit_days")
    immediate = promised == 0
    values.setdefault("case_type", codes.CaseType.IMMEDIATE if immediate else codes.CaseType.PROMISED)
    values.setdefault(
        "review_type", codes.ReviewType.IMMEDIATE if immediate else codes.ReviewType.REVIEW_THEN_APPROVE
    )
    values.setdefault(
        "implementation_code",
        codes.build_implementation_code(department.uscc, values["level"], values["basic_code"]),
    )
    return MatterSpec(
        path=path,
        department=department,
        name=name,
        values=values,
        region_code=_code(raw.get("region", CITY_REGION_CODE), where=where, name="region"),
        steps=_list(raw.get("steps"), where=where, name="steps"),
        materials=_list(raw.get("materials"), where=where, name="materials"),
        relations=_list(raw.get("relations"), where=where, name="relations"),
        themes=[_text(s) for s in _list(raw.get("themes"), where=where, name="themes")],
        tags=[_text(t) for t in _list(raw.get("tags"), where=where, name="tags")],
        co_departments=[
            _text(d) for d in _list(raw.get("co_departments"), where=where, name="co_departments")
        ],
    )


def read_matter_specs(root: Path, departments: dict[str, Department]) -> list[MatterSpec]:
    specs: list[MatterSpec] = []
    seen_names: dict[str, str] = {}
    seen_codes: dict[str, str] = {}
    for path in sorted((root / "matters").glob("*.yaml")):
        try:
            document = _yaml(path)
        except yaml.YAMLError as e:
            raise DemoDataError(f"{path.name}: not valid YAML: {e}") from None
        if not isinstance(document, dict):
            raise DemoDataError(f"{path.name}: expected `department:` and `matters:`")
        department_name = _text(document.get("department"))
        department = departments.get(department_name)
        if department is None:
            raise DemoDataError(f"{path.name}: unknown department {department_name!r} (see departments.yaml)")
        for raw in _list(document.get("matters"), where=path.name, name="matters"):
            spec = _parse_matter(path, department, raw)
            if spec.name in seen_names:
                raise DemoDataError(f"{spec.where}: the name is already used in {seen_names[spec.name]}")
            code = spec.values["implementation_code"]
            if code in seen_codes:
                raise DemoDataError(
                    f"{spec.where}: implementation code {code} already used by {seen_codes[code]}"
                )
            seen_names[spec.name] = path.name
            seen_codes[code] = spec.where
            specs.append(spec)
    return specs


def _build_children(spec: MatterSpec, matter: Matter) -> tuple[list[MatterStep], list[MaterialRequirement]]:
    steps = []
    for position, raw in enumerate(spec.steps, start=1):
        unknown = set(raw) - set(STEP_FIELDS)
        if unknown:
            raise DemoDataError(f"{spec.where}: step {position}: unknown keys {', '.join(sorted(unknown))}")
        values = {key: _text(value) if isinstance(value, str) else value for key, value in raw.items()}
        values.setdefault("sort_order", position)
        for key in ("description", "handler"):
            values[key] = _text(values.get(key))
        steps.append(MatterStep(matter=matter, **values))
    materials = []
    for position, raw in enumerate(spec.materials, start=1):
        unknown = set(raw) - set(MATERIAL_FIELDS)
        if unknown:
            raise DemoDataError(
                f"{spec.where}: material {position}: unknown keys {', '.join(sorted(unknown))}"
            )
        values = dict(raw)
        values.setdefault("sort_order", position)
        for f in MaterialRequirement._meta.concrete_fields:
            if isinstance(f, models.CharField | models.TextField) and f.name in values:
                values[f.name] = _text(values[f.name])
        materials.append(MaterialRequirement(matter=matter, **values))
    for kind, rows in (("step", steps), ("material", materials)):
        for row in rows:
            try:
                row.full_clean(exclude=["matter"])
            except ValidationError as e:
                raise DemoDataError(f"{spec.where}: {kind} {row.name}: {_messages(e)}") from None
    try:
        matter.clean_steps(steps)
    except ValidationError as e:
        raise DemoDataError(f"{spec.where}: {_messages(e)}") from None
    return steps, materials


def _rows(objects: Iterable[models.Model], fields: tuple[str, ...]) -> list[tuple]:
    return [tuple(getattr(o, f) for f in fields) for o in objects]


def _grouped(queryset, fields: tuple[str, ...]) -> dict[int, list[tuple]]:
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in queryset.order_by("matter_id", "sort_order", "id").values_list("matter_id", *fields):
        grouped[row[0]].append(tuple(row[1:]))
    return grouped


def _m2m(through, column: str, matter_ids: list[int]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = defaultdict(set)
    for matter_id, other_id in through.objects.filter(matter_id__in=matter_ids).values_list(
        "matter_id", column
    ):
        grouped[matter_id].add(other_id)
    return grouped


M2M_LINKS = {
    "themes": (Matter.themes.through, "theme_id"),
    "tags": (Matter.tags.through, "tag_id"),
    "co_departments": (Matter.co_departments.through, "department_id"),
}


def _record_creation(matters: list[Matter], *, now: datetime.datetime) -> None:
    """One creation record per new matter, with the snapshot of its tracked links (themes, tags).

    The same rows simple-history writes on save, in a few INSERTs instead of several per matter.
    """
    if not matters:
        return
    history_model = Matter.history.model
    records = Matter.history.bulk_history_create(matters, default_date=now, batch_size=500)
    record_of = {record.id: record for record in records}
    for m2m_field in history_model._history_m2m_fields:
        snapshot_model = apps.get_model(
            history_model._meta.app_label, f"{history_model.__name__}_{m2m_field.name}"
        )
        through = m2m_field.remote_field.through
        column = m2m_field.m2m_reverse_name()
        rows = [
            snapshot_model(
                history=record_of[matter_id], matter_id=matter_id, id=link_id, **{column: other_id}
            )
            for link_id, matter_id, other_id in through.objects.filter(matter_id__in=record_of).values_list(
                "id", "matter_id", column
            )
        ]
        snapshot_model.objects.bulk_create(rows, batch_size=500)


def load_matters(
    root: Path, result: LoadResult, frame: Frame, tags: TagBook, *, now: datetime.datetime
) -> dict[str, Matter]:
    specs = read_matter_specs(root, frame.departments)
    existing = {
        m.implementation_code: m
        for m in Matter.objects.filter(
            implementation_code__in=[s.values["implementation_code"] for s in specs]
        )
    }
    existing_ids = [m.pk for m in existing.values()]
    old_steps = _grouped(MatterStep.objects.filter(matter_id__in=existing_ids), STEP_FIELDS)
    old_materials = _grouped(MaterialRequirement.objects.filter(matter_id__in=existing_ids), MATERIAL_FIELDS)
    old_themes = _m2m(Matter.themes.through, "theme_id", existing_ids)
    old_tags = _m2m(Matter.tags.through, "tag_id", existing_ids)
    old_co = _m2m(Matter.co_departments.through, "department_id", existing_ids)

    created: list[Matter] = []
    links: dict[str, list] = defaultdict(list)
    replace_children: list[int] = []
    new_steps: list[MatterStep] = []
    new_materials: list[MaterialRequirement] = []
    matters: dict[str, Matter] = {}
    for spec in specs:
        region = frame.regions.get(spec.region_code)
        if region is None:
            raise DemoDataError(f"{spec.where}: unknown region {spec.region_code}")
        theme_ids = set()
        for slug in spec.themes:
            if slug not in frame.themes:
                raise DemoDataError(f"{spec.where}: unknown theme {slug!r} (see themes.yaml)")
            theme_ids.add(frame.themes[slug].pk)
        co_ids = set()
        for name in spec.co_departments:
            if name not in frame.departments:
                raise DemoDataError(f"{spec.where}: unknown co-department {name!r}")
            co_ids.add(frame.departments[name].pk)
        tag_ids = {tags.get(name, where=spec.where).pk for name in spec.tags}

        matter = existing.get(spec.values["implementation_code"]) or Matter()
        is_new = matter.pk is None
        changed = matter.department_id != spec.department.pk or matter.region_id != region.pk
        # Department and region objects are assigned (not ids) so clean() needs no query.
        matter.department = spec.department
        matter.region = region
        values = dict(spec.values)
        values["status"] = codes.Status.PUBLISHED
        values["published_at"] = matter.published_at or now
        values.setdefault("popularity", 0)
        changed |= _assign(matter, values)
        sample = ensure_result_sample(matter) if matter.result_name else ""
        changed |= _assign(matter, {"result_sample": sample})
        try:
            matter.full_clean()
        except ValidationError as e:
            raise DemoDataError(f"{spec.where}: {_messages(e)}") from None
        steps, materials = _build_children(spec, matter)
        if is_new:
            # History is written in bulk below, once the links exist, so it snapshots them.
            matter.skip_history_when_saving = True
            matter.save()
            del matter.skip_history_when_saving
            created.append(matter)
        elif changed:
            matter.save()
        result.note("matters", "created" if is_new else ("updated" if changed else "unchanged"))

        if (
            is_new
            or _rows(steps, STEP_FIELDS) != old_steps.get(matter.pk, [])
            or _rows(materials, MATERIAL_FIELDS) != old_materials.get(matter.pk, [])
        ):
            if not is_new:
                replace_children.append(matter.pk)
            new_steps.extend(steps)
            new_materials.extend(materials)
        for field_name, wanted, old in (
            ("themes", theme_ids, old_themes),
            ("tags", tag_ids, old_tags),
            ("co_departments", co_ids, old_co),
        ):
            if is_new:
                through, column = M2M_LINKS[field_name]
                links[field_name].extend(
                    through(matter_id=matter.pk, **{column: pk}) for pk in sorted(wanted)
                )
            elif wanted != old.get(matter.pk, set()):
                getattr(matter, field_name).set(wanted)
        matters[spec.name] = matter

    for field_name, rows in links.items():
        M2M_LINKS[field_name][0].objects.bulk_create(rows, batch_size=500)
    _record_creation(created, now=now)

    if replace_children:
        MatterStep.objects.filter(matter_id__in=replace_children).delete()
        MaterialRequirement.objects.filter(matter_id__in=replace_children).delete()
    for row in (*new_steps, *new_materials):
        row.matter_id = row.matter.pk
    bulk_create_with_history(new_steps, MatterStep, batch_size=500)
    bulk_create_with_history(new_materials, MaterialRequirement, batch_size=500)
    result.counts["steps"] += sum(len(s.steps) for s in specs)
    result.counts["materials"] += sum(len(s.materials) for s in specs)

    load_relations(specs, matters, result)
    return matters


def load_relations(specs: list[MatterSpec], matters: dict[str, Matter], result: LoadResult) -> None:
    """Relations name other matters, so they are resolved once every matter exists."""
    ids = [m.pk for m in matters.values()]
    old = _grouped(MatterRelation.objects.filter(matter_id__in=ids), RELATION_FIELDS)
    replace: list[int] = []
    new_rows: list[MatterRelation] = []
    for spec in specs:
        matter = matters[spec.name]
        rows: list[MatterRelation] = []
        seen: set[tuple[int, str]] = set()
        for position, raw in enumerate(spec.relations, start=1):
            unknown = set(raw) - {"kind", "name", "note", "sort_order"}
            if unknown:
                raise DemoDataError(
                    f"{spec.where}: relation {position}: unknown keys {', '.join(sorted(unknown))}"
                )
            name = _text(raw.get("name"))
            related = matters.get(name)
            if related is None:
                raise DemoDataError(f"{spec.where}: related matter {name!r} is not in the demo catalogue")
            if related.pk == matter.pk:
                raise DemoDataError(f"{spec.where}: a matter cannot be related to itself")
            kind = raw.get("kind")
            if kind not in codes.RelationKind.values:
                kinds = ", ".join(codes.RelationKind.values)
                raise DemoDataError(f"{spec.where}: relation kind {kind!r} must be one of {kinds}")
            if (related.pk, kind) in seen:
                raise DemoDataError(f"{spec.where}: relation to {name} ({kind}) listed twice")
            seen.add((related.pk, kind))
            rows.append(
                MatterRelation(
                    matter=matter,
                    related=related,
                    kind=kind,
                    note=_text(raw.get("note")),
                    sort_order=raw.get("sort_order", position),
                )
            )
        result.counts["relations"] += len(rows)
        if _rows(rows, RELATION_FIELDS) != old.get(matter.pk, []):
            if matter.pk in old:
                replace.append(matter.pk)
            new_rows.extend(rows)
    if replace:
        MatterRelation.objects.filter(matter_id__in=replace).delete()
    bulk_create_with_history(new_rows, MatterRelation, batch_size=500)


# --- Synonyms, smart guidance, notices -------------------------------------------------


def load_synonyms(root: Path, result: LoadResult) -> None:
    path = root / "search.yaml"
    existing = {s.term: s for s in Synonym.objects.all()}
    seen: set[str] = set()
    for item in _read(path, "synonyms"):
        term = _text(item.get("term"))
        where = f"{path.name}: synonym {term}"
        if term in seen:
            raise DemoDataError(f"{where}: listed twice")
        seen.add(term)
        expansion = item.get("expansion")
        if isinstance(expansion, list):
            expansion = " ".join(_text(e) for e in expansion)
        synonym = existing.get(term) or Synonym(term=term)
        result.note("synonyms", _save(synonym, {"expansion": _text(expansion)}, where=where))


def load_guide(root: Path, result: LoadResult, matters: dict[str, Matter]) -> None:
    """Questions are matched by their text (unique in guide.yaml), options by their label."""
    path = root / "guide.yaml"
    items = _read(path, "questions")
    keys: dict[str, dict] = {}
    texts: set[str] = set()
    for item in items:
        key, text = _text(item.get("key")), _text(item.get("text"))
        if not key or not text:
            raise DemoDataError(f"{path.name}: every question needs a key and a text ({item!r:.80})")
        if key in keys or text in texts:
            raise DemoDataError(f"{path.name}: question {key} ({text}) listed twice")
        keys[key] = item
        texts.add(text)
    if sum(bool(item.get("start")) for item in items) != 1:
        raise DemoDataError(f"{path.name}: exactly one question must have `start: true`")

    existing: dict[str, GuideQuestion] = {}
    for question in GuideQuestion.objects.filter(text__in=texts).order_by("id"):
        existing.setdefault(question.text, question)
    questions: dict[str, GuideQuestion] = {}
    for position, item in enumerate(items, start=1):
        key = _text(item["key"])
        question = existing.get(_text(item["text"])) or GuideQuestion(text=_text(item["text"]))
        values = {
            "help_text": _text(item.get("help_text")),
            "is_start": bool(item.get("start")),
            "sort_order": position * 10,
        }
        result.note("guide questions", _save(question, values, where=f"{path.name}: question {key}"))
        questions[key] = question
    # Only one start question: the demo's.
    GuideQuestion.objects.filter(is_start=True).exclude(pk=questions[_start_key(items)].pk).update(
        is_start=False
    )

    for item in items:
        question = questions[_text(item["key"])]
        old = {o.label: o for o in question.options.all()}
        old_matters = _guide_option_matters(old.values())
        labels: set[str] = set()
        for position, raw in enumerate(_list(item.get("options"), where=path.name, name="options"), start=1):
            label = _text(raw.get("label"))
            where = f"{path.name}: {item['key']} → {label}"
            if not label or label in labels:
                raise DemoDataError(f"{where}: every option needs a label, once")
            labels.add(label)
            next_key = _text(raw.get("next"))
            names = [_text(n) for n in _list(raw.get("matters"), where=where, name="matters")]
            if next_key and next_key not in questions:
                raise DemoDataError(f"{where}: unknown next question {next_key!r}")
            if not next_key and not names:
                raise DemoDataError(f"{where}: an option leads to a next question or recommends matters")
            wanted = []
            for name in names:
                if name not in matters:
                    raise DemoDataError(f"{where}: recommended matter {name!r} is not in the demo catalogue")
                wanted.append(matters[name].pk)
            option = old.get(label) or GuideOption(question=question, label=label)
            values = {
                "sort_order": position * 10,
                "next_question": questions[next_key] if next_key else None,
                "conclusion": _text(raw.get("conclusion")),
            }
            result.note("guide options", _save(option, values, where=where))
            if set(wanted) != old_matters.get(option.pk, set()):
                option.matters.set(wanted)
        stale = [o.pk for label, o in old.items() if label not in labels]
        if stale:
            GuideOption.objects.filter(pk__in=stale).delete()


def _start_key(items: list[dict]) -> str:
    return next(_text(item["key"]) for item in items if item.get("start"))


def _guide_option_matters(options: Iterable[GuideOption]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = defaultdict(set)
    through = GuideOption.matters.through
    rows = through.objects.filter(guideoption_id__in=[o.pk for o in options])
    for option_id, matter_id in rows.values_list("guideoption_id", "matter_id"):
        grouped[option_id].add(matter_id)
    return grouped


def _aware(value, *, where: str) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time(9, 0))
    else:
        raise DemoDataError(f"{where}: published_at must be a date or a date and time")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def load_notices(root: Path, result: LoadResult) -> None:
    path = root / "notices.yaml"
    existing = {n.title: n for n in Notice.objects.all()}
    for item in _read(path, "notices"):
        title = _text(item.get("title"))
        where = f"{path.name}: notice {title}"
        notice = existing.get(title) or Notice(title=title)
        values = {
            "body": _text(item.get("body")),
            "pinned": bool(item.get("pinned", False)),
            "published_at": _aware(item.get("published_at"), where=where),
        }
        result.note("notices", _save(notice, values, where=where))


# --- Entry points ----------------------------------------------------------------------


def _deferred_reindex():
    """Signals reindex a matter on every save; inside this block search collects them for one pass."""
    from matters import search

    deferred = getattr(search, "deferred_reindex", None)
    return deferred() if deferred is not None else nullcontext()


def reindex(pks: Iterable[int]) -> bool:
    """Rebuild the search columns of these matters with matters.search, when it provides the hooks.

    Inside ``_deferred_reindex()`` the request joins the pending set, so each matter is indexed once.
    """
    from matters import search

    pks = list(pks)
    request_reindex = getattr(search, "request_reindex", None)
    if request_reindex is not None:
        request_reindex(pks)
        return True
    reindex_queryset = getattr(search, "reindex_queryset", None)
    if reindex_queryset is not None:
        reindex_queryset(Matter.objects.filter(pk__in=pks))
        return True
    logger.warning("matters.search.reindex_queryset is missing: search columns not rebuilt")
    return False


def load_demo(*, root: Path | None = None, reindex_search: bool = True) -> LoadResult:
    """Load (or refresh) the whole demo catalogue in one transaction."""
    root = root or DEMO_ROOT
    result = LoadResult()
    now = timezone.now()
    with transaction.atomic(), _deferred_reindex():
        frame = load_frame(root=root, result=result)
        matters = load_matters(root, result, frame, TagBook(result), now=now)
        load_synonyms(root, result)
        load_guide(root, result, matters)
        load_notices(root, result)
        if reindex_search:
            # Every demo matter, not only the changed ones: the index may predate this code.
            result.reindexed = reindex(m.pk for m in matters.values())
    return result
