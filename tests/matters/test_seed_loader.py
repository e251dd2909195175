"""The demo loader on small files: natural keys, updates in place, and loud failures."""

import shutil
from pathlib import Path

import pytest
import yaml

from matters import codes, demo
from matters.models import Department, Matter, MatterRelation, Tag

pytestmark = pytest.mark.django_db

LICENCE = {
    "name": "测试经营许可",
    "basic_code": "440000000001",
    "matter_type": "01",
    "audience": "enterprise",
    "service_objects": ["2"],
    "themes": ["licensing"],
    "tags": ["市场准入", "许可"],
    "legal_basis": "《中华人民共和国行政许可法》",
    "acceptance_conditions": "申请人具备法定条件。",
    "legal_limit_days": 20,
    "promised_limit_days": 5,
    "handling_place": "中山市行政服务中心",
    "handling_hours": "工作日 8:30-12:00，14:30-17:30",
    "consultation_phone": "0760-88888888",
    "supervision_phone": "0760-12345000",
    "online_apply": True,
    "online_depth": 4,
    "result_type": "certificate",
    "result_name": "测试经营许可证",
    "steps": [
        {"name": "申请", "handler": "申请人", "duration_days": 0},
        {"name": "受理", "handler": "窗口", "duration_days": 1},
        {"name": "决定", "handler": "科长", "duration_days": 3},
    ],
    "materials": [
        {"name": "申请书", "originals": 1, "medium": "paper"},
        {"name": "营业执照", "source": "elicence", "licence_type_code": "11100000000013338W032"},
    ],
    "relations": [{"kind": "prerequisite", "name": "测试设立登记"}],
}
REGISTRATION = {
    **LICENCE,
    "name": "测试设立登记",
    "basic_code": "440000000002",
    "matter_type": "07",
    "promised_limit_days": 0,
    "result_name": "",
    "tags": ["许可"],
    "relations": [],
}


def write_root(tmp_path: Path, matters: list[dict]) -> Path:
    """A demo folder with the real frame, the given matters and a one-question guide."""
    root = tmp_path / "demo"
    (root / "matters").mkdir(parents=True)
    for name in ("regions.yaml", "departments.yaml", "themes.yaml", "search.yaml", "notices.yaml"):
        shutil.copy(demo.DEMO_ROOT / name, root / name)
    guide = {
        "questions": [
            {
                "key": "start",
                "start": True,
                "text": "您要办什么？",
                "options": [
                    {"label": "开店", "matters": [m["name"] for m in matters], "conclusion": "先登记后许可。"}
                ],
            }
        ]
    }
    (root / "guide.yaml").write_text(yaml.safe_dump(guide, allow_unicode=True), encoding="utf-8")
    document = {"department": "中山市市场监督管理局", "matters": matters}
    (root / "matters" / "10-test.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    return root


def test_case_and_review_type_follow_the_promised_limit(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    licence, registration = Matter.objects.get(name="测试经营许可"), Matter.objects.get(name="测试设立登记")
    assert (licence.case_type, licence.review_type) == (
        codes.CaseType.PROMISED,
        codes.ReviewType.REVIEW_THEN_APPROVE,
    )
    assert (registration.case_type, registration.review_type) == (
        codes.CaseType.IMMEDIATE,
        codes.ReviewType.IMMEDIATE,
    )


def test_the_implementation_code_is_built_from_the_department(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    licence = Matter.objects.get(name="测试经营许可")
    assert licence.implementation_code == "11442000070289591B" + "3" + "440000000001"


def test_relations_are_resolved_by_name(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    relation = MatterRelation.objects.get()
    assert (relation.matter.name, relation.related.name, relation.kind) == (
        "测试经营许可",
        "测试设立登记",
        "prerequisite",
    )


def test_tags_are_created_with_ascii_pinyin_slugs(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    assert Tag.objects.get(name="市场准入").slug == "shi-chang-zhun-ru"
    assert Tag.objects.filter(name="许可").count() == 1


def test_an_unknown_related_matter_stops_the_load_naming_file_and_matter(tmp_path):
    root = write_root(tmp_path, [{**LICENCE, "relations": [{"kind": "related", "name": "不存在的事项"}]}])

    with pytest.raises(demo.DemoDataError, match=r"10-test\.yaml: 测试经营许可: .*不存在的事项"):
        demo.load_demo(root=root)


def test_a_matter_breaking_a_catalogue_rule_stops_the_load_naming_file_and_matter(tmp_path):
    root = write_root(tmp_path, [{**LICENCE, "relations": [], "supervision_phone": "0760-88888888"}])

    with pytest.raises(demo.DemoDataError, match=r"10-test\.yaml: 测试经营许可: supervision_phone"):
        demo.load_demo(root=root)


def test_steps_longer_than_the_promised_limit_stop_the_load(tmp_path):
    slow = {**LICENCE, "relations": [], "steps": [{"name": "审查", "duration_days": 9}]}

    with pytest.raises(demo.DemoDataError, match=r"测试经营许可: .*承诺办结时限"):
        demo.load_demo(root=write_root(tmp_path, [slow]))


def test_an_unquoted_basic_code_is_refused(tmp_path):
    root = write_root(tmp_path, [{**REGISTRATION, "basic_code": 440000000002}])

    with pytest.raises(demo.DemoDataError, match="basic_code must be a quoted string"):
        demo.load_demo(root=root)


def test_a_failed_load_leaves_nothing_behind(tmp_path):
    root = write_root(tmp_path, [{**LICENCE, "relations": [{"kind": "related", "name": "不存在的事项"}]}])

    with pytest.raises(demo.DemoDataError):
        demo.load_demo(root=root)

    assert not Matter.objects.exists()
    assert not Department.objects.exists()


def test_an_edited_file_updates_the_matter_in_place(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))
    licence = Matter.objects.get(name="测试经营许可")
    edited = {
        **LICENCE,
        "summary": "新的简介",
        "materials": [{"name": "申请书（新版）", "originals": 1, "medium": "paper"}],
    }

    demo.load_demo(root=write_root(tmp_path / "again", [edited, REGISTRATION]))

    licence.refresh_from_db()
    assert licence.summary == "新的简介"
    assert list(licence.materials.values_list("name", flat=True)) == ["申请书（新版）"]
    assert Matter.objects.count() == 2


def test_a_second_load_keeps_the_publication_time(tmp_path):
    root = write_root(tmp_path, [LICENCE, REGISTRATION])
    demo.load_demo(root=root)
    published_at = Matter.objects.get(name="测试经营许可").published_at

    demo.load_demo(root=root)

    assert Matter.objects.get(name="测试经营许可").published_at == published_at


def test_a_new_matter_has_one_history_record_with_its_tags(tmp_path):
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    records = Matter.objects.get(name="测试经营许可").history.all()
    assert [r.history_type for r in records] == ["+"]
    assert set(records[0].tags.values_list("tag__name", flat=True)) == {"市场准入", "许可"}


def test_loaded_matters_are_found_by_search(tmp_path):
    from matters import search

    if not hasattr(search, "reindex_queryset"):
        pytest.skip("search index not available yet")
    demo.load_demo(root=write_root(tmp_path, [LICENCE, REGISTRATION]))

    assert Matter.objects.get(name="测试经营许可").search_document
