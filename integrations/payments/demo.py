"""Demo data of the payment peer (``seed_demo`` calls ``seed`` through the app config).

* the online fees of the demo catalogue's fee-charging matters that state one flat amount
  in their 收费标准 (matters whose fee depends on the case, such as real-estate registration
  or vehicle plates, are left to the window);
* the sandbox bank's merchant key as a ``PeerCredential`` (key id and secret from
  ``PAYMENTS_SANDBOX_KEY_ID`` / ``PAYMENTS_SANDBOX_SECRET``), so the sandbox's signed
  notifications are accepted;
* ``demo-police``, a clerk/reviewer/approver of 中山市公安局, who can take a fee case from
  acceptance to completion (``demo-staff`` works for 市场监管局, whose matters are free).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from integrations import keys
from integrations.models import PeerCredential
from integrations.payments.models import MatterFee
from matters.models import Department, DepartmentMembership, Matter
from portal.models import DEPARTMENT_STAFF_GROUP

POLICE = "中山市公安局"
# (department, matter name, fee item, amount in fen, basis) — amounts as their 收费标准 states.
FEES = [
    (
        POLICE,
        "机动车驾驶证换证",
        "机动车驾驶证工本费",
        1000,
        "《机动车驾驶证申领和使用规定》；公安交通管理工本费标准",
    ),
    (
        POLICE,
        "居民身份证换领",
        "居民身份证工本费",
        2000,
        "《中华人民共和国居民身份证法》第二十条；发改价格〔2003〕2322号",
    ),
    (
        POLICE,
        "居民身份证首次申领",
        "居民身份证工本费",
        2000,
        "《中华人民共和国居民身份证法》第二十条；发改价格〔2003〕2322号",
    ),
    (POLICE, "临时居民身份证申领", "临时居民身份证工本费", 1000, "《中华人民共和国居民身份证法》第二十条"),
    (
        POLICE,
        "居民身份证挂失补领",
        "居民身份证工本费",
        2000,
        "《中华人民共和国居民身份证法》第二十条；发改价格〔2003〕2322号",
    ),
    (POLICE, "往来港澳通行证签注", "往来港澳通行证签注费", 1500, "出入境证件收费标准"),
    (POLICE, "往来港澳通行证签发", "电子往来港澳通行证证件费", 6000, "出入境证件收费标准"),
    (POLICE, "普通护照签发", "普通护照证件费", 12000, "出入境证件收费标准"),
    (POLICE, "往来台湾通行证签发", "电子往来台湾通行证证件费", 6000, "出入境证件收费标准"),
]
DEMO_STAFF = (
    "demo-police",
    "部门工作人员（受理、审核、审批）：中山市公安局（收费事项）",
    {"real_name": "赵志刚", "is_staff": True},
)


@transaction.atomic
def seed_fees() -> int:
    count = 0
    for department, name, item, amount, basis in FEES:
        matter = Matter.objects.filter(department__name=department, name=name, fee_required=True).first()
        if matter is None or not matter.online_payment:
            continue
        MatterFee.objects.update_or_create(
            matter=matter,
            defaults={"item_name": item, "amount_fen": amount, "basis": basis, "is_active": True},
        )
        count += 1
    return count


@transaction.atomic
def seed_sandbox_key() -> PeerCredential | None:
    """The PeerCredential matching the sandbox bank's key (only when the sandbox is on)."""
    if not (settings.SANDBOX_ENABLED and settings.PAYMENTS_SANDBOX_SECRET):
        return None
    credential, _created = PeerCredential.objects.update_or_create(
        key_id=settings.PAYMENTS_SANDBOX_KEY_ID,
        defaults={
            "peer": "payments",
            "name": "沙箱银行（演示）",
            "note": "seed_demo: PAYMENTS_SANDBOX_KEY_ID / PAYMENTS_SANDBOX_SECRET",
            "secret_encrypted": keys.encrypt(settings.PAYMENTS_SANDBOX_SECRET),
            "is_active": True,
        },
    )
    return credential


def seed_staff() -> str | None:
    from matters.management.commands.seed_demo import _user

    department = Department.objects.filter(name=POLICE).first()
    if department is None:
        return None
    username, _role, fields = DEMO_STAFF
    user, _created = _user(username, fields, reset_password=False)
    user.groups.add(Group.objects.get_or_create(name=DEPARTMENT_STAFF_GROUP)[0])
    for role in (
        DepartmentMembership.Role.CLERK,
        DepartmentMembership.Role.REVIEWER,
        DepartmentMembership.Role.APPROVER,
    ):
        DepartmentMembership.objects.get_or_create(user=user, department=department, role=role)
    return username


def seed(stdout) -> None:
    fees = seed_fees()
    credential = seed_sandbox_key()
    staff = seed_staff()
    stdout.write(
        f"Payments: {fees} matters charge online; sandbox bank key {'ready' if credential else 'not set'}."
    )
    if staff:
        stdout.write(f"  {staff}  {DEMO_STAFF[1]} (password as the other demo accounts)")
