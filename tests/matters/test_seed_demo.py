"""manage.py seed_demo: the demo accounts, their roles, and the refusal to run in production."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from enterprises.models import Enterprise, EnterpriseMembership
from matters import demo
from matters.management.commands.seed_demo import DEMO_PASSWORD, ensure_demo_accounts
from matters.models import DepartmentMembership
from portal.models import DEPARTMENT_STAFF_GROUP, User
from portal.validators import validate_uscc

pytestmark = pytest.mark.django_db

USERNAMES = ["admin", "demo-citizen", "demo-enterprise", "demo-staff", "demo-supervisor"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Five accounts hashed with PBKDF2 per test would dominate the run; the rule is the same.
    The demo cases have their own tests (tests/applications/test_demo_cases.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEMO_CASE_COUNT = 0


@pytest.fixture
def accounts():
    """The accounts need only the frame (the staff member's department), not the whole catalogue."""
    demo.load_frame()
    return ensure_demo_accounts()


def test_every_demo_account_signs_in_with_the_demo_password(accounts):
    for username in USERNAMES:
        assert authenticate(username=username, password="Demo@2026") is not None, username


def test_admin_is_a_superuser(accounts):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_the_demo_citizen_is_chen_xiaoming_with_a_mobile(accounts):
    citizen = User.objects.get(username="demo-citizen")
    assert citizen.real_name == "陈小明"
    assert citizen.mobile
    assert not citizen.is_staff


def test_the_demo_enterprise_account_is_an_agent_of_the_demo_enterprise(accounts):
    membership = EnterpriseMembership.objects.get(user__username="demo-enterprise")
    assert membership.role == EnterpriseMembership.Role.AGENT
    assert membership.enterprise.name == "中山市粤中智造科技有限公司"


def test_the_demo_enterprise_has_a_well_formed_business_uscc(accounts):
    enterprise = Enterprise.objects.get(name="中山市粤中智造科技有限公司")
    validate_uscc(enterprise.uscc)
    assert enterprise.uscc.startswith("91442000")


def test_demo_staff_accepts_reviews_and_approves_for_the_market_regulation_bureau(accounts):
    staff = User.objects.get(username="demo-staff")
    memberships = DepartmentMembership.objects.filter(user=staff)
    assert staff.is_staff and not staff.is_superuser
    assert DEPARTMENT_STAFF_GROUP in staff.group_names
    assert {m.department.name for m in memberships} == {"中山市市场监督管理局"}
    assert {m.role for m in memberships} == {
        DepartmentMembership.Role.CLERK,
        DepartmentMembership.Role.REVIEWER,
        DepartmentMembership.Role.APPROVER,
    }


def test_demo_supervisor_is_a_supervisor(accounts):
    supervisor = User.objects.get(username="demo-supervisor")
    assert supervisor.is_staff
    assert supervisor.is_supervisor


def test_a_second_run_keeps_a_changed_password(accounts):
    citizen = User.objects.get(username="demo-citizen")
    citizen.set_password("Another@2026x")
    citizen.save()

    ensure_demo_accounts()

    assert authenticate(username="demo-citizen", password="Another@2026x") is not None


def test_reset_passwords_puts_the_demo_password_back(accounts):
    citizen = User.objects.get(username="demo-citizen")
    citizen.set_password("Another@2026x")
    citizen.save()

    ensure_demo_accounts(reset_passwords=True)

    assert authenticate(username="demo-citizen", password=DEMO_PASSWORD) is not None


def test_a_second_run_creates_no_duplicates(accounts):
    ensure_demo_accounts()

    assert User.objects.filter(username__in=USERNAMES).count() == 5
    assert EnterpriseMembership.objects.count() == 1
    assert DepartmentMembership.objects.count() == 3
    assert Enterprise.objects.count() == 1


def test_seed_demo_refuses_production_settings_without_force(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="refuses to run with production settings"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.exists()


def test_seed_demo_loads_the_catalogue_and_prints_the_accounts():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    for username in USERNAMES:
        assert username in out.getvalue()
    assert "Demo@2026" in out.getvalue()
    assert User.objects.filter(username__in=USERNAMES).count() == 5
