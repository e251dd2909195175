"""Generate N synthetic but plausible matters for benchmarks (``make bench``).

Names are composed from realistic parts (a town, a regulated activity, an action), spread
over the demo departments; every matter satisfies the catalogue consistency rules and has
3–6 materials and 2–4 steps. Rows are written with ``bulk_create`` in batches (no per-row
signals or history), then the search index is rebuilt once. Basic codes start with ``49``,
a range the demo catalogue never uses, and continue after the last one generated, so the
command can be run again to add more.
"""

import random
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from matters import codes, demo
from matters.cache import bump_catalogue_version
from matters.models import MaterialRequirement, Matter, MatterStep, Theme

BULK_PREFIX = "49"
SUPERVISION_PHONE = "0760-88312345"
CONSULTATION_PHONE = "0760-88316000"
TOWNS = [
    "",
    "石岐街道",
    "东区街道",
    "火炬开发区",
    "西区街道",
    "南区街道",
    "小榄镇",
    "黄圃镇",
    "东凤镇",
    "古镇镇",
    "沙溪镇",
    "坦洲镇",
    "港口镇",
    "三角镇",
    "横栏镇",
    "南头镇",
    "阜沙镇",
    "三乡镇",
    "板芙镇",
    "大涌镇",
    "神湾镇",
]
# Actions: (suffix, matter type, promised days to choose from, result name suffix or "").
LICENCE = [
    ("许可（新办）", codes.MatterType.LICENSING, (5, 10, 15, 20), "许可证"),
    ("许可（变更）", codes.MatterType.LICENSING, (3, 5, 10), "许可证"),
    ("许可（延续）", codes.MatterType.LICENSING, (5, 10, 15), "许可证"),
    ("许可（注销）", codes.MatterType.LICENSING, (0, 3, 5), ""),
    ("许可证补办", codes.MatterType.LICENSING, (0, 3), "许可证"),
]
FILING = [
    ("备案", codes.MatterType.OTHER_POWER, (0, 3, 5), ""),
    ("备案变更", codes.MatterType.OTHER_POWER, (0, 3), ""),
    ("备案注销", codes.MatterType.OTHER_POWER, (0,), ""),
]
REGISTRATION = [
    ("首次注册", codes.MatterType.LICENSING, (10, 15, 20), "证书"),
    ("变更注册", codes.MatterType.LICENSING, (5, 10), "证书"),
    ("延续注册", codes.MatterType.LICENSING, (5, 10), "证书"),
    ("注销注册", codes.MatterType.LICENSING, (0, 3), ""),
]
CONFIRMATION = [
    ("认定", codes.MatterType.CONFIRMATION, (10, 15, 20), "证书"),
    ("证书补发", codes.MatterType.PUBLIC_SERVICE, (0, 3, 5), "证书"),
    ("信息变更", codes.MatterType.PUBLIC_SERVICE, (0, 3), ""),
]
SUBSIDY = [("补贴申领", codes.MatterType.BENEFIT, (10, 15, 20), "")]
REWARD = [("奖励申报", codes.MatterType.REWARD, (15, 20), "奖励决定书")]
DISPUTE = [("争议裁决", codes.MatterType.ADJUDICATION, (20, 30), "裁决书")]
QUERY = [("信息查询", codes.MatterType.PUBLIC_SERVICE, (0, 1, 3), "")]

# (activity, audience, the actions that make a real matter name with it)
ACTIVITIES = [
    ("道路货物运输经营", "enterprise", LICENCE),
    ("道路旅客运输经营", "enterprise", LICENCE),
    ("机动车维修经营", "enterprise", FILING),
    ("建筑施工企业安全生产", "enterprise", LICENCE),
    ("房地产开发企业资质", "enterprise", CONFIRMATION),
    ("商品房预售", "enterprise", LICENCE),
    ("燃气经营", "enterprise", LICENCE),
    ("城镇污水排入排水管网", "enterprise", LICENCE),
    ("临时占用城市道路", "both", LICENCE),
    ("户外广告设施设置", "enterprise", LICENCE),
    ("医疗机构执业", "enterprise", LICENCE),
    ("公共场所卫生", "enterprise", LICENCE),
    ("药品零售企业经营", "enterprise", LICENCE),
    ("第二类医疗器械经营", "enterprise", FILING),
    ("娱乐场所经营", "enterprise", LICENCE),
    ("旅行社业务经营", "enterprise", LICENCE),
    ("出版物零售", "both", FILING),
    ("人力资源服务", "enterprise", LICENCE),
    ("劳务派遣经营", "enterprise", LICENCE),
    ("养老机构", "enterprise", FILING),
    ("危险化学品经营", "enterprise", LICENCE),
    ("烟花爆竹零售经营", "both", LICENCE),
    ("农药经营", "both", LICENCE),
    ("兽药经营", "both", LICENCE),
    ("水产苗种生产", "both", LICENCE),
    ("林木采伐", "both", LICENCE),
    ("取水", "both", LICENCE),
    ("单用途商业预付卡", "enterprise", FILING),
    ("再生资源回收经营者", "enterprise", FILING),
    ("医师执业", "citizen", REGISTRATION),
    ("护士执业", "citizen", REGISTRATION),
    ("执业药师", "citizen", REGISTRATION),
    ("教师资格", "citizen", CONFIRMATION),
    ("职业技能等级", "citizen", CONFIRMATION),
    ("专业技术人员职称", "citizen", CONFIRMATION),
    ("高新技术产品", "enterprise", CONFIRMATION),
    ("就业见习", "enterprise", SUBSIDY),
    ("企业稳岗", "enterprise", SUBSIDY),
    ("职业培训", "citizen", SUBSIDY),
    ("高校毕业生基层就业", "citizen", SUBSIDY),
    ("困难残疾人生活", "citizen", SUBSIDY),
    ("科学技术进步", "enterprise", REWARD),
    ("专利", "both", REWARD),
    ("标准化", "enterprise", REWARD),
    ("见义勇为", "citizen", REWARD),
    ("林木林地权属", "both", DISPUTE),
    ("土地权属", "both", DISPUTE),
    ("水事", "both", DISPUTE),
    ("社会保险缴费", "both", QUERY),
    ("不动产登记", "both", QUERY),
    ("企业信用", "enterprise", QUERY),
]
LEGAL_BASIS = {
    codes.MatterType.LICENSING: "《中华人民共和国行政许可法》",
    codes.MatterType.OTHER_POWER: "《优化营商环境条例》",
    codes.MatterType.CONFIRMATION: "《中华人民共和国行政许可法》第十二条",
    codes.MatterType.PUBLIC_SERVICE: "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》",
    codes.MatterType.BENEFIT: "《中华人民共和国就业促进法》",
    codes.MatterType.REWARD: "《广东省科学技术奖励办法》",
    codes.MatterType.ADJUDICATION: "《中华人民共和国土地管理法》第十四条",
}
MATERIALS = [
    ("申请书", "applicant", 1, 0, "需申请人签名或加盖公章"),
    ("申请人身份证明", "elicence", 0, 1, "居民身份证或营业执照"),
    ("法定代表人身份证明书", "applicant", 1, 0, "加盖公章"),
    ("授权委托书及受托人身份证明", "applicant", 1, 1, "委托办理时提交"),
    ("经营场所使用证明（产权证明或租赁合同）", "applicant", 0, 1, "租赁期不少于一年"),
    ("相关资质证书", "government", 0, 1, "在有效期内"),
    ("主要设备设施清单", "applicant", 1, 0, "加盖公章"),
    ("安全管理制度文本", "applicant", 1, 0, ""),
    ("从业人员资格证明", "government", 0, 1, "复印件需加盖公章"),
    ("场所平面布局图", "applicant", 1, 0, "标明功能分区和面积"),
    ("原许可证正副本", "government", 1, 0, "变更、延续、注销时提交"),
    ("专业技术人员名单及职称证明", "applicant", 1, 1, ""),
]
STEPS = [
    ("申请", "申请人通过中山市政务服务网或窗口提交申请材料", "申请人"),
    ("受理", "窗口工作人员核对材料，材料齐全、符合法定形式的予以受理", "窗口工作人员"),
    ("审查", "承办人对申请材料进行审查，必要时组织现场核查", "承办人"),
    ("决定", "审批负责人作出准予或不予许可的决定", "审批负责人"),
    ("送达", "通过邮寄或窗口领取方式送达办理结果", "窗口工作人员"),
]


def _next_serial() -> int:
    last = (
        Matter.objects.filter(basic_code__startswith=BULK_PREFIX)
        .order_by("-basic_code")
        .values_list("basic_code", flat=True)
        .first()
    )
    return int(last[len(BULK_PREFIX) :]) + 1 if last else 1


def _steps(rng: random.Random, promised: int) -> list[tuple[str, str, str, int]]:
    count = rng.randint(2, 4)
    chosen = [STEPS[0], *rng.sample(STEPS[1:], count - 1)]
    chosen.sort(key=STEPS.index)
    # Durations add up to no more than the promised limit (rule 8).
    budget = promised
    rows = []
    for name, description, handler in chosen:
        days = 0 if name == "申请" or budget == 0 else rng.randint(0, max(0, budget // 2))
        budget -= days
        rows.append((name, description, handler, days))
    return rows


class Command(BaseCommand):
    help = "Create N synthetic published matters for benchmarks (basic codes 49…)."

    def add_arguments(self, parser):
        parser.add_argument("--matters", type=int, default=10_000, help="How many matters to create.")
        parser.add_argument("--batch-size", type=int, default=1_000)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same names).")

    def handle(self, *args, matters: int, batch_size: int, seed: int, **options):
        if matters < 1:
            raise CommandError("--matters must be at least 1.")
        started = time.monotonic()
        frame = demo.load_frame()  # idempotent: writes nothing when the frame is there
        departments = sorted(frame.departments.values(), key=lambda d: d.sort_order)
        themes = {
            audience: list(Theme.objects.filter(audience=audience).order_by("sort_order"))
            for audience in ("citizen", "enterprise")
        }
        first = _next_serial()
        if first + matters > 10**10:
            raise CommandError("The 49… basic code range is exhausted.")
        sample = self._shared_sample(departments[0])
        rng = random.Random(seed + first)  # noqa: S311 - synthetic data, not secrets
        now = timezone.now()
        created_pks: list[int] = []
        for offset in range(0, matters, batch_size):
            size = min(batch_size, matters - offset)
            with transaction.atomic():
                created_pks += self._batch(
                    rng, first + offset, size, departments, frame.city, themes, sample, now
                )
            self.stdout.write(f"  {offset + size}/{matters} matters written")
        written = time.monotonic() - started
        reindexed = demo.reindex(created_pks) if created_pks else False
        bump_catalogue_version()  # bulk_create sends no signals: cached pages must not stay stale
        if not reindexed:
            self.stdout.write(self.style.WARNING("Search index not rebuilt (matters.search is missing)."))
        total = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {matters} matters (basic codes {BULK_PREFIX}{first:010d}–"
                f"{BULK_PREFIX}{first + matters - 1:010d}) in {written:.1f}s, "
                f"search index rebuilt in {total - written:.1f}s ({total:.1f}s in all)."
            )
        )

    def _shared_sample(self, department) -> str:
        """One result sample file shared by every synthetic matter (rule 6 wants one)."""
        probe = Matter(
            implementation_code="bulk-sample",
            name="行政审批事项",
            result_name="行政许可决定书",
            department=department,
        )
        return demo.ensure_result_sample(probe)

    def _batch(self, rng, first_serial, size, departments, city, themes, sample, now) -> list[int]:
        matters = []
        plans = []
        for n in range(size):
            serial = first_serial + n
            department = departments[serial % len(departments)]
            activity, audience, actions = rng.choice(ACTIVITIES)
            action, matter_type, promised_choices, result = rng.choice(actions)
            town = rng.choice(TOWNS)
            promised = rng.choice(promised_choices)
            immediate = promised == 0
            online_full = rng.random() < 0.45
            fee = rng.random() < 0.15
            basic_code = f"{BULK_PREFIX}{serial:010d}"
            matter = Matter(
                basic_code=basic_code,
                implementation_code=codes.build_implementation_code(
                    department.uscc, codes.Level.CITY, basic_code
                ),
                name=f"{town}{activity}{action}",
                summary=f"{department.short_name or department.name}办理的{activity}{action}事项。",
                matter_type=matter_type,
                level=codes.Level.CITY,
                department=department,
                region=city,
                audience=audience,
                service_objects=["1"]
                if audience == "citizen"
                else (["2"] if audience == "enterprise" else ["1", "2"]),
                legal_basis=f"{LEGAL_BASIS[matter_type]}；《广东省{activity}管理办法》",
                acceptance_conditions=f"申请人符合{activity}的法定条件，申请材料齐全、符合法定形式。",
                legal_limit_days=max(20, promised),
                promised_limit_days=promised,
                case_type=codes.CaseType.IMMEDIATE if immediate else codes.CaseType.PROMISED,
                review_type=codes.ReviewType.IMMEDIATE if immediate else codes.ReviewType.REVIEW_THEN_APPROVE,
                fee_required=fee,
                fee_basis="《广东省行政事业性收费项目目录》" if fee else "",
                fee_standard="按国家和省规定的标准收取" if fee else "",
                handling_place=f"中山市行政服务中心{department.short_name or ''}窗口（中山市东区松苑路1号）",
                handling_hours="工作日 8:30-12:00，14:30-17:30",
                consultation_phone=department.phone
                if department.phone and department.phone != SUPERVISION_PHONE
                else CONSULTATION_PHONE,
                supervision_phone=SUPERVISION_PHONE,
                onsite_visits=0 if online_full else 1,
                onsite_visits_reason="" if online_full else "需现场核验原件并领取办理结果",
                online_depth=codes.OnlineDepth.FULL if online_full else codes.OnlineDepth.APPLY,
                handling_forms=["1", "2", "3"],
                online_apply=True,
                appointment=not online_full,
                online_payment=fee and online_full,
                express_delivery=True,
                result_type=codes.ResultType.CERTIFICATE if result else codes.ResultType.APPROVAL,
                result_name=f"{activity}{result}" if result else "",
                result_sample=sample if result else "",
                status=codes.Status.PUBLISHED,
                published_at=now,
                popularity=rng.randint(0, 300),
            )
            steps = _steps(rng, promised)
            materials = rng.sample(MATERIALS, rng.randint(3, 6))
            try:
                # The consistency rules; field-level validation of generated values is left to the
                # tests (tests/matters/test_seed_bulk.py runs full_clean on every generated matter).
                matter.clean()
                matter.clean_steps([MatterStep(duration_days=days) for *_, days in steps])
            except ValidationError as e:
                raise CommandError(f"Generated matter {matter.name} breaks a rule: {e}") from e
            matters.append(matter)
            plans.append((steps, materials, themes[audience if audience != "both" else "enterprise"]))
        Matter.objects.bulk_create(matters, batch_size=500)

        step_rows, material_rows, theme_rows = [], [], []
        for matter, (steps, materials, audience_themes) in zip(matters, plans, strict=True):
            step_rows += [
                MatterStep(
                    matter_id=matter.pk,
                    sort_order=i,
                    name=name,
                    description=description,
                    handler=handler,
                    duration_days=days,
                )
                for i, (name, description, handler, days) in enumerate(steps, start=1)
            ]
            material_rows += [
                MaterialRequirement(
                    matter_id=matter.pk,
                    sort_order=i,
                    name=name,
                    source=source,
                    licence_type_code="11100000000013338W032" if source == "elicence" else "",
                    originals=originals,
                    copies=copies,
                    specification=specification,
                    necessity=MaterialRequirement.Necessity.REQUIRED,
                )
                for i, (name, source, originals, copies, specification) in enumerate(materials, start=1)
            ]
            if audience_themes:
                theme = audience_themes[matter.pk % len(audience_themes)]
                theme_rows.append(Matter.themes.through(matter_id=matter.pk, theme_id=theme.pk))
        MatterStep.objects.bulk_create(step_rows, batch_size=2000)
        MaterialRequirement.objects.bulk_create(material_rows, batch_size=2000)
        Matter.themes.through.objects.bulk_create(theme_rows, batch_size=2000)
        return [m.pk for m in matters]
