"""The catalogue back office at scale: no full COUNT(*), constant queries, paginated inlines."""

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matters.models import MaterialRequirement, Matter
from portal.admin_support import LargeTablePaginator
from tests import factories
from tests.matters.test_admin_helpers import (
    make_department_staff,
    make_editor,
    management_form,
    matter_form_data,
)

CHANGELIST = "admin:matters_matter_changelist"


@pytest.fixture
def editor_client(client, db):
    client.force_login(make_editor(username="editor"))
    return client


def count_queries(sql_list):
    return [q["sql"] for q in sql_list if "COUNT(" in q["sql"].upper()]


def test_the_matter_changelist_never_counts_the_whole_table(editor_client, department):
    factories.MatterFactory.create_batch(3, department=department)
    with CaptureQueriesContext(connection) as captured:
        assert editor_client.get(reverse(CHANGELIST)).status_code == 200
    counts = count_queries(captured.captured_queries)
    assert counts, "the list states how many matters it holds"
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_a_department_staff_list_counts_with_a_cap_too(client, department):
    factories.MatterFactory.create_batch(3, department=department)
    client.force_login(make_department_staff(department))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    assert all("LIMIT" in sql.upper() for sql in count_queries(captured.captured_queries))


def test_the_matter_changelist_runs_the_same_queries_for_3_or_40_matters(
    editor_client, department, other_department
):
    factories.MatterFactory.create_batch(3, department=department)
    with CaptureQueriesContext(connection) as few:
        editor_client.get(reverse(CHANGELIST))
    factories.MatterFactory.create_batch(20, department=department)
    factories.MatterFactory.create_batch(17, department=other_department)
    with CaptureQueriesContext(connection) as many:
        page = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert page.count('class="action-select"') == 40
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_change_log_runs_the_same_queries_for_few_or_many_records(editor_client, department):
    matter = factories.MatterFactory(department=department)
    url = reverse("admin:matters_historicalmatter_changelist")
    with CaptureQueriesContext(connection) as few:
        editor_client.get(url)
    for i in range(15):
        matter.name = f"改名{i}"
        matter.save()
    with CaptureQueriesContext(connection) as many:
        editor_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert all("LIMIT" in sql.upper() for sql in count_queries(many.captured_queries))


def test_a_long_list_says_how_many_it_counted_not_how_many_there_are(editor_client, department, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "max_exact_count", 2)
    factories.MatterFactory.create_batch(3, department=department)
    # Filtered, so the count is capped whatever the planner's statistics say.
    page = editor_client.get(reverse(CHANGELIST), {"status__exact": "published"}).content.decode()
    assert "2+ 事项" in page


@pytest.mark.django_db
def test_the_paginator_caps_the_count_and_still_opens_the_pages_past_it(department, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "max_exact_count", 5)
    matters = factories.MatterFactory.create_batch(8, department=department)
    paginator = LargeTablePaginator(Matter.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.count_is_exact, paginator.count_display) == (6, False, "5+")
    assert [m.pk for m in paginator.page(4).object_list] == [m.pk for m in matters[6:8]]
    with pytest.raises(EmptyPage):
        paginator.page(5)


@pytest.mark.django_db
def test_the_paginator_counts_exactly_below_the_cap(department):
    factories.MatterFactory.create_batch(3, department=department)
    paginator = LargeTablePaginator(Matter.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.count_is_exact, paginator.num_pages) == (3, True, 2)
    with pytest.raises(EmptyPage):
        paginator.page(3)


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_an_unfiltered_list_shows_the_planners_estimate(department, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "max_exact_count", 2)
    factories.MatterFactory.create_batch(5, department=department)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE matters_matter")
    paginator = LargeTablePaginator(Matter.objects.order_by("pk"), 2)
    with CaptureQueriesContext(connection) as captured:
        count = paginator.count
    assert (count, paginator.count_is_estimate, paginator.count_display) == (5, True, "约 5")
    assert not count_queries(captured.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_filtered_list_is_counted_with_a_cap(department, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "max_exact_count", 2)
    factories.MatterFactory.create_batch(5, department=department)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE matters_matter")
    paginator = LargeTablePaginator(Matter.objects.filter(department=department).order_by("pk"), 2)
    assert (paginator.count, paginator.count_is_estimate, paginator.count_display) == (3, False, "2+")


# --- Paginated inlines ---------------------------------------------------------------


@pytest.fixture
def matter_with_materials(matter):
    for i in range(1, 26):
        factories.MaterialRequirementFactory(matter=matter, sort_order=i, name=f"材料{i:02d}")
    return matter


def change_url(matter, **params):
    url = reverse("admin:matters_matter_change", args=[matter.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_materials_inline_shows_one_page_of_rows(editor_client, matter_with_materials):
    page = editor_client.get(change_url(matter_with_materials)).content.decode()
    assert 'name="materials-TOTAL_FORMS" value="10"' in page
    assert "材料01" in page
    assert "材料11" not in page
    assert "申请材料共 25 条，第 1/3 页" in page
    assert "?materials_page=3" in page


def test_another_page_of_materials_opens_from_its_link(editor_client, matter_with_materials):
    page = editor_client.get(change_url(matter_with_materials, materials_page=3)).content.decode()
    assert 'name="materials-TOTAL_FORMS" value="5"' in page
    assert "材料21" in page
    assert "材料01" not in page


def test_a_page_number_out_of_range_shows_the_last_page(editor_client, matter_with_materials):
    page = editor_client.get(change_url(matter_with_materials, materials_page=99)).content.decode()
    assert "材料25" in page


def test_editing_a_row_on_page_3_saves_it_and_keeps_the_other_pages(editor_client, matter_with_materials):
    matter = matter_with_materials
    rows = list(MaterialRequirement.objects.filter(matter=matter).order_by("sort_order")[20:25])
    data = matter_form_data(matter)
    data.update(management_form("materials", total=len(rows), initial=len(rows)))
    for i, row in enumerate(rows):
        for name, value in model_to_dict(row, exclude=["sample", "blank_form"]).items():
            if isinstance(value, bool):
                if value:
                    data[f"materials-{i}-{name}"] = "on"
            else:
                data[f"materials-{i}-{name}"] = "" if value is None else value
    data["materials-0-name"] = "材料21（修订）"
    response = editor_client.post(change_url(matter, materials_page=3), data)
    assert response.status_code == 302
    names = list(
        MaterialRequirement.objects.filter(matter=matter)
        .order_by("sort_order")
        .values_list("name", flat=True)
    )
    assert len(names) == 25
    assert names[20] == "材料21（修订）"
    assert names[0] == "材料01"


def test_the_change_page_runs_the_same_queries_for_25_or_60_materials(editor_client, matter_with_materials):
    with CaptureQueriesContext(connection) as few:
        editor_client.get(change_url(matter_with_materials))
    for i in range(26, 61):
        factories.MaterialRequirementFactory(matter=matter_with_materials, sort_order=i, name=f"材料{i:02d}")
    with CaptureQueriesContext(connection) as many:
        editor_client.get(change_url(matter_with_materials))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_relations_inline_is_paginated_too(editor_client, matter, department):
    for target in factories.MatterFactory.create_batch(22, department=department):
        factories.MatterRelationFactory(matter=matter, related=target)
    page = editor_client.get(change_url(matter)).content.decode()
    assert 'name="relations-TOTAL_FORMS" value="20"' in page
    assert "?relations_page=2" in page
