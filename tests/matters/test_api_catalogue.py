"""The catalogue API: GET /api/v1/matters/, /matters/<code>/, /departments/, /themes/."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from matters import codes
from matters import search as catalogue_search
from matters.models import MaterialRequirement, Theme
from tests import factories

pytestmark = pytest.mark.django_db

MATTERS_URL = "/api/v1/matters/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def _codes(response) -> list[str]:
    return [item["implementation_code"] for item in response.json()["results"]]


def _count_queries(api, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


# --- List ------------------------------------------------------------------------


def test_the_list_shows_a_published_matter_with_its_codes_department_and_type(api, matter):
    response = api.get(MATTERS_URL)

    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["implementation_code"] == matter.implementation_code
    assert item["basic_code"] == matter.basic_code
    assert item["name"] == "食品经营许可证核发"
    assert item["department"]["name"] == "中山市市场监督管理局"
    assert item["department"]["uscc"] == matter.department.uscc
    assert item["matter_type"] == {"code": "01", "label": "行政许可"}
    assert item["audience"] == {"code": "citizen", "label": "个人"}
    assert item["online_depth"]["code"] == 4
    assert item["online_apply"] is True
    assert item["promised_limit_days"] == 10
    assert item["url"] == f"http://testserver/api/v1/matters/{matter.implementation_code}/"
    assert item["guide_url"] == f"http://testserver/matters/{matter.implementation_code}/"


def test_draft_and_withdrawn_matters_are_not_listed(api, department):
    factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    factories.MatterFactory(department=department, status=codes.Status.WITHDRAWN)
    published = factories.MatterFactory(department=department)

    assert _codes(api.get(MATTERS_URL)) == [published.implementation_code]


def test_the_list_filters_by_matter_type(api, department):
    licence = factories.MatterFactory(department=department)
    factories.MatterFactory(
        department=department,
        matter_type=codes.MatterType.PUBLIC_SERVICE,
    )

    assert _codes(api.get(MATTERS_URL, {"matter_type": "01"})) == [licence.implementation_code]


def test_the_list_filters_by_department(api, department, other_department):
    ours = factories.MatterFactory(department=department)
    factories.MatterFactory(department=other_department)

    assert _codes(api.get(MATTERS_URL, {"department": department.pk})) == [ours.implementation_code]


def test_the_list_filters_by_theme_and_tag_slugs(api, department):
    theme = factories.ThemeFactory(slug="marriage")
    tag = factories.TagFactory(slug="civil")
    both = factories.MatterFactory(department=department)
    both.themes.add(theme)
    both.tags.add(tag)
    only_theme = factories.MatterFactory(department=department)
    only_theme.themes.add(theme)

    assert _codes(api.get(MATTERS_URL, {"theme": "marriage", "tag": "civil"})) == [both.implementation_code]


def test_a_matter_for_both_audiences_is_listed_for_enterprises(api, department):
    both = factories.MatterFactory(department=department, audience=codes.Audience.BOTH)
    factories.MatterFactory(department=department, audience=codes.Audience.CITIZEN)

    assert _codes(api.get(MATTERS_URL, {"audience": "enterprise"})) == [both.implementation_code]


def test_the_list_filters_by_online_depth_and_online_apply(api, department):
    full = factories.MatterFactory(department=department)
    factories.MatterFactory(
        department=department,
        online_depth=codes.OnlineDepth.INFORMATION,
        online_apply=False,
        onsite_visits=1,
        onsite_visits_reason="核验原件",
    )

    assert _codes(api.get(MATTERS_URL, {"online_depth": 4})) == [full.implementation_code]
    assert _codes(api.get(MATTERS_URL, {"online_apply": "true"})) == [full.implementation_code]


def test_an_unknown_filter_value_is_a_validation_error_naming_the_field(api, matter):
    response = api.get(MATTERS_URL, {"matter_type": "99"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["matter_type"]


def test_search_finds_a_matter_by_a_word_of_its_name(api, department):
    food = factories.MatterFactory(department=department, name="食品经营许可证核发")
    factories.MatterFactory(department=department, name="结婚登记")

    assert _codes(api.get(MATTERS_URL, {"search": "食品经营"})) == [food.implementation_code]


def test_search_is_the_catalogue_search_function(api, department, monkeypatch):
    chosen = factories.MatterFactory(department=department)
    factories.MatterFactory(department=department)
    seen = []

    def fake_search(queryset, query):
        seen.append(query)
        return queryset.filter(pk=chosen.pk)

    monkeypatch.setattr(catalogue_search, "search", fake_search)

    assert _codes(api.get(MATTERS_URL, {"search": "sfz"})) == [chosen.implementation_code]
    assert seen == ["sfz"]


def test_search_combines_with_the_filters(api, department, other_department):
    factories.MatterFactory(department=department, name="食品经营许可证核发")
    theirs = factories.MatterFactory(department=other_department, name="食品生产许可证核发")

    response = api.get(MATTERS_URL, {"search": "食品", "department": other_department.pk})

    assert _codes(response) == [theirs.implementation_code]


def test_an_empty_search_lists_the_whole_catalogue(api, department):
    factories.MatterFactory.create_batch(2, department=department)

    assert api.get(MATTERS_URL, {"search": "  "}).json()["count"] == 2


# --- Pagination ------------------------------------------------------------------


def test_the_list_is_paginated_with_a_page_size(api, department):
    factories.MatterFactory.create_batch(5, department=department)

    body = api.get(MATTERS_URL, {"page_size": 2, "page": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page=3" in body["next"]
    assert body["previous"] is not None


def test_pages_do_not_repeat_or_skip_matters(api, department):
    matters = factories.MatterFactory.create_batch(5, department=department, name="同名事项")

    seen = []
    for page in (1, 2, 3):
        seen += _codes(api.get(MATTERS_URL, {"page_size": 2, "page": page}))

    assert sorted(seen) == sorted(m.implementation_code for m in matters)


def test_a_page_size_above_100_is_capped_at_100(api, department):
    factories.MatterFactory.create_batch(101, department=department)

    response = api.get(MATTERS_URL, {"page_size": 500})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


def test_a_page_beyond_the_last_is_a_not_found_error(api, matter):
    response = api.get(MATTERS_URL, {"page": 9})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_list_query_count_does_not_grow_with_the_number_of_matters(api, department):
    theme = factories.ThemeFactory()
    tag = factories.TagFactory()

    def add_matters(count):
        for matter in factories.MatterFactory.create_batch(count, department=factories.DepartmentFactory()):
            matter.themes.add(theme)
            matter.tags.add(tag)

    add_matters(2)
    few = _count_queries(api, MATTERS_URL)
    add_matters(8)
    many = _count_queries(api, MATTERS_URL)

    assert few == many
    assert many <= 2  # the count and the page


# --- Guide -----------------------------------------------------------------------


@pytest.fixture
def guide(matter):
    """A published matter with every part of a guide filled in."""
    matter.summary = "经营食品须取得许可。"
    matter.fee_required = True
    matter.fee_basis = "《行政事业性收费标准》"
    matter.fee_standard = "不收费（工本费0元）"
    matter.limit_explanation = "自受理之日起计算"
    matter.result_type = codes.ResultType.CERTIFICATE
    matter.save()
    factories.MatterStepFactory(matter=matter, sort_order=2, name="审查", duration_days=5)
    factories.MatterStepFactory(matter=matter, sort_order=1, name="受理", duration_days=1)
    factories.MaterialRequirementFactory(
        matter=matter,
        name="食品经营许可申请书",
        necessity=MaterialRequirement.Necessity.REQUIRED,
        originals=1,
        copies=0,
    )
    matter.themes.add(factories.ThemeFactory(name="开办餐馆", slug="open-restaurant"))
    matter.tags.add(factories.TagFactory(name="市场监管", slug="market"))
    prerequisite = factories.MatterFactory(department=matter.department, name="营业执照核发")
    related = factories.MatterFactory(department=matter.department, name="户外广告设置许可")
    factories.MatterRelationFactory(matter=matter, related=related, kind=codes.RelationKind.RELATED)
    factories.MatterRelationFactory(matter=matter, related=prerequisite, kind=codes.RelationKind.PREREQUISITE)
    return matter


def _guide_url(matter) -> str:
    return f"{MATTERS_URL}{matter.implementation_code}/"


def test_the_guide_carries_the_whole_service_guide(api, guide):
    body = api.get(_guide_url(guide)).json()

    assert body["name"] == "食品经营许可证核发"
    assert body["implementation_code"] == guide.implementation_code
    assert body["summary"] == "经营食品须取得许可。"
    assert body["legal_basis"] == "《中华人民共和国行政许可法》"
    assert body["acceptance_conditions"] == "申请人符合法定条件。"
    assert body["legal_limit_days"] == 20
    assert body["promised_limit_days"] == 10
    assert body["limit_explanation"] == "自受理之日起计算"
    assert body["fee_required"] is True
    assert body["fee_standard"] == "不收费（工本费0元）"
    assert body["handling_place"].startswith("中山市行政服务中心")
    assert body["consultation_phone"] == "0760-12345678"
    assert body["region"] == {"code": "442000000000", "name": "中山市"}
    assert body["level"] == {"code": "3", "label": "市级"}
    assert body["case_type"] == {"code": "2", "label": "承诺件"}
    assert body["result_type"] == {"code": "certificate", "label": "出证"}
    assert body["handling_forms"] == [
        {"code": "1", "label": "窗口办理"},
        {"code": "2", "label": "电脑端网上办理"},
    ]
    assert body["service_objects"] == [{"code": "1", "label": "自然人"}]


def test_the_guide_lists_steps_in_order(api, guide):
    steps = api.get(_guide_url(guide)).json()["steps"]

    assert [step["name"] for step in steps] == ["受理", "审查"]


def test_the_guide_lists_materials_with_their_requirements(api, guide):
    [material] = api.get(_guide_url(guide)).json()["materials"]

    assert material["name"] == "食品经营许可申请书"
    assert material["necessity"] == {"code": "required", "label": "必要"}
    assert material["originals"] == 1
    assert material["sample"] is None


def test_the_guide_groups_related_matters_by_kind_prerequisites_first(api, guide):
    groups = api.get(_guide_url(guide)).json()["related_matters"]

    assert [(g["kind"], [m["name"] for m in g["matters"]]) for g in groups] == [
        ("prerequisite", ["营业执照核发"]),
        ("related", ["户外广告设置许可"]),
    ]
    assert groups[0]["label"] == "前置事项"
    assert groups[0]["matters"][0]["url"].startswith("http://testserver/api/v1/matters/")


def test_the_guide_shows_themes_and_tags(api, guide):
    body = api.get(_guide_url(guide)).json()

    assert [theme["slug"] for theme in body["themes"]] == ["open-restaurant"]
    assert [tag["name"] for tag in body["tags"]] == ["市场监管"]


def test_an_unknown_implementation_code_is_a_not_found_error(api, db):
    response = api.get(f"{MATTERS_URL}114420000000000013440000000000/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "实施编码" in response.json()["error"]["message"]


def test_an_unpublished_matter_has_no_guide(api, department):
    draft = factories.MatterFactory(department=department, status=codes.Status.DRAFT)

    response = api.get(_guide_url(draft))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_withdrawn_related_matter_is_not_shown_in_the_guide(api, matter):
    withdrawn = factories.MatterFactory(department=matter.department, status=codes.Status.WITHDRAWN)
    factories.MatterRelationFactory(matter=matter, related=withdrawn)

    assert api.get(_guide_url(matter)).json()["related_matters"] == []


def test_the_guide_query_count_does_not_grow_with_its_materials_and_relations(api, matter):
    factories.MaterialRequirementFactory(matter=matter)
    factories.MatterStepFactory(matter=matter)
    factories.MatterRelationFactory(matter=matter, related=factories.MatterFactory())
    few = _count_queries(api, _guide_url(matter))

    factories.MaterialRequirementFactory.create_batch(5, matter=matter)
    factories.MatterStepFactory.create_batch(5, matter=matter)
    for _ in range(5):
        factories.MatterRelationFactory(matter=matter, related=factories.MatterFactory())
        matter.themes.add(factories.ThemeFactory())
        matter.tags.add(factories.TagFactory())
    many = _count_queries(api, _guide_url(matter))

    assert few == many


# --- Departments and themes ------------------------------------------------------


def test_departments_show_their_codes_contact_and_published_matter_count(api, department):
    factories.MatterFactory.create_batch(2, department=department)
    factories.MatterFactory(department=department, status=codes.Status.DRAFT)

    [item] = api.get("/api/v1/departments/").json()["results"]

    assert item["name"] == "中山市市场监督管理局"
    assert item["uscc"] == department.uscc
    assert item["region_code"] == "442000000000"
    assert item["phone"] == "0760-88880000"
    assert item["matter_count"] == 2
    assert item["url"] == f"http://testserver/api/v1/departments/{department.uscc}/"


def test_a_department_without_published_matters_is_not_listed(api, department, other_department):
    factories.MatterFactory(department=department)
    factories.MatterFactory(department=other_department, status=codes.Status.DRAFT)

    names = [item["name"] for item in api.get("/api/v1/departments/").json()["results"]]

    assert names == ["中山市市场监督管理局"]


def test_a_department_is_found_by_its_uscc(api, matter):
    response = api.get(f"/api/v1/departments/{matter.department.uscc}/")

    assert response.status_code == 200
    assert response.json()["matter_count"] == 1


def test_the_department_list_query_count_does_not_grow_with_the_departments(api, db):
    factories.MatterFactory()
    few = _count_queries(api, "/api/v1/departments/")
    factories.MatterFactory.create_batch(5)
    many = _count_queries(api, "/api/v1/departments/")

    assert few == many


def test_themes_show_slug_name_audience_and_description(api, db):
    factories.ThemeFactory(slug="birth", name="生育", description="出生、入户、参保", sort_order=1)

    [item] = api.get("/api/v1/themes/").json()["results"]

    assert item["slug"] == "birth"
    assert item["name"] == "生育"
    assert item["audience"] == {"code": "citizen", "label": "个人生活事件"}
    assert item["description"] == "出生、入户、参保"
    assert item["url"] == "http://testserver/api/v1/themes/birth/"


def test_themes_filter_by_audience(api, db):
    factories.ThemeFactory(slug="birth")
    factories.ThemeFactory(slug="start-up", audience=Theme.Audience.ENTERPRISE)

    results = api.get("/api/v1/themes/", {"audience": "enterprise"}).json()["results"]

    assert [item["slug"] for item in results] == ["start-up"]


def test_an_unknown_theme_is_a_not_found_error(api, db):
    response = api.get("/api/v1/themes/no-such-theme/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_catalogue_is_read_only(api, matter):
    response = api.post(MATTERS_URL, {"name": "新事项"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
