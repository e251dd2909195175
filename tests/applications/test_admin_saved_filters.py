"""Saved filters (常用筛选): each staff member keeps named views of the queue."""

from django.urls import reverse

from applications.models import SavedCaseFilter, State
from tests.applications.test_admin_helpers import listed, messages_of, queue_url

SAVE = "admin:applications_case_save_filter"


def test_a_saved_filter_keeps_the_lists_parameters_and_drops_the_page(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse(SAVE), {"name": "我的超期", "query": "deadline=overdue&p=3&evil=1&q=李四"})
    saved = SavedCaseFilter.objects.get(user=clerk)
    assert (saved.name, saved.query) == ("我的超期", "deadline=overdue&q=%E6%9D%8E%E5%9B%9B")
    assert response.url == queue_url(saved.query)
    assert "已保存常用筛选“我的超期”。" in messages_of(response)


def test_a_saved_filter_appears_on_the_queue_and_opens_its_list(client, build, clerk):
    build(State.SUBMITTED)
    accepted = build(State.ACCEPTED)
    client.force_login(clerk)
    client.post(reverse(SAVE), {"name": "已受理", "query": "state=accepted"})
    response = client.get(queue_url())
    saved = response.context["saved_filters"]
    assert [s["name"] for s in saved] == ["已受理"]
    opened = client.get(saved[0]["url"])
    assert listed(opened) == [accepted.serial]
    assert opened.context["saved_filters"][0]["active"]


def test_saving_under_the_same_name_replaces_the_filter(client, clerk):
    client.force_login(clerk)
    client.post(reverse(SAVE), {"name": "常用", "query": "state=accepted"})
    client.post(reverse(SAVE), {"name": "常用", "query": "state=submitted"})
    assert list(SavedCaseFilter.objects.filter(user=clerk).values_list("query", flat=True)) == [
        "state=submitted"
    ]


def test_another_staff_members_saved_filters_are_not_shown(client, clerk, reviewer):
    SavedCaseFilter.objects.create(user=reviewer, name="审核用", query="state=accepted")
    client.force_login(clerk)
    assert client.get(queue_url()).context["saved_filters"] == []


def test_a_saved_filter_is_deleted_only_by_its_owner(client, clerk, reviewer):
    theirs = SavedCaseFilter.objects.create(user=reviewer, name="审核用", query="state=accepted")
    mine = SavedCaseFilter.objects.create(user=clerk, name="我的", query="state=submitted")
    client.force_login(clerk)
    url = reverse("admin:applications_case_delete_filter", args=[theirs.pk])
    assert client.post(url).status_code == 404
    client.post(reverse("admin:applications_case_delete_filter", args=[mine.pk]))
    assert list(SavedCaseFilter.objects.values_list("name", flat=True)) == ["审核用"]


def test_a_saved_filter_needs_a_name(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse(SAVE), {"name": "", "query": "state=accepted"})
    assert not SavedCaseFilter.objects.exists()
    assert "请填写常用筛选的名称（不超过30个字）。" in messages_of(response)


def test_saving_a_filter_needs_post(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse(SAVE)).status_code == 405


def test_the_queue_offers_to_save_a_filtered_list(client, clerk):
    client.force_login(clerk)
    assert client.get(queue_url("state=accepted")).context["current_query"] == "state=accepted"
    assert client.get(queue_url()).context["current_query"] == ""
