"""The Django admin in Chinese at /admin/: accounts, notices and the catalogue pages."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Notice
from tests import factories
from tests.matters.test_admin_helpers import make_editor, make_supervisor


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True, real_name="系统管理员")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def registered_pages():
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in {"matters", "portal"}:
            continue
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return pages


@pytest.mark.django_db
def test_every_catalogue_and_portal_admin_page_answers_in_chinese(admin_client, matter):
    for url in registered_pages():
        response = admin_client.get(url)
        if url.endswith("/add/") and response.status_code == 403:
            continue  # read-only lists (the change logs)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="zh-hans"' in page, url
        assert "政务服务网 · 管理后台" in page, url


def test_the_admin_index_lists_the_catalogue_in_chinese(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    for name in (
        "事项目录",
        "事项",
        "部门",
        "主题",
        "分类标签",
        "行政区划",
        "检索同义词",
        "智能导办",
        "通知公告",
        "用户",
    ):
        assert name in page


def test_the_user_list_shows_real_names_and_masked_mobiles(admin_client):
    factories.UserFactory(username="citizen-1", real_name="李四", mobile="13800138000")
    page = admin_client.get(reverse("admin:portal_user_changelist")).content.decode()
    assert "李四" in page
    assert "138****8000" in page
    assert "13800138000" not in page


def test_the_user_form_edits_real_name_and_mobile(admin_client, superuser):
    page = admin_client.get(reverse("admin:portal_user_change", args=[superuser.pk])).content.decode()
    assert 'name="real_name"' in page
    assert 'name="mobile"' in page


def test_the_user_list_never_counts_the_whole_table(admin_client):
    factories.UserFactory.create_batch(3)
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(reverse("admin:portal_user_changelist"))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_a_departments_members_are_picked_among_back_office_accounts_only(admin_client):
    factories.UserFactory(username="zhang-citizen", real_name="张市民")
    factories.UserFactory(username="zhang-staff", real_name="张干部", is_staff=True)
    params = {
        "app_label": "matters",
        "model_name": "departmentmembership",
        "field_name": "user",
        "term": "zhang",
    }
    results = admin_client.get(reverse("admin:autocomplete"), params).json()["results"]
    assert [r["text"] for r in results] == ["张干部"]


def test_the_department_page_manages_its_members(admin_client, department):
    page = admin_client.get(reverse("admin:matters_department_change", args=[department.pk])).content.decode()
    assert "部门人员（仅限后台工作人员账号）" in page
    assert 'data-model-name="departmentmembership" data-field-name="user"' in page


def test_a_catalogue_editor_publishes_a_notice(client, db):
    client.force_login(make_editor())
    data = {
        "title": "关于国庆假期窗口服务时间的通知",
        "body": "10月1日至7日窗口暂停服务。",
        "published_at_0": "2026-09-25",
        "published_at_1": "09:00:00",
    }
    response = client.post(reverse("admin:portal_notice_add"), data)
    assert response.status_code == 302
    assert Notice.objects.filter(title="关于国庆假期窗口服务时间的通知").exists()


def test_a_supervisor_reads_notices_but_cannot_add_one(client, db):
    client.force_login(make_supervisor())
    assert client.get(reverse("admin:portal_notice_changelist")).status_code == 200
    assert client.get(reverse("admin:portal_notice_add")).status_code == 403


def test_a_catalogue_editor_cannot_manage_accounts(client, db):
    client.force_login(make_editor())
    assert client.get(reverse("admin:portal_user_changelist")).status_code == 403
