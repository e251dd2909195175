"""Least privilege in the catalogue back office: who sees and edits which matters."""

import pytest
from django.urls import reverse

from matters import codes
from matters.models import DepartmentMembership, Matter
from tests import factories
from tests.matters.test_admin_helpers import (
    make_department_staff,
    make_editor,
    make_supervisor,
    matter_form_data,
)

CHANGELIST = "admin:matters_matter_changelist"


def change_url(matter):
    return reverse("admin:matters_matter_change", args=[matter.pk])


@pytest.fixture
def department_staff(department):
    return make_department_staff(department, username="dept-staff")


@pytest.fixture
def outsider(other_department):
    return make_department_staff(other_department, username="outsider")


@pytest.fixture
def supervisor(db):
    return make_supervisor(username="supervisor")


@pytest.fixture
def editor(db):
    return make_editor(username="editor")


@pytest.fixture
def foreign_matter(other_department):
    return factories.MatterFactory(department=other_department, name="居民身份证换领")


def test_a_catalogue_editor_sees_every_departments_matters(client, editor, matter, foreign_matter):
    client.force_login(editor)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "食品经营许可证核发" in page
    assert "居民身份证换领" in page


def test_department_staff_see_only_their_departments_matters(
    client, department_staff, matter, foreign_matter
):
    client.force_login(department_staff)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "食品经营许可证核发" in page
    assert "居民身份证换领" not in page


def test_department_staff_get_404_on_another_departments_matter(client, department_staff, foreign_matter):
    client.force_login(department_staff)
    assert client.get(change_url(foreign_matter)).status_code == 404


def test_department_staff_get_404_on_another_departments_history(client, department_staff, foreign_matter):
    client.force_login(department_staff)
    url = reverse("admin:matters_matter_history", args=[foreign_matter.pk])
    assert client.get(url).status_code == 404


def test_department_staff_get_404_on_a_past_version_of_another_departments_matter(
    client, department_staff, foreign_matter
):
    client.force_login(department_staff)
    version = foreign_matter.history.first()
    url = reverse("admin:matters_matter_simple_history", args=[foreign_matter.pk, version.history_id])
    assert client.get(url).status_code == 404


def test_department_staff_cannot_post_to_another_departments_matter(client, department_staff, foreign_matter):
    client.force_login(department_staff)
    response = client.post(change_url(foreign_matter), matter_form_data(foreign_matter, name="篡改"))
    assert response.status_code == 404
    foreign_matter.refresh_from_db()
    assert foreign_matter.name == "居民身份证换领"


def test_department_staff_cannot_publish_another_departments_matter(
    client, department_staff, other_department
):
    draft = factories.MatterFactory(department=other_department, status=codes.Status.DRAFT)
    client.force_login(department_staff)
    response = client.post(reverse("admin:matters_matter_publish", args=[draft.pk]))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == codes.Status.DRAFT


def test_department_staff_edit_their_own_matter(client, department_staff, matter):
    client.force_login(department_staff)
    response = client.post(change_url(matter), matter_form_data(matter, name="食品经营许可（新办）"))
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.name == "食品经营许可（新办）"


def test_department_staff_cannot_move_their_matter_to_another_department(
    client, department_staff, matter, other_department
):
    client.force_login(department_staff)
    data = matter_form_data(matter, department=other_department.pk, implementation_code="")
    response = client.post(change_url(matter), data)
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    matter.refresh_from_db()
    assert matter.department == department_staff.departments.get()


def test_department_staff_are_offered_only_their_departments_in_the_autocomplete(
    client, department_staff, department, other_department
):
    client.force_login(department_staff)
    params = {"app_label": "matters", "model_name": "matter", "field_name": "department", "term": ""}
    results = client.get(reverse("admin:autocomplete"), params).json()["results"]
    assert [r["text"] for r in results] == [department.name]


def test_relations_may_point_to_any_published_matter(
    client, department_staff, foreign_matter, other_department
):
    factories.MatterFactory(department=other_department, name="居民身份证补领", status=codes.Status.DRAFT)
    client.force_login(department_staff)
    params = {
        "app_label": "matters",
        "model_name": "matterrelation",
        "field_name": "related",
        "term": "居民身份证",
    }
    results = client.get(reverse("admin:autocomplete"), params).json()["results"]
    assert [r["text"] for r in results] == ["居民身份证换领"]


def test_a_supervisor_sees_every_matter(client, supervisor, matter, foreign_matter):
    client.force_login(supervisor)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "食品经营许可证核发" in page
    assert "居民身份证换领" in page


def test_a_supervisor_views_a_matter_without_save_buttons(client, supervisor, matter):
    client.force_login(supervisor)
    response = client.get(change_url(matter))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in page
    assert "发布" not in page.split('class="object-tools"')[1].split("</ul>")[0]


def test_a_supervisors_post_is_refused(client, supervisor, matter):
    client.force_login(supervisor)
    response = client.post(change_url(matter), matter_form_data(matter, name="篡改"))
    assert response.status_code == 403
    matter.refresh_from_db()
    assert matter.name == "食品经营许可证核发"


def test_a_supervisor_cannot_withdraw_a_matter(client, supervisor, matter):
    client.force_login(supervisor)
    response = client.post(reverse("admin:matters_matter_withdraw", args=[matter.pk]), {"reason": "检查"})
    assert response.status_code == 403
    matter.refresh_from_db()
    assert matter.status == codes.Status.PUBLISHED


def test_staff_of_another_department_get_nothing(client, outsider, matter):
    client.force_login(outsider)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "食品经营许可证核发" not in page
    assert client.get(change_url(matter)).status_code == 404


def test_staff_without_the_role_group_get_no_catalogue_at_all(client, department, matter):
    bare = factories.UserFactory(is_staff=True)
    DepartmentMembership.objects.create(user=bare, department=department)
    client.force_login(bare)
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_department_staff_cannot_delete_a_published_matter(client, department_staff, matter):
    client.force_login(department_staff)
    response = client.post(reverse("admin:matters_matter_delete", args=[matter.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_department_staff_may_delete_a_draft(client, department_staff, department):
    draft = factories.MatterFactory(department=department, status=codes.Status.DRAFT)
    client.force_login(department_staff)
    response = client.post(reverse("admin:matters_matter_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Matter.objects.filter(pk=draft.pk).exists()


def test_department_staff_see_only_their_departments_change_log(
    client, department_staff, matter, foreign_matter
):
    client.force_login(department_staff)
    page = client.get(reverse("admin:matters_historicalmatter_changelist")).content.decode()
    assert "食品经营许可证核发" in page
    assert "居民身份证换领" not in page
