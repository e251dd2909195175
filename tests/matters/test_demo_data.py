"""The demo catalogue of the Zhongshan hall: what it holds, and how the loader treats bad files."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from matters import codes, demo
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
from portal.validators import validate_uscc

pytestmark = pytest.mark.django_db

COUNTED = [
    Region,
    Department,
    Theme,
    Tag,
    Matter,
    MatterStep,
    MaterialRequirement,
    MatterRelation,
    Synonym,
    GuideQuestion,
    GuideOption,
    Notice,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def sample_files(media_root: Path) -> list[Path]:
    folder = media_root / demo.RESULT_SAMPLE_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


# --- The real demo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo, loaded once for this module and rolled back at its end."""
    media_root = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        result = demo.load_demo()
        result.media_root = media_root
        yield result
        transaction.set_rollback(True)


def test_the_demo_has_at_least_25_departments(loaded):
    assert Department.objects.count() >= 25


def test_the_demo_has_at_least_150_matters(loaded):
    assert Matter.objects.count() >= 150


def test_the_demo_serves_citizens_enterprises_and_both(loaded):
    audiences = set(Matter.objects.values_list("audience", flat=True))
    assert audiences == set(codes.Audience.values)


def test_the_demo_covers_every_applicant_initiated_matter_type(loaded):
    types = set(Matter.objects.values_list("matter_type", flat=True))
    assert set(codes.APPLICANT_INITIATED_TYPES) <= types


def test_the_demo_has_12_life_events_and_6_enterprise_stages(loaded):
    assert Theme.objects.filter(audience=Theme.Audience.CITIZEN).count() >= 12
    assert Theme.objects.filter(audience=Theme.Audience.ENTERPRISE).count() >= 6


def test_at_least_12_life_events_and_6_enterprise_stages_have_matters(loaded):
    with_matters = Theme.objects.filter(matters__isnull=False).distinct()
    assert with_matters.filter(audience=Theme.Audience.CITIZEN).count() >= 12
    assert with_matters.filter(audience=Theme.Audience.ENTERPRISE).count() >= 6


def test_every_department_uscc_is_well_formed(loaded):
    for department in Department.objects.all():
        validate_uscc(department.uscc)


def test_every_implementation_code_is_the_department_uscc_level_and_basic_code(loaded):
    for matter in Matter.objects.select_related("department"):
        codes.validate_implementation_code(matter.implementation_code)
        assert matter.implementation_code == codes.build_implementation_code(
            matter.department.uscc, matter.level, matter.basic_code
        )


def test_every_matter_passes_the_catalogue_rules(loaded):
    failures = []
    for matter in Matter.objects.select_related("department", "region").prefetch_related("steps"):
        try:
            matter.full_clean()
            matter.clean_steps(matter.steps.all())
        except ValidationError as e:
            failures.append(f"{matter.name}: {e.messages}")
    assert failures == []


def test_every_matter_has_steps_and_materials(loaded):
    assert not Matter.objects.filter(steps__isnull=True).exists()
    assert not Matter.objects.filter(materials__isnull=True).exists()


def test_every_demo_matter_is_published(loaded):
    assert not Matter.objects.exclude(status=codes.Status.PUBLISHED).exists()
    assert not Matter.objects.filter(published_at__isnull=True).exists()


def test_every_result_name_comes_with_a_sample_marked_as_such(loaded):
    with_result = Matter.objects.exclude(result_name="")
    assert with_result.exists()
    for matter in with_result:
        svg = (loaded.media_root / matter.result_sample.name).read_text(encoding="utf-8")
        assert matter.result_name in svg
        assert "样本" in svg


def test_the_anchor_matters_are_in_the_catalogue(loaded):
    anchors = {
        "居民身份证换领",
        "往来港澳通行证签注",
        "出生登记",
        "生育登记",
        "出生医学证明签发",
        "结婚登记",
        "社会保障卡申领",
        "住房公积金提取（购买自住住房）",
        "住房公积金提取（租赁住房）",
        "个体工商户设立登记",
        "企业设立登记",
        "食品经营许可",
        "建设工程规划许可证核发",
        "建筑工程施工许可证核发",
        "失业保险金申领",
        "最低生活保障审批",
        "残疾人证办理",
        "异地就医备案",
        "退休申请",
        "机动车驾驶证换证",
        "企业注销登记",
        "发票领用",
        "排污许可证核发",
        "对外贸易经营者备案登记",
        "高新技术企业认定",
    }
    assert anchors <= set(Matter.objects.values_list("name", flat=True))


def test_matters_are_related_to_each_other(loaded):
    kinds = set(MatterRelation.objects.values_list("kind", flat=True))
    assert kinds == set(codes.RelationKind.values)


def test_loading_twice_gives_the_same_counts_and_no_duplicate_files(loaded, settings):
    settings.MEDIA_ROOT = loaded.media_root
    before, files_before = counts(), sample_files(loaded.media_root)

    again = demo.load_demo()

    assert counts() == before
    assert sample_files(loaded.media_root) == files_before
    assert sum(again.created.values()) + sum(again.updated.values()) == 0


def test_the_synonym_table_knows_what_people_type(loaded):
    assert Synonym.objects.count() >= 30
    assert "食品经营许可" in Synonym.objects.get(term="开饭店").expansion
    assert "往来港澳通行证签注" in Synonym.objects.get(term="港澳通行证续签").expansion


def test_smart_guidance_starts_by_asking_who_you_are(loaded):
    start = GuideQuestion.objects.get(is_start=True)
    assert start.text == "您是？"
    assert set(start.options.values_list("label", flat=True)) == {"个人", "企业"}


def test_every_guidance_path_ends_at_published_matters(loaded):
    ends = GuideOption.objects.filter(next_question__isnull=True)
    assert ends.exists()
    for option in ends:
        assert option.matters.published().exists(), option.label
        assert option.conclusion


def test_the_home_page_notices_are_published(loaded):
    assert Notice.objects.published().count() == 5
