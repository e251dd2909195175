"""Demo data of the e-licence peer (``manage.py seed_demo``, through ``ElicencesConfig.seed_demo``).

* Matters that yield an e-licence when completed (``ResultLicenceType``): 食品经营许可,
  小餐饮经营许可, 个体工商户设立登记 (when the demo catalogue has them).
* With the sandbox on, the demo accounts' licences in the sandbox library: 陈小明's 居民身份证 and
  居民户口簿; the demo enterprise's 营业执照 and 食品经营许可证 (valid), a 食品生产许可证 that
  expired and a 药品经营许可证 that was revoked; 黄晓婷's 居民身份证. Matched by identifier, so a
  second run writes nothing new.
"""

import datetime
from types import SimpleNamespace

from django.conf import settings

from integrations.elicences import identifiers
from integrations.elicences.models import (
    HolderCodeType,
    LicenceStatus,
    ResultLicenceType,
    SandboxLicence,
    TrustLevel,
)

ID_CARD = "111000000000133895001"
HOUSEHOLD = "111000000000133895002"
BUSINESS = "11100000000013127D001"
FOOD_BUSINESS = "11100000000013127D004"
SMALL_CATERING = "11100000000013127D005"
FOOD_PRODUCTION = "11100000000013127D006"
DRUG_RETAIL = "11100000000013127D007"
POLICE = ("中山市公安局", "11442000070068959T")
MARKET = ("中山市市场监督管理局", "11442000070289591B")

# matter name, type code, type name, validity years (0 = long-term), number prefix
RESULT_TYPES = [
    ("食品经营许可", FOOD_BUSINESS, "食品经营许可证", 5, "JY"),
    ("小餐饮经营许可", SMALL_CATERING, "广东省小餐饮经营许可证", 3, "GDXC"),
    ("个体工商户设立登记", BUSINESS, "营业执照", 0, "GT"),
]


def seed_result_types() -> int:
    from matters.models import Matter

    count = 0
    for matter_name, code, name, years, prefix in RESULT_TYPES:
        matter = Matter.objects.filter(name=matter_name).first()
        if matter is None:
            continue
        ResultLicenceType.objects.get_or_create(
            matter=matter,
            defaults={"type_code": code, "type_name": name, "validity_years": years, "number_prefix": prefix},
        )
        count += 1
    return count


def _people() -> dict:
    from applications.demo import DEMO_CITIZEN, DEMO_ENTERPRISE_AGENT, id_number
    from matters.management.commands.seed_demo import DEMO_ENTERPRISE

    _u, citizen, sex, birth, region = DEMO_CITIZEN
    _a, agent, agent_sex, agent_birth, agent_region = DEMO_ENTERPRISE_AGENT
    return {
        "citizen": (citizen, id_number(birth, region, sex, 301)),
        "agent": (agent, id_number(agent_birth, agent_region, agent_sex, 302)),
        "enterprise": (DEMO_ENTERPRISE["name"], DEMO_ENTERPRISE["uscc"]),
    }


def demo_licences(today: datetime.date | None = None) -> list[dict]:
    today = today or datetime.date.today()
    people = _people()
    citizen, agent, enterprise = people["citizen"], people["agent"], people["enterprise"]
    address = "中山市火炬开发区中心城区祥兴路6号数贸大厦南翼1201室"

    def licence(holder, code_type, type_code, type_name, issuer, serial, number, issued, until, **extra):
        return {
            "identifier": identifiers.build(type_code, issuer[1], serial, 1),
            "licence_number": number,
            "type_code": type_code,
            "type_name": type_name,
            "holder_name": holder[0],
            "holder_code": holder[1],
            "holder_code_type": code_type,
            "issuer_name": issuer[0],
            "issuer_code": issuer[1],
            "issue_date": issued,
            "valid_from": issued,
            "valid_until": until,
            "status": extra.pop("status", LicenceStatus.VALID),
            "trust_level": extra.pop("trust_level", TrustLevel.A),
            "data": extra.pop("data", {}),
        }

    year = datetime.timedelta(days=365)
    person, org = HolderCodeType.ID_CARD, HolderCodeType.USCC
    return [
        licence(
            citizen,
            person,
            ID_CARD,
            "居民身份证",
            POLICE,
            "2019000301",
            citizen[1],
            today - 5 * year,
            today + 5 * year,
            data={"住址": "广东省中山市石岐街道民生路18号"},
        ),
        licence(
            citizen,
            person,
            HOUSEHOLD,
            "居民户口簿",
            POLICE,
            "2015000301",
            "442000015301",
            today - 9 * year,
            None,
            trust_level=TrustLevel.B,
            data={"户别": "家庭户", "户主姓名": citizen[0]},
        ),
        licence(
            agent,
            person,
            ID_CARD,
            "居民身份证",
            POLICE,
            "2021000302",
            agent[1],
            today - 3 * year,
            today + 7 * year,
        ),
        licence(
            enterprise,
            org,
            BUSINESS,
            "营业执照",
            MARKET,
            "2023000101",
            enterprise[1],
            today - 2 * year,
            None,
            data={
                "类型": "有限责任公司（自然人投资或控股）",
                "法定代表人": "林志强",
                "住所": address,
                "经营范围": "工业自动化设备研发、销售；软件开发；食品销售（仅销售预包装食品）",
            },
        ),
        licence(
            enterprise,
            org,
            FOOD_BUSINESS,
            "食品经营许可证",
            MARKET,
            "2024000102",
            "JY14420000123456",
            today - year,
            today + 4 * year,
            data={"经营场所": address, "经营项目": "预包装食品销售"},
        ),
        licence(
            enterprise,
            org,
            FOOD_PRODUCTION,
            "食品生产许可证",
            MARKET,
            "2019000103",
            "SC10644200000123",
            today - 6 * year,
            today - 30 * datetime.timedelta(days=1),
            data={"食品类别": "饮料"},
        ),
        licence(
            enterprise,
            org,
            DRUG_RETAIL,
            "药品经营许可证",
            MARKET,
            "2022000104",
            "粤CB7600123",
            today - 2 * year,
            today + 3 * year,
            status=LicenceStatus.REVOKED,
        ),
    ]


def seed_sandbox(today: datetime.date | None = None) -> int:
    from integrations.elicences import pdf

    created = 0
    for values in demo_licences(today):
        if SandboxLicence.objects.filter(identifier=values["identifier"]).exists():
            continue
        content = pdf.render(SimpleNamespace(**values))
        SandboxLicence.objects.create(**values, file_name=f"{values['type_name']}.pdf", file_content=content)
        created += 1
    return created


def seed(stdout=None) -> None:
    types = seed_result_types()
    created = seed_sandbox() if getattr(settings, "SANDBOX_ENABLED", False) else 0
    if stdout is not None:
        stdout.write(f"E-licences: {types} matters yield e-licences; {created} demo licences in the sandbox.")
