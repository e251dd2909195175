"""The search page /search/?q=: results, pagination, suggestions, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matters import codes
from matters.cache import bump_catalogue_version
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_matter_is_found_by_its_name_with_its_department_and_type(client, matter):
    factories.MatterFactory(name="结婚登记")

    html = client.get("/search/", {"q": "食品经营许可证核发"}).content.decode()

    assert f'href="{matter.get_absolute_url()}">食品经营许可证核发</a>' in html
    assert "中山市市场监督管理局" in html
    assert "行政许可" in html
    assert "结婚登记" not in html


def test_the_query_is_kept_in_the_search_box_and_the_title(client, matter):
    html = client.get("/search/", {"q": "食品经营"}).content.decode()

    assert 'value="食品经营"' in html
    assert "“食品经营”的搜索结果" in html


def test_unpublished_matters_are_never_found(client):
    factories.MatterFactory(name="草稿中的食品经营许可", status=codes.Status.DRAFT)

    html = client.get("/search/", {"q": "草稿中的食品经营许可"}).content.decode()

    assert 'class="matter-item"' not in html
    assert "没有找到与“草稿中的食品经营许可”相关的事项" in html


def test_results_are_paginated_and_page_links_keep_the_query(client, department):
    for n in range(25):
        factories.MatterFactory(department=department, name=f"食品经营许可证核发{n:02d}")

    first = client.get("/search/", {"q": "食品经营许可证核发"}).content.decode()
    second = client.get("/search/", {"q": "食品经营许可证核发", "page": 2}).content.decode()

    assert first.count('class="matter-item"') == 20
    assert second.count('class="matter-item"') == 5
    assert "找到 25 个相关事项" in first
    assert (
        "?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF%E8%AF%81%E6%A0%B8%E5%8F%91&amp;page=2"
        in first
    )


def test_an_empty_search_shows_tips_popular_matters_and_themes(client, matter):
    factories.ThemeFactory(name="婚姻家庭", slug="marriage")

    html = client.get("/search/").content.decode()

    assert "搜索小贴士" in html
    assert "sfz" in html
    assert "食品经营许可证核发" in html  # popular
    assert 'href="/matters/?theme=marriage"' in html


def test_a_search_without_results_suggests_other_ways_to_find_the_matter(client, matter):
    html = client.get("/search/", {"q": "量子纠缠"}).content.decode()

    assert "没有找到与“量子纠缠”相关的事项" in html
    assert "减少关键词" in html
    assert "拼音首字母" in html
    assert 'href="/guide/"' in html
    assert f'href="{matter.get_absolute_url()}"' in html  # popular matters as suggestions


def test_a_blank_query_is_treated_as_empty(client, db):
    html = client.get("/search/", {"q": "   "}).content.decode()

    assert "搜索小贴士" in html


def test_a_very_long_query_is_cut_not_an_error(client, matter):
    response = client.get("/search/", {"q": "食品" * 500})

    assert response.status_code == 200


def test_the_query_is_escaped_in_the_page(client, db):
    html = client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_search_runs_the_same_number_of_queries_for_3_or_30_results(client, department):
    def count_queries() -> int:
        bump_catalogue_version()  # measure the page as rendered, not served from the cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/search/", {"q": "居民身份证"}).status_code == 200
        return len(queries)

    for n in range(3):
        factories.MatterFactory(name=f"居民身份证换领{n}", department=factories.DepartmentFactory())
    count_queries()  # warms the synonym cache of the search
    small = count_queries()
    for n in range(3, 30):
        factories.MatterFactory(name=f"居民身份证换领{n}", department=factories.DepartmentFactory())
    large = count_queries()

    assert small == large


def test_a_repeated_search_is_served_without_touching_the_database(client, matter):
    client.get("/search/", {"q": "食品经营"})

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/search/", {"q": "食品经营"}).content.decode()

    assert len(queries) == 0
    assert f'href="{matter.get_absolute_url()}">食品经营许可证核发</a>' in html
