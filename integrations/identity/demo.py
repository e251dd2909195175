"""The identity sandbox's demo registers: the demo accounts' and demo residents' identities, and
every demo enterprise, plus a few records that show the other answers.

Called by ``IdentityConfig.seed_demo`` (``manage.py seed_demo``) after the demo accounts and the
demo cases exist; safe to run again. With the demo data:

* ``demo-citizen`` verifies as 陈小明 with 442000199203157038 (matched);
* 442000193805028818 (梁伯坚) is a deceased person (deceased);
* 91442000MA580HLN1L is revoked (吊销) and 91442000MA5QRX3Q9G cancelled (注销).
"""

from django.apps import apps

DECEASED = ("梁伯坚", "442000193805028818")
EXTRA_ENTERPRISES = [
    ("91442000MA580HLN1L", "中山市旧城印务有限公司", "郑国华", "吊销"),
    ("91442000MA5QRX3Q9G", "中山市港湾贸易有限公司", "许丽萍", "注销"),
]
ENTERPRISE_STATUS_WORDS = {"active": "存续", "revoked": "吊销", "cancelled": "注销"}


def demo_people() -> list[tuple[str, str]]:
    """(name, ID number) of the people the demo knows (the same numbers as applications.demo)."""
    from applications import demo

    people = []
    for index, (_username, name, sex, birth, region) in (
        (301, demo.DEMO_CITIZEN),
        (302, demo.DEMO_ENTERPRISE_AGENT),
    ):
        people.append((name, demo.id_number(birth, region, sex, index)))
    people += [
        (name, demo.id_number(birth, region, sex, i))
        for i, (name, sex, birth, region) in enumerate(demo.RESIDENTS)
    ]
    people += [
        (name, demo.id_number(birth, region, sex, 200 + i))
        for i, (name, sex, birth, region) in enumerate(demo.WALK_INS)
    ]
    return people


def seed() -> tuple[int, int]:
    """Fill the sandbox's registers; return (people, enterprises)."""
    from integrations.sandbox import identity as sandbox

    people = demo_people()
    for name, number in people:
        sandbox.add_person(name, number)
    sandbox.add_person(*DECEASED, alive=False)

    from matters.management.commands.seed_demo import DEMO_ENTERPRISE

    sandbox.add_enterprise(
        DEMO_ENTERPRISE["uscc"], DEMO_ENTERPRISE["name"], DEMO_ENTERPRISE["legal_representative"]
    )
    usccs = {DEMO_ENTERPRISE["uscc"]}
    if apps.is_installed("enterprises"):
        Enterprise = apps.get_model("enterprises", "Enterprise")
        for uscc, name, legal, status in Enterprise.objects.values_list(
            "uscc", "name", "legal_representative", "status"
        ):
            sandbox.add_enterprise(uscc, name, legal, ENTERPRISE_STATUS_WORDS.get(status, "存续"))
            usccs.add(uscc)
    for uscc, name, legal, status in EXTRA_ENTERPRISES:
        sandbox.add_enterprise(uscc, name, legal, status)
        usccs.add(uscc)
    return len(people) + 1, len(usccs)
