"""Chinese full-text search of the catalogue: what a citizen typing into /search/ finds, in order.

Runs on SQLite and on PostgreSQL alike (the two implementations must agree).
"""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.paginator import Paginator

from matters import codes, search
from matters.models import Matter, Synonym
from matters.selectors import published_matters
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_synonyms():
    search.clear_synonym_cache()
    yield
    search.clear_synonym_cache()


def names(query: str) -> list[str]:
    return [m.name for m in search.search(published_matters(), query)]


@pytest.fixture
def catalogue(db):
    """A small catalogue around 身份证, 公积金 and 食品经营."""
    id_card = factories.MatterFactory(name="居民身份证换领", popularity=10)
    factories.MatterFactory(name="居民身份证挂失申报", popularity=5)
    factories.MatterFactory(name="住房公积金提取", popularity=8)
    factories.MatterFactory(name="食品经营许可证核发", popularity=7)
    factories.MatterFactory(name="结婚登记", popularity=20)
    mentions = factories.MatterFactory(
        name="往来港澳通行证签注",
        popularity=1000,
        acceptance_conditions="申请人持有效居民身份证和往来港澳通行证。",
    )
    factories.MaterialRequirementFactory(matter=mentions, name="居民身份证原件")
    return id_card


def test_an_exact_name_comes_first(catalogue):
    factories.MatterFactory(name="居民身份证换领（加急）", popularity=999)

    assert names("居民身份证换领")[0] == "居民身份证换领"


def test_a_word_of_the_name_finds_the_matter(catalogue):
    assert "居民身份证换领" in names("身份证")
    assert "住房公积金提取" in names("公积金")


def test_a_piece_of_a_name_that_is_no_word_still_finds_it(catalogue):
    assert names("份证换") == ["居民身份证换领"]


def test_pinyin_initials_find_every_matter_named_after_it(catalogue):
    found = names("sfz")

    assert set(found) == {"居民身份证换领", "居民身份证挂失申报"}


def test_full_pinyin_finds_the_matter(catalogue):
    assert set(names("shenfenzheng")) == {"居民身份证换领", "居民身份证挂失申报"}


def test_pinyin_prefixes_and_spaced_pinyin_find_the_matter(catalogue):
    assert "住房公积金提取" in names("gongji")
    assert "住房公积金提取" in names("gong ji jin")
    assert "住房公积金提取" in names("GJJ")


def test_a_synonym_finds_the_catalogue_name(catalogue):
    Synonym.objects.create(term="开饭店", expansion="食品经营许可 餐饮服务")

    assert names("开饭店") == ["食品经营许可证核发"]
    assert names("我要开饭店") == ["食品经营许可证核发"]


def test_words_separated_by_a_space_must_all_match(catalogue):
    assert names("公积金 提取") == ["住房公积金提取"]
    assert names("公积金 结婚") == []


def test_question_words_around_the_subject_are_ignored(catalogue):
    assert "居民身份证换领" in names("怎么办身份证")


def test_name_matches_rank_above_matters_that_only_mention_the_word(catalogue):
    found = names("身份证")

    # 往来港澳通行证签注 is by far the most popular but only mentions 身份证 in its guide.
    assert found[-1] == "往来港澳通行证签注"
    assert set(found[:2]) == {"居民身份证换领", "居民身份证挂失申报"}


def test_more_popular_matters_come_first_among_equal_name_matches(catalogue):
    assert names("居民身份证") == ["居民身份证换领", "居民身份证挂失申报", "往来港澳通行证签注"]


def test_material_names_are_searchable(db):
    matter = factories.MatterFactory(name="建设工程规划许可证核发")
    factories.MaterialRequirementFactory(matter=matter, name="建设用地规划许可证")
    factories.MatterFactory(name="其他事项")

    assert names("建设用地") == ["建设工程规划许可证核发"]


def test_guide_text_is_searchable(db):
    factories.MatterFactory(name="某事项", acceptance_conditions="申请人为本市户籍的残疾人。")

    assert names("残疾人") == ["某事项"]


def test_tags_and_themes_are_searchable(db):
    matter = factories.MatterFactory(name="某事项")
    matter.tags.add(factories.TagFactory(name="出入境"))
    matter.themes.add(factories.ThemeFactory(name="生育收养"))

    assert names("出入境") == ["某事项"]
    assert names("生育") == ["某事项"]


def test_unpublished_matters_never_appear(db):
    factories.MatterFactory(name="居民身份证换领")
    factories.MatterFactory(name="居民身份证补领", status=codes.Status.DRAFT)
    factories.MatterFactory(name="临时居民身份证申领", status=codes.Status.WITHDRAWN)

    assert names("身份证") == ["居民身份证换领"]
    assert names("sfz") == ["居民身份证换领"]


@pytest.mark.parametrize(
    "query",
    [
        "&|!:*()'",
        "身份证 & | ! :* ( ) '",
        "'; DROP TABLE matters_matter; --",
        "\\",
        "%_%",
        "a:*b",
        "sfz'A",
        "：“”【】《》",
        "😀 身份证",
        "身份证" * 1000,
        "x" * 5000,
        "<script>alert(1)</script>",
        "\x00",
        "身份证\x00换领",
        "\t身份证\n",
    ],
)
def test_special_characters_and_long_input_never_error(catalogue, query):
    results = search.search(published_matters(), query)

    assert isinstance(list(results), list)


def test_only_punctuation_finds_nothing(catalogue):
    assert names("！？。，") == []


def test_an_empty_query_returns_the_queryset_unchanged(catalogue):
    queryset = published_matters()

    assert search.search(queryset, "") is queryset
    assert search.search(queryset, "   ") is queryset


def test_results_page_like_any_queryset_without_a_query_per_row(catalogue, django_assert_num_queries):
    page = Paginator(search.search(published_matters(), "身份证"), 2).page(1)

    with django_assert_num_queries(1):
        rows = [(m.name, m.department.name) for m in page.object_list]
    assert len(rows) == 2
    assert page.paginator.count == 3


def test_saving_a_matter_reindexes_it(catalogue):
    catalogue.name = "居民身份证到期换领"
    catalogue.save()

    assert names("到期") == ["居民身份证到期换领"]


def test_saving_only_popularity_does_not_reindex(catalogue, monkeypatch):
    calls = []
    monkeypatch.setattr(search, "reindex_queryset", lambda *args, **kwargs: calls.append(args))

    catalogue.popularity = 11
    catalogue.save(update_fields=["popularity"])

    assert calls == []


def test_adding_editing_and_deleting_a_material_reindexes_its_matter(catalogue):
    material = factories.MaterialRequirementFactory(matter=catalogue, name="近期免冠照片")
    assert names("免冠照片") == ["居民身份证换领"]

    material.name = "户口簿"
    material.save()
    assert names("免冠照片") == []
    assert names("户口簿") == ["居民身份证换领"]

    material.delete()
    assert names("户口簿") == []


def test_tag_changes_reindex_the_matter(catalogue):
    tag = factories.TagFactory(name="证件办理")

    catalogue.tags.add(tag)
    assert names("证件办理") == ["居民身份证换领"]

    tag.name = "户政业务"
    tag.save()
    assert names("户政业务") == ["居民身份证换领"]

    catalogue.tags.remove(tag)
    assert names("户政业务") == []

    catalogue.tags.set([tag])
    catalogue.tags.clear()
    assert names("户政业务") == []


def test_deleting_a_theme_reindexes_its_matters(catalogue):
    theme = factories.ThemeFactory(name="户籍办理")
    catalogue.themes.add(theme)
    assert names("户籍办理") == ["居民身份证换领"]

    theme.delete()

    assert names("户籍办理") == []


def test_renaming_a_department_reindexes_its_matters(db):
    department = factories.DepartmentFactory(name="中山市某某局")
    factories.MatterFactory(name="某事项", department=department)

    department.name = "中山市出入境管理局"
    department.save()

    assert names("出入境") == ["某事项"]


def test_synonym_edits_need_no_reindex(catalogue):
    synonym = Synonym.objects.create(term="公积金买房", expansion="住房公积金提取")
    assert names("公积金买房") == ["住房公积金提取"]

    synonym.expansion = "结婚登记"
    synonym.save()
    assert names("公积金买房") == ["结婚登记"]


def test_deferred_reindex_indexes_each_matter_once_at_the_end(db):
    with search.deferred_reindex():
        matter = factories.MatterFactory(name="出生登记")
        factories.MaterialRequirementFactory(matter=matter, name="出生医学证明")
        assert names("出生登记") == []

    assert names("出生医学证明") == ["出生登记"]


def test_reindex_queryset_indexes_bulk_created_matters(db):
    template = factories.MatterFactory.build(department=factories.DepartmentFactory())
    rows = []
    for i in range(120):
        fields = {f.attname: getattr(template, f.attname) for f in Matter._meta.concrete_fields}
        fields.update(
            id=None, name=f"批量事项{i}号", basic_code=f"4400000{i:05d}", implementation_code=f"X{i}"
        )
        rows.append(Matter(**fields))
    Matter.objects.bulk_create(rows)
    assert names("批量事项") == []

    count = search.reindex_queryset(Matter.objects.all(), batch_size=50)

    assert count == 120
    assert len(names("批量事项")) == 120
    assert names("批量事项7号")[0] == "批量事项7号"


def test_reindex_one_matter_updates_the_instance(catalogue):
    Matter.objects.filter(pk=catalogue.pk).update(search_document="")

    search.reindex(catalogue)

    assert " 身份证 " in catalogue.search_document
    assert "居民身份证换领" in names("换领")


def test_matters_filled_before_bulk_create_are_found_without_a_reindex(db):
    department = factories.DepartmentFactory()
    matter = factories.MatterFactory.build(department=department, region=department.region, name="养犬登记")
    search.fill(matter, materials=["犬只免疫证明"], tags=["宠物"])

    Matter.objects.bulk_create([matter])

    assert names("犬只免疫证明") == ["养犬登记"]
    assert names("宠物") == ["养犬登记"]


def test_a_synonym_typed_in_pinyin_finds_the_catalogue_name(catalogue):
    Synonym.objects.create(term="开饭店", expansion="食品经营许可")

    assert names("kaifandian") == ["食品经营许可证核发"]
    assert names("kfd") == ["食品经营许可证核发"]


def test_jieba_and_pypinyin_load_on_first_search_not_at_start_up():
    """Management commands that never search must not pay for loading the dictionaries."""
    code = (
        "import sys, django; django.setup(); import matters.search, matters.signals, portal.urls; "
        "print('jieba' in sys.modules, 'pypinyin' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
    )

    assert result.stdout.split() == ["False", "False"]


def test_the_reindex_command_rebuilds_every_matter_and_reports_the_count(catalogue):
    Matter.objects.update(search_document="", search_vector=None)
    assert names("换领") == []
    out = io.StringIO()

    call_command("reindex_matters", "--batch-size", "2", stdout=out)

    assert "Reindexed 6 matters" in out.getvalue()
    assert names("换领") == ["居民身份证换领"]
