"""The catalogue page /matters/: filters, pagination, empty state, constant queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matters import codes
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("matters:list")


def names_on(response) -> list[str]:
    return re.findall(r'<a href="/matters/[0-9A-Z]{31}/">([^<]+)</a>', response.content.decode())


def test_the_catalogue_lists_published_matters_with_their_department_and_count(client, matter):
    factories.MatterFactory(name="未发布的草稿事项", status=codes.Status.DRAFT)
    factories.MatterFactory(name="已撤销的事项", status=codes.Status.WITHDRAWN)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert names_on(response) == ["食品经营许可证核发"]
    assert "中山市市场监督管理局" in response.content.decode()
    assert "共 1 个事项" in response.content.decode()


def test_filtering_by_department_shows_only_its_matters(client, matter, other_department):
    factories.MatterFactory(department=other_department, name="居民身份证换领")

    response = client.get(LIST_URL, {"department": other_department.pk})

    assert names_on(response) == ["居民身份证换领"]


def test_filtering_by_theme_uses_the_theme_slug(client, matter):
    theme = factories.ThemeFactory(name="开办企业", slug="start-up", audience="enterprise")
    themed = factories.MatterFactory(name="企业设立登记")
    themed.themes.add(theme)

    response = client.get(LIST_URL, {"theme": "start-up"})

    assert names_on(response) == ["企业设立登记"]


def test_filtering_by_tag_uses_the_tag_slug(client, matter):
    tag = factories.TagFactory(name="出入境", slug="exit-entry")
    tagged = factories.MatterFactory(name="往来港澳通行证签注")
    tagged.tags.add(tag)

    response = client.get(LIST_URL, {"tag": "exit-entry"})

    assert names_on(response) == ["往来港澳通行证签注"]


def test_filtering_by_audience_includes_matters_for_both_audiences(client, matter):
    factories.MatterFactory(name="企业专属事项", audience=codes.Audience.ENTERPRISE)
    factories.MatterFactory(name="个人和法人都可办", audience=codes.Audience.BOTH)

    response = client.get(LIST_URL, {"audience": "enterprise"})

    assert sorted(names_on(response)) == sorted(["企业专属事项", "个人和法人都可办"])


def test_filtering_by_matter_type(client, matter):
    factories.MatterFactory(name="社会保障卡申领", matter_type=codes.MatterType.PUBLIC_SERVICE)

    response = client.get(LIST_URL, {"matter_type": codes.MatterType.PUBLIC_SERVICE})

    assert names_on(response) == ["社会保障卡申领"]


def test_filtering_by_online_depth(client, matter):
    factories.MatterFactory(
        name="三级深度事项",
        online_depth=codes.OnlineDepth.APPLY,
        onsite_visits=1,
        onsite_visits_reason="核验原件",
    )

    response = client.get(LIST_URL, {"online_depth": "3"})

    assert names_on(response) == ["三级深度事项"]


def test_filtering_by_can_apply_online(client, matter):
    factories.MatterFactory(
        name="只能窗口办理", online_apply=False, onsite_visits=1, onsite_visits_reason="现场核验"
    )

    only_online = client.get(LIST_URL, {"online_apply": "true"})
    only_offline = client.get(LIST_URL, {"online_apply": "false"})

    assert names_on(only_online) == ["食品经营许可证核发"]
    assert names_on(only_offline) == ["只能窗口办理"]


def test_the_active_filters_are_shown_with_a_link_that_removes_each(client, matter, department):
    response = client.get(LIST_URL, {"department": department.pk, "online_apply": "true"})

    html = response.content.decode()
    assert "实施部门：中山市市场监督管理局" in html
    assert (
        f'href="/matters/?department={department.pk}"' in html
    )  # removing "可网上申办" keeps the department


def test_a_filter_combination_without_matters_says_so_and_links_to_reset(client, matter):
    response = client.get(LIST_URL, {"matter_type": codes.MatterType.PENALTY})

    html = response.content.decode()
    assert "没有符合条件的事项" in html
    assert 'href="/matters/">清除全部筛选条件' in html


def test_an_invalid_filter_value_is_explained_next_to_the_field_not_a_server_error(client, matter):
    response = client.get(LIST_URL, {"department": "not-a-department", "matter_type": "99"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_department_error"' in html
    assert 'id="id_matter_type_error"' in html
    assert names_on(response) == ["食品经营许可证核发"]


def test_pages_hold_twenty_matters_and_page_links_keep_the_filters(client, department):
    factories.MatterFactory.create_batch(25, department=department)

    first = client.get(LIST_URL, {"department": department.pk})
    second = client.get(LIST_URL, {"department": department.pk, "page": 2})

    assert len(names_on(first)) == 20
    assert len(names_on(second)) == 5
    assert f"?department={department.pk}&amp;page=2" in first.content.decode()
    assert set(names_on(first)).isdisjoint(names_on(second))


def test_a_page_number_out_of_range_shows_the_last_page(client, department):
    factories.MatterFactory.create_batch(3, department=department)

    response = client.get(LIST_URL, {"page": 99})

    assert response.status_code == 200
    assert len(names_on(response)) == 3


def test_an_htmx_filter_request_gets_only_the_results(client, matter):
    response = client.get(LIST_URL, headers={"HX-Request": "true", "HX-Target": "matter-results"})

    html = response.content.decode()
    assert "食品经营许可证核发" in html
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_catalogue_runs_the_same_number_of_queries_for_3_or_30_matters(client, department):
    theme = factories.ThemeFactory()
    tag = factories.TagFactory()

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, {"theme": theme.slug, "tag": tag.slug, "audience": "citizen"})
        assert response.status_code == 200
        return len(queries)

    def add(n):
        for matter in factories.MatterFactory.create_batch(n, department=factories.DepartmentFactory()):
            matter.themes.add(theme)
            matter.tags.add(tag)

    add(3)
    small = count_queries()
    add(27)
    large = count_queries()

    assert small == large
