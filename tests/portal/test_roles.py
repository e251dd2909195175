"""portal.roles: the role groups exist with their permissions after every migrate."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from portal import roles
from portal.models import CATALOGUE_EDITORS_GROUP, DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP


def codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_migrate_creates_the_three_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        DEPARTMENT_STAFF_GROUP,
        CATALOGUE_EDITORS_GROUP,
        SUPERVISORS_GROUP,
    }


@pytest.mark.django_db
def test_department_staff_edit_matters_and_their_rows_but_only_view_the_reference_tables():
    perms = codenames(DEPARTMENT_STAFF_GROUP)
    for model in ("matter", "matterstep", "materialrequirement", "matterrelation"):
        assert {f"matters.{a}_{model}" for a in ("view", "add", "change")} <= perms
    assert {
        "matters.view_department",
        "matters.view_region",
        "matters.view_theme",
        "matters.view_tag",
    } <= perms
    assert "matters.change_department" not in perms
    assert "matters.change_synonym" not in perms
    assert "portal.change_notice" not in perms


@pytest.mark.django_db
def test_catalogue_editors_manage_the_whole_catalogue_and_notices():
    perms = codenames(CATALOGUE_EDITORS_GROUP)
    for model in (
        "matter",
        "department",
        "theme",
        "tag",
        "synonym",
        "guidequestion",
        "guideoption",
        "region",
    ):
        assert {f"matters.{a}_{model}" for a in ("view", "add", "change", "delete")} <= perms
    assert "portal.change_notice" in perms
    assert not any(p.startswith("portal.") and p.endswith("_user") for p in perms)


@pytest.mark.django_db
def test_supervisors_only_view():
    perms = codenames(SUPERVISORS_GROUP)
    assert "matters.view_matter" in perms
    assert "matters.view_historicalmatter" in perms
    assert all(p.split(".")[1].startswith("view_") for p in perms)


@pytest.mark.django_db
def test_syncing_twice_changes_nothing():
    before = {name: codenames(name) for name in roles.ROLE_PERMISSIONS}
    roles.sync_role_groups()
    roles.sync_role_groups()
    assert {name: codenames(name) for name in roles.ROLE_PERMISSIONS} == before
    assert Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).count() == len(roles.ROLE_PERMISSIONS)


@pytest.mark.django_db
def test_migrate_restores_a_permission_removed_by_hand():
    group = Group.objects.get(name=DEPARTMENT_STAFF_GROUP)
    group.permissions.remove(Permission.objects.get(codename="change_matter"))
    call_command("migrate", verbosity=0)
    assert "matters.change_matter" in codenames(DEPARTMENT_STAFF_GROUP)


@pytest.mark.django_db
def test_migrate_recreates_a_deleted_group():
    Group.objects.filter(name=SUPERVISORS_GROUP).delete()
    call_command("migrate", verbosity=0)
    assert "matters.view_matter" in codenames(SUPERVISORS_GROUP)
