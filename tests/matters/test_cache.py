"""Cached catalogue pages (matters.cache): served without the database, never stale after an edit.

Each invalidation test first visits the pages (filling the cache), then edits the catalogue the
way staff do, in the admin, and checks what the next visitor sees.
"""

import pytest
from django.core.cache import cache as default_cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from matters import cache, codes
from matters.models import Synonym
from tests import factories
from tests.matters.test_admin_helpers import make_editor, management_form, matter_form_data

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("matters:list")


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in English leaves English active in this thread (LocaleMiddleware never
    deactivates): later tests that make no request must not inherit it."""
    yield
    translation.deactivate()


@pytest.fixture
def editor_client(client):
    """Staff in the back office; the public pages are visited by ``visitor``."""
    client.force_login(make_editor(username="editor"))
    return client


@pytest.fixture
def visitor():
    return Client()


def page(visitor, url, **params) -> str:
    response = visitor.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def queries_of(visitor, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert visitor.get(url, params).status_code == 200
    return len(queries)


def visit_all(visitor, matter) -> None:
    """Fill the cache: the guide, the catalogue and a search that finds the matter."""
    page(visitor, matter.get_absolute_url())
    page(visitor, CATALOGUE)
    page(visitor, "/search/", q="食品经营")


# --- served from the cache ----------------------------------------------------------------


def test_a_guide_seen_before_is_served_without_a_query(visitor, matter):
    page(visitor, matter.get_absolute_url())

    assert queries_of(visitor, matter.get_absolute_url()) == 0


def test_a_catalogue_page_seen_before_is_served_without_a_query(visitor, matter):
    page(visitor, CATALOGUE, audience="citizen")

    assert queries_of(visitor, CATALOGUE, audience="citizen") == 0


def test_a_search_made_before_is_served_without_a_query(visitor, matter):
    page(visitor, "/search/", q="食品经营")

    assert queries_of(visitor, "/search/", q="食品经营") == 0


def test_another_page_of_the_catalogue_reuses_the_cached_filter_form(visitor, department):
    factories.MatterFactory.create_batch(25, department=department)
    page(visitor, CATALOGUE)
    with_cached_form = queries_of(visitor, CATALOGUE, page=2)
    cache.bump_catalogue_version()
    uncached = queries_of(visitor, CATALOGUE, page=2)

    # The second page still reads its matters, but not the filter form's choices.
    assert 0 < with_cached_form < uncached


# --- what is never shared between visitors ------------------------------------------------------


def test_a_signed_in_visitor_never_gets_the_login_link_of_a_cached_guide(visitor, matter):
    page(visitor, matter.get_absolute_url())
    signed_in = Client()
    signed_in.force_login(factories.UserFactory(username="citizen", real_name="李四"))

    html = page(signed_in, matter.get_absolute_url())

    assert "您好，李四" in html
    assert ">登录</a>" not in html


def test_each_visitor_gets_their_own_return_path_in_the_login_link(visitor, matter):
    page(visitor, CATALOGUE, page=1)

    html = page(visitor, CATALOGUE)

    assert 'href="/accounts/login/?next=%2Fmatters%2F">登录</a>' in html


def test_a_parameter_someone_added_never_reaches_another_visitor_s_links(visitor, department):
    factories.MatterFactory.create_batch(25, department=department)
    page(visitor, CATALOGUE, ref="evil")
    page(visitor, "/search/", q="食品经营许可", ref="evil")

    assert "ref=evil" not in page(visitor, CATALOGUE)
    assert "ref=evil" not in page(visitor, "/search/", q="食品经营许可")


def test_the_cached_pages_follow_the_visitor_s_language(visitor, matter):
    visit_all(visitor, matter)
    visitor.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "Basic information" in page(visitor, matter.get_absolute_url())
    assert "Filter matters" in page(visitor, CATALOGUE)
    assert "基本信息" not in page(visitor, matter.get_absolute_url())


# --- edits in the admin reach the next visitor ----------------------------------------------


def test_renaming_a_matter_in_the_admin_shows_on_the_guide_the_catalogue_and_search(
    visitor, editor_client, matter
):
    visit_all(visitor, matter)

    response = editor_client.post(
        reverse("admin:matters_matter_change", args=[matter.pk]),
        matter_form_data(matter, name="食品经营许可证新办"),
    )

    assert response.status_code == 302
    assert "<h1>食品经营许可证新办</h1>" in page(visitor, matter.get_absolute_url())
    assert ">食品经营许可证新办</a>" in page(visitor, CATALOGUE)
    assert ">食品经营许可证新办</a>" in page(visitor, "/search/", q="食品经营")


def test_adding_a_material_in_the_admin_shows_on_the_guide(visitor, editor_client, matter):
    visit_all(visitor, matter)
    data = matter_form_data(matter)
    data.update(management_form("materials", total=1))
    data.update(
        {
            "materials-0-sort_order": "1",
            "materials-0-name": "食品安全管理制度文本",
            "materials-0-necessity": "required",
            "materials-0-source": "applicant",
            "materials-0-originals": "1",
            "materials-0-copies": "0",
            "materials-0-medium": "paper",
            "materials-0-key_material": "on",
        }
    )

    response = editor_client.post(reverse("admin:matters_matter_change", args=[matter.pk]), data)

    assert response.status_code == 302
    assert "食品安全管理制度文本" in page(visitor, matter.get_absolute_url())
    # The material's name is indexed: a search for it finds the matter at once.
    assert ">食品经营许可证核发</a>" in page(visitor, "/search/", q="食品安全管理制度")


def test_renaming_a_tag_in_the_admin_shows_on_the_guide_and_the_catalogue_filters(
    visitor, editor_client, matter
):
    tag = factories.TagFactory(name="餐饮", slug="catering")
    matter.tags.add(tag)
    visit_all(visitor, matter)

    response = editor_client.post(
        reverse("admin:matters_tag_change", args=[tag.pk]), {"name": "餐饮服务", "slug": "catering"}
    )

    assert response.status_code == 302
    assert "餐饮服务" in page(visitor, matter.get_absolute_url())
    assert ">餐饮服务</option>" in page(visitor, CATALOGUE)


def test_a_new_synonym_in_the_admin_is_used_by_a_search_made_before(visitor, editor_client, matter):
    assert "没有找到与“开小吃店”相关的事项" in page(visitor, "/search/", q="开小吃店")

    response = editor_client.post(
        reverse("admin:matters_synonym_add"), {"term": "开小吃店", "expansion": "食品经营许可"}
    )

    assert response.status_code == 302
    assert Synonym.objects.filter(term="开小吃店").exists()
    assert "找到 1 个相关事项" in page(visitor, "/search/", q="开小吃店")


def test_renaming_a_department_in_the_admin_shows_on_the_guide_the_catalogue_and_search(
    visitor, editor_client, matter, department
):
    visit_all(visitor, matter)
    data = {
        "name": "中山市市场监管局",
        "short_name": "",
        "uscc": department.uscc,
        "region": department.region_id,
        "body_nature": department.body_nature,
        "phone": department.phone,
        "sort_order": department.sort_order,
        "is_active": "on",
        **management_form("memberships"),
    }

    response = editor_client.post(reverse("admin:matters_department_change", args=[department.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert "中山市市场监管局" in page(visitor, matter.get_absolute_url())
    assert "中山市市场监管局" in page(visitor, CATALOGUE)
    assert "中山市市场监管局" in page(visitor, "/search/", q="食品经营")


def test_withdrawing_a_matter_in_the_admin_takes_its_cached_guide_down(visitor, editor_client, matter):
    visit_all(visitor, matter)

    editor_client.post(
        reverse("admin:matters_matter_withdraw", args=[matter.pk]), {"reason": "该事项已取消", "confirm": "1"}
    )

    assert visitor.get(matter.get_absolute_url()).status_code == 404
    assert "食品经营许可证核发" not in page(visitor, CATALOGUE)
    assert "没有找到与“食品经营”相关的事项" in page(visitor, "/search/", q="食品经营")


# --- the version ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_change_replaces_the_version_again_when_its_transaction_commits(department):
    matter = factories.MatterFactory(department=department)
    with transaction.atomic():
        matter.name = "食品经营许可证新办"
        matter.save()
        factories.MaterialRequirementFactory(matter=matter)
        during = cache.catalogue_version()
        # One callback for the whole transaction, however many rows change.
        assert [entry[1] for entry in connection.run_on_commit].count(cache._replace_version) == 1

    assert cache.catalogue_version() != during


def test_a_lost_version_never_brings_back_fragments_of_an_older_catalogue(visitor, matter):
    page(visitor, matter.get_absolute_url())
    default_cache.delete(cache.VERSION_KEY)  # evicted, say
    matter.summary = "新的简介"
    matter.save()
    default_cache.delete(cache.VERSION_KEY)

    assert "新的简介" in page(visitor, matter.get_absolute_url())


def test_a_process_still_holding_the_old_synonyms_never_serves_its_results_as_current(visitor, matter):
    from matters import search

    page(visitor, "/search/", q="开小吃店")
    stale = search._synonym_memo
    Synonym.objects.create(term="开小吃店", expansion="食品经营许可")

    # Another worker expands with the table it read a few seconds ago…
    search._synonym_memo = stale
    assert "没有找到与“开小吃店”相关的事项" in page(visitor, "/search/", q="开小吃店")
    # …and a worker with the new table does not get that answer from the cache.
    search._synonym_memo = None
    assert "找到 1 个相关事项" in page(visitor, "/search/", q="开小吃店")


def test_pages_and_edits_work_while_the_cache_server_is_down(visitor, matter, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache server down")

    for method in ("get", "get_many", "set", "set_many", "add"):
        monkeypatch.setattr(default_cache, method, down)

    matter.name = "食品经营许可证新办"
    matter.save()

    assert "<h1>食品经营许可证新办</h1>" in page(visitor, matter.get_absolute_url())
    assert ">食品经营许可证新办</a>" in page(visitor, CATALOGUE)


# --- each process's copy -----------------------------------------------------------------------


@pytest.fixture
def local_copy(monkeypatch):
    """The process's copy, as servers use it (the test environment turns it off)."""
    monkeypatch.setattr(cache, "_local_seconds", lambda: cache.LOCAL_SECONDS)
    cache.forget_local_copy()
    yield
    cache.forget_local_copy()


def test_a_page_served_before_in_this_process_needs_no_round_trip(visitor, matter, local_copy, monkeypatch):
    page(visitor, matter.get_absolute_url())

    def no_round_trip(*args, **kwargs):
        raise AssertionError("round trip to the cache server")

    monkeypatch.setattr(default_cache, "get_many", no_round_trip)
    assert "<h1>食品经营许可证核发</h1>" in page(visitor, matter.get_absolute_url())


def test_an_edit_in_this_process_reaches_its_copy_at_once(visitor, matter, local_copy):
    page(visitor, matter.get_absolute_url())

    matter.name = "食品经营许可证新办"
    matter.save()

    assert "<h1>食品经营许可证新办</h1>" in page(visitor, matter.get_absolute_url())


def test_an_edit_in_another_process_reaches_this_copy_within_a_second(visitor, matter, local_copy):
    page(visitor, matter.get_absolute_url())
    # Another process saves the matter: the row and the shared version change, not this copy.
    type(matter).objects.filter(pk=matter.pk).update(name="食品经营许可证新办")
    default_cache.set(cache.VERSION_KEY, "another-process", timeout=None)

    assert "<h1>食品经营许可证核发</h1>" in page(visitor, matter.get_absolute_url())
    cache._local.read_at -= cache.LOCAL_SECONDS
    assert "<h1>食品经营许可证新办</h1>" in page(visitor, matter.get_absolute_url())


# --- the catalogue API ----------------------------------------------------------------------


def test_an_api_list_asked_before_is_served_without_a_query_and_follows_edits(visitor, editor_client, matter):
    url = "/api/v1/matters/"
    first = visitor.get(url, {"search": "食品经营"}).json()
    assert first["results"][0]["name"] == matter.name
    assert queries_of(visitor, url, search="食品经营") == 0

    response = editor_client.post(
        reverse("admin:matters_matter_change", args=[matter.pk]),
        matter_form_data(matter, name="食品经营许可证新办"),
    )

    assert response.status_code == 302
    assert visitor.get(url, {"search": "食品经营"}).json()["results"][0]["name"] == "食品经营许可证新办"


def test_an_api_list_keeps_the_host_it_was_asked_on(visitor, matter):
    mine = visitor.get("/api/v1/matters/", HTTP_HOST="127.0.0.1").json()["results"][0]["url"]
    theirs = visitor.get("/api/v1/matters/", HTTP_HOST="localhost").json()["results"][0]["url"]
    assert mine.startswith("http://127.0.0.1/") and theirs.startswith("http://localhost/")


def test_a_bad_filter_of_the_api_is_answered_400_every_time(visitor, matter):
    for _attempt in range(2):
        response = visitor.get("/api/v1/matters/", {"online_depth": "9"})
        assert response.status_code == 400


# --- Rows kept for the applications API (cache.snapshot) ----------------------------------------


def test_a_snapshot_gives_each_caller_its_own_copy_and_follows_the_catalogue():
    from matters import selectors

    matter = factories.MatterFactory(name="食品经营许可证核发")
    first = selectors.matter_for_application(matter.implementation_code.lower())
    first.name = "changed by one caller"
    with CaptureQueriesContext(connection) as queries:
        again = selectors.matter_for_application(matter.implementation_code)
    assert again.name == "食品经营许可证核发" and len(queries) == 0  # from the cache, a fresh copy
    assert again.department.name == matter.department.name  # read with it, no query either

    matter.status = codes.Status.WITHDRAWN
    matter.save()  # the catalogue version changes: the next read sees the edit
    assert selectors.matter_for_application(matter.implementation_code).status == codes.Status.WITHDRAWN
    assert selectors.matter_for_application("11442000MB2C00000XX0000000000000") is None


def test_requirements_kept_for_applications_follow_an_edit_and_point_at_the_given_matter():
    from matters import selectors

    matter = factories.MatterFactory()
    requirement = factories.MaterialRequirementFactory(matter=matter, name="营业执照")
    assert [r.name for r in selectors.requirements_of(matter)] == ["营业执照"]
    requirement.name = "营业执照副本"
    requirement.save()
    [again] = selectors.requirements_of(matter)
    assert again.name == "营业执照副本" and again.matter is matter


def test_the_form_version_a_submission_records_follows_a_new_version_at_once():
    from applications import forms_engine
    from matters.forms_spec import load_spec

    matter = factories.MatterFactory()
    load_spec(matter, {"fields": [{"key": "shop", "label": "店铺名称", "type": "text"}]})
    first = forms_engine.current_version(matter)
    assert [f.key for f in forms_engine.get_spec(matter).fields] == ["shop"]  # both now cached
    load_spec(matter, {"fields": [{"key": "area", "label": "经营面积", "type": "decimal"}]})
    assert forms_engine.current_version(matter) == first + 1
    assert [f.key for f in forms_engine.get_spec(matter).fields] == ["area"]
