"""Load the demo hall: the Zhongshan catalogue and the demo accounts.

The accounts share one published password, so this command refuses to run with
production settings unless ``--force`` is given: no known password ever reaches a real
deployment by accident. Passwords are set only when an account is created, so a
password changed by hand survives ``make run``; ``--reset-passwords`` puts them back.

This command is the one place that wires the whole demo together, so it reaches the
enterprise and role models through the app registry rather than importing upward.
"""

import importlib
import time

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from matters import demo
from matters.cache import bump_catalogue_version
from matters.forms_spec import load_forms_file
from matters.models import Department, DepartmentMembership
from portal.models import DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - published on purpose; never created in production
DEMO_EMAIL_DOMAIN = "demo.zs.gov.example"
STAFF_DEPARTMENT = "中山市市场监督管理局"
DEMO_ENTERPRISE = {
    "name": "中山市粤中智造科技有限公司",
    # Registration authority 9 (市场监管), category 1 (企业), Zhongshan 442000, an MA… organisation
    # code with its GB 11714 check digit, then the GB 32100 check character.
    "uscc": "91442000MA52K7R32U",
    "legal_representative": "林志强",
    "registered_address": "中山市火炬开发区中心城区祥兴路6号数贸大厦南翼1201室",
    "region_code": "442000003000",
}

# username, what the account is for, user fields
ACCOUNTS = [
    (
        "admin",
        "超级管理员（后台全部权限）",
        {"real_name": "系统管理员", "is_staff": True, "is_superuser": True},
    ),
    ("demo-citizen", "市民：陈小明（个人办事）", {"real_name": "陈小明", "mobile": "13800138000"}),
    (
        "demo-enterprise",
        f"企业经办人：{DEMO_ENTERPRISE['name']}",
        {"real_name": "黄晓婷", "mobile": "13926012345"},
    ),
    (
        "demo-staff",
        f"部门工作人员（受理、审核、审批）：{STAFF_DEPARTMENT}",
        {"real_name": "李文华", "is_staff": True},
    ),
    ("demo-supervisor", "电子监察人员（全市）", {"real_name": "周建国", "is_staff": True}),
]


def sync_role_groups() -> bool:
    """Give the role groups their permissions (portal.roles, when that module exists)."""
    try:
        roles = importlib.import_module("portal.roles")
    except ImportError:
        return False
    sync = getattr(roles, "sync_role_groups", None)
    if sync is None:
        return False
    sync()
    return True


def _user(username: str, fields: dict, *, reset_password: bool) -> tuple:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    user.email = user.email or f"{username}@{DEMO_EMAIL_DOMAIN}"
    for name, value in fields.items():
        setattr(user, name, value)
    user.is_active = True
    if created or reset_password:
        user.set_password(DEMO_PASSWORD)
    user.save()
    if apps.is_installed("allauth.account"):
        EmailAddress = apps.get_model("account", "EmailAddress")
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    return user, created


@transaction.atomic
def ensure_demo_accounts(*, reset_passwords: bool = False) -> list[tuple[str, str, bool]]:
    """Create (or put right) the demo accounts and the demo enterprise; return (username, role, created)."""
    sync_role_groups()
    staff_group, _ = Group.objects.get_or_create(name=DEPARTMENT_STAFF_GROUP)
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISORS_GROUP)
    department = Department.objects.filter(name=STAFF_DEPARTMENT).first()
    if department is None:
        raise CommandError(
            f"The demo department {STAFF_DEPARTMENT} is missing: load the demo catalogue first."
        )

    users = {}
    report = []
    for username, role, fields in ACCOUNTS:
        users[username], created = _user(username, fields, reset_password=reset_passwords)
        report.append((username, role, created))

    users["demo-staff"].groups.add(staff_group)
    # A small window office: the demo officer can take a case from acceptance to completion.
    for staff_role in (
        DepartmentMembership.Role.CLERK,
        DepartmentMembership.Role.REVIEWER,
        DepartmentMembership.Role.APPROVER,
    ):
        DepartmentMembership.objects.get_or_create(
            user=users["demo-staff"], department=department, role=staff_role
        )
    users["demo-supervisor"].groups.add(supervisors)

    Enterprise = apps.get_model("enterprises", "Enterprise")
    EnterpriseMembership = apps.get_model("enterprises", "EnterpriseMembership")
    enterprise = Enterprise.objects.filter(uscc=DEMO_ENTERPRISE["uscc"]).first() or Enterprise()
    for name, value in DEMO_ENTERPRISE.items():
        setattr(enterprise, name, value)
    enterprise.full_clean()
    enterprise.save()
    EnterpriseMembership.objects.get_or_create(
        user=users["demo-enterprise"], enterprise=enterprise, role=EnterpriseMembership.Role.AGENT
    )
    return report


class Command(BaseCommand):
    help = "Load the Zhongshan demo catalogue and create the demo accounts (refuses production settings)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with production settings (creates accounts with a published password).",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set every demo account's password back to {DEMO_PASSWORD}.",
        )
        parser.add_argument("--no-accounts", action="store_true", help="Load the catalogue only.")

    def handle(self, *args, force=False, reset_passwords=False, no_accounts=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "seed_demo refuses to run with production settings (PORTAL_ENV=production): it creates "
                f"accounts whose password ({DEMO_PASSWORD}) is published. Use --force only on a "
                "throw-away copy, never on a real deployment."
            )
        started = time.monotonic()
        try:
            result = demo.load_demo()
        except demo.DemoDataError as e:
            raise CommandError(f"Demo data: {e}") from None
        self.stdout.write(f"Demo catalogue loaded in {time.monotonic() - started:.1f}s: {result.summary()}")
        specs = load_forms_file(demo.DEMO_ROOT / "forms.yaml")
        bump_catalogue_version()
        self.stdout.write(f"Demo application forms: {len(specs)} matters.")
        if not result.reindexed:
            self.stdout.write(
                self.style.WARNING("Search index not rebuilt (matters.search.reindex_queryset missing).")
            )
        if no_accounts:
            return
        accounts = ensure_demo_accounts(reset_passwords=reset_passwords)
        # Later parts of the hall (cases, ratings…) add their demo data through their app
        # config's ``seed_demo(stdout)``, so this command depends on none of them.
        for config in apps.get_app_configs():
            seed = getattr(config, "seed_demo", None)
            if callable(seed):
                seed(self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password {DEMO_PASSWORD} when created):"))
        width = max(len(username) for username, _, _ in accounts)
        for username, role, created in accounts:
            note = " (new)" if created else ""
            self.stdout.write(f"  {username.ljust(width)}  {role}{note}")
