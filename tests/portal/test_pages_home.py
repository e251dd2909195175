"""The home page: search box, themes, popular matters, departments, notices."""

from datetime import timedelta

import pytest
from django.utils import timezone

from matters import codes
from portal.models import Notice
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_home_page_has_a_search_box_that_searches_matters(client):
    html = client.get("/").content.decode()

    assert 'action="/search/"' in html
    assert '<label for="home-q"' in html
    assert 'name="q"' in html


def test_life_event_and_enterprise_themes_link_to_the_filtered_catalogue(client):
    factories.ThemeFactory(name="婚姻家庭", slug="marriage", audience="citizen")
    factories.ThemeFactory(name="开办企业", slug="start-up", audience="enterprise")

    html = client.get("/").content.decode()

    life = html[html.index('id="life-heading"') : html.index('id="enterprise-heading"')]
    assert 'href="/matters/?theme=marriage"' in life and "婚姻家庭" in life
    enterprise = html[html.index('id="enterprise-heading"') :]
    assert 'href="/matters/?theme=start-up"' in enterprise and "开办企业" in enterprise


def test_popular_matters_are_the_most_visited_published_ones_first(client):
    factories.MatterFactory(name="结婚登记", popularity=500)
    factories.MatterFactory(name="居民身份证换领", popularity=950)
    factories.MatterFactory(name="草稿事项", popularity=999, status=codes.Status.DRAFT)

    html = client.get("/").content.decode()

    assert html.index("居民身份证换领") < html.index("结婚登记")
    assert "草稿事项" not in html


def test_departments_are_listed_with_their_published_matter_counts(client, department, other_department):
    factories.MatterFactory.create_batch(2, department=department)
    factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    factories.MatterFactory(department=other_department, status=codes.Status.DRAFT)

    html = client.get("/").content.decode()

    assert f'href="/matters/?department={department.pk}">中山市市场监督管理局</a>' in html
    assert "（2项）" in html
    assert "中山市公安局" not in html  # nothing published yet


def test_published_notices_are_shown_pinned_first_and_future_ones_hidden(client):
    Notice.objects.create(title="系统升级公告", body="周六凌晨升级。")
    Notice.objects.create(title="春节办事安排", body="春节期间网上办事正常。", pinned=True)
    Notice.objects.create(title="尚未发布的通知", body="……", published_at=timezone.now() + timedelta(days=1))

    html = client.get("/").content.decode()

    assert html.index("春节办事安排") < html.index("系统升级公告")
    assert "周六凌晨升级。" in html
    assert "尚未发布的通知" not in html


def test_the_home_page_with_an_empty_catalogue_still_renders(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "暂无已发布的事项" in response.content.decode()
