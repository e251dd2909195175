"""Demo cases (办件) of the Zhongshan hall, so that the back office and the personal pages look
like a working hall on first run (``manage.py seed_demo`` calls ``seed_cases`` through
``ApplicationsConfig.seed_demo``, after the catalogue, the forms and the demo accounts).

What it writes, in one transaction:

* People: a few dozen demo residents (Chinese names, GB 11643 ID numbers with their check
  character, mobiles of the fictional pattern ``1xx 0760 nnnn``, e-mail under the ``.example``
  domain), a dozen fictional enterprises (GB 32100 codes) with residents as their agents, and
  per department a clerk, a reviewer and an approver (``department_staff`` group and
  ``DepartmentMembership`` roles). In 市场监督管理局 the existing ``demo-staff`` is the
  reviewer, with ``demo-clerk`` and ``demo-approver`` beside it.
* About 300 cases over the demo matters of every department, weighted to the everyday ones,
  through every channel (PC and mobile with their sub-channels, window registration, express,
  the provincial hall, a department's own system) and into every state, dated over the last
  ~90 days: overdue ones, ones due soon, an extension, a deemed acceptance, "trust online"
  matters (when the catalogue has any), immediate cases. ``demo-citizen`` gets about ten
  cases in different states, ``demo-enterprise`` several for the demo enterprise.

How:

* Every change goes through ``applications.services`` (and ``materials`` for files), so the
  process records, outbox rows, notifications and issued-document rows are those of the real
  flow. Online applications carry valid form answers and real (small) PDF or JPEG materials
  and pass the completeness check; cases from other channels are submitted as those
  channels do (registered by a clerk, or by the system).
* Time: the services read ``django.utils.timezone.now()``. While seeding, ``Clock`` stands
  in for it and is set to the moment of each step, the steps of all cases taken in time
  order; so serial numbers, due dates (``portal.workdays``) and step durations come out as
  they would have. No dependency (time-machine is a dev extra). It replaces a module
  attribute for the whole process: seed from a command, never inside a serving process.
* Nothing leaves the process: the after-commit callbacks the services register (PDF
  rendering, SMS and e-mail) are dropped. PDFs render on first download
  (``pdf.ensure_rendered``); the notifications stay in the inboxes and count as sent at their
  time (older ones as read); the outbox rows wait for the delivery sweep.
* Idempotent: every demo case has ``external_id`` ``demo-NNN``; numbers already present are
  skipped, and people are matched by username / USCC. The plan is drawn from a fixed seed.
"""

from __future__ import annotations

import datetime
import io
import random
import re
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from applications import forms_engine, materials, services, workflow
from applications.admin_filters import due_soon_workdays
from applications.models import (
    Case,
    Decision,
    Document,
    OnlineSubChannel,
    Origin,
    ProcessRecord,
    SubmissionMaterial,
)
from applications.services import ApplicantData
from matters import codes
from matters.demo import pinyin_slug
from matters.forms_spec import FieldType, Prefill, RuleKind, resolve_date_bound
from matters.models import Department, DepartmentMembership, Matter
from portal import workdays
from portal.models import DEPARTMENT_STAFF_GROUP, Notification
from portal.validators import id_number_check_char, uscc_check_char

T = FieldType
Role = DepartmentMembership.Role
Channel = codes.HandlingForm

CASE_COUNT = 300
EXTERNAL_PREFIX = "demo-"
SEED = 20260
DAYS_BACK = 88
EMAIL_DOMAIN = "demo.zs.gov.example"
# Basic codes of seed_bulk's synthetic matters: never demo cases on those.
BULK_BASIC_CODE_PREFIX = "49"
MIN_CASES_PER_DEPARTMENT = 3
READ_AFTER_DAYS = 5
# Documents an applicant uploads once and loads again for any requirement that names them.
REUSABLE_WORDS = ("身份证", "营业执照", "户口簿", "社会保障卡", "结婚证")


def seeded(*parts) -> random.Random:
    """A generator of its own for each part of the plan, so that one draw never shifts another."""
    return random.Random(":".join(str(part) for part in (SEED, *parts)))  # noqa: S311 - demo data, not secrets


class DemoCasesError(Exception):
    """The demo cases cannot be written (demo accounts missing, a step refused); says why."""


# --- People ----------------------------------------------------------------------------------

# name, sex, birth date, address code of the ID number (Zhongshan, and where newcomers are from)
RESIDENTS = [
    ("陈志华", "M", "19850312", "442000"),
    ("李慧敏", "F", "19900727", "442000"),
    ("黄伟强", "M", "19780105", "442000"),
    ("梁美玲", "F", "19881119", "442000"),
    ("林嘉豪", "M", "19960603", "442000"),
    ("何丽娟", "F", "19720914", "442000"),
    ("吴建明", "M", "19670420", "442000"),
    ("刘晓燕", "F", "19930208", "430521"),
    ("张国栋", "M", "19821230", "411522"),
    ("冯淑仪", "F", "19860516", "442000"),
    ("郑家乐", "M", "19990821", "442000"),
    ("罗秀英", "F", "19610311", "442000"),
    ("麦锦洪", "M", "19750628", "442000"),
    ("杨婉婷", "F", "19970113", "450921"),
    ("谭永康", "M", "19800902", "442000"),
    ("周慧琳", "F", "19911025", "442000"),
    ("邓俊杰", "M", "19940417", "360730"),
    ("苏雅琪", "F", "20010301", "442000"),
    ("卢振华", "M", "19690712", "442000"),
    ("欧阳敏", "F", "19840229", "430521"),
    ("钟文斌", "M", "19871108", "445102"),
    ("曾佩珊", "F", "19950925", "442000"),
    ("彭志远", "M", "19730530", "511323"),
    ("唐晓霞", "F", "19890416", "442000"),
    ("萧子健", "M", "20000710", "442000"),
    ("袁凤英", "F", "19581203", "442000"),
    ("高明辉", "M", "19831017", "440682"),
    ("关翠萍", "F", "19760822", "442000"),
    ("韦海生", "M", "19920114", "450921"),
    ("刘芳", "F", "19980506", "442000"),
    ("蔡国华", "M", "19650918", "442000"),
    ("容小燕", "F", "19870629", "442000"),
    ("甘家明", "M", "19910303", "442000"),
    ("方静怡", "F", "19941212", "442000"),
    ("陆卓然", "M", "19970819", "442000"),
    ("区洁莹", "F", "19820407", "442000"),
]
# Served at the window without an account of their own.
WALK_INS = [
    ("梁炳坤", "M", "19560814", "442000"),
    ("黄少芬", "F", "19630219", "442000"),
    ("陈永坚", "M", "19700605", "442000"),
    ("郭丽华", "F", "19791130", "441522"),
    ("莫伟文", "M", "19850921", "442000"),
    ("潘淑贞", "F", "19521108", "442000"),
    ("叶国强", "M", "19680127", "442000"),
    ("谢秋萍", "F", "19810716", "430521"),
    ("严志成", "M", "19930404", "442000"),
    ("杜美华", "F", "19740310", "442000"),
    ("程伟明", "M", "19880102", "411522"),
    ("戴玉梅", "F", "19600923", "442000"),
]
# The demo accounts the command creates (names as there); their ID numbers are fixed here.
DEMO_CITIZEN = ("demo-citizen", "陈小明", "M", "19920315", "442000")
DEMO_ENTERPRISE_AGENT = ("demo-enterprise", "黄晓婷", "F", "19950612", "442000")
DEMO_STAFF = "demo-staff"
DEMO_DEPARTMENT_SHORT = "市场监管局"
MOBILE_PREFIXES = ("139", "138", "135", "137", "136", "159", "158", "150", "186", "189", "188", "133", "177")

# name, legal representative, address, town code, index of the resident who is its agent
ENTERPRISES = [
    ("中山市岐江智联电子有限公司", "林嘉豪", "中山市石岐街道悦来南路38号3楼", "442000001000", 4),
    ("中山市翠亨湾餐饮管理有限公司", "何丽娟", "中山市南朗街道翠城道12号首层", "442000113000", 5),
    ("中山市小榄顺昌五金制品有限公司", "黄伟强", "中山市小榄镇工业大道南62号", "442000100000", 2),
    ("中山市古镇明辉灯饰有限公司", "麦锦洪", "中山市古镇镇东兴东路18号", "442000105000", 12),
    ("中山市东凤恒泰家电科技有限公司", "卢振华", "中山市东凤镇东阜三路168号", "442000103000", 18),
    ("中山市坦洲运通物流有限公司", "彭志远", "中山市坦洲镇界狮南路88号", "442000107000", 22),
    ("中山市南朗绿野农业发展有限公司", "谭永康", "中山市南朗街道华南现代中医药城内", "442000113000", 14),
    ("中山市港口建安工程有限公司", "高明辉", "中山市港口镇兴港中路9号", "442000108000", 26),
    ("中山市三乡康宁大药房有限公司", "冯淑仪", "中山市三乡镇金涌大道3号", "442000114000", 9),
    ("中山市五桂山云溪文旅发展有限公司", "蔡国华", "中山市五桂山街道长命水大道6号", "442000006000", 30),
    ("中山市火炬区启航教育培训中心有限公司", "周慧琳", "中山市火炬开发区康乐大道47号", "442000003000", 15),
    ("中山市黄圃鸿发食品有限公司", "吴建明", "中山市黄圃镇食品工业园健业路5号", "442000101000", 6),
]

STAFF_SURNAMES = "陈李黄梁林何吴刘张冯郑罗杨谭周邓苏卢钟曾彭唐萧袁高关韦蔡容甘方陆区马朱胡郭徐孙"
# Two-character given names, read in pairs.
STAFF_GIVEN_PAIRS = (
    "建华丽芳志强秀梅国荣燕玲俊宏晓东雪莹伟杰慧贤永辉嘉敏文军淑华锦荣海燕振宇佩仪子豪丽清少华志明凤仪"
    "家豪婉仪国明绮雯卓华惠兰梓峰颖欣达明玉珍启航敏仪耀祖洁玲润生婷婷健文倩雯德华秋萍宏伟美仪"
)
STAFF_GIVEN = [STAFF_GIVEN_PAIRS[i : i + 2] for i in range(0, len(STAFF_GIVEN_PAIRS), 2)]
ROLE_TITLES = {Role.CLERK: "clerk", Role.REVIEWER: "reviewer", Role.APPROVER: "approver"}

STREETS = [
    "兴中道",
    "中山三路",
    "博爱六路",
    "岐关西路",
    "东明北路",
    "孙文西路",
    "康华路",
    "悦来南路",
    "起湾道",
    "长江北路",
    "富华道",
    "民族东路",
    "金钟大道",
    "沙岗路",
    "南外环路",
]
ESTATES = ["金汇花园", "雅居乐花园", "远洋城", "华鸿水云轩", "颐景园", "星汇云锦", "保利花园", "长江新城"]
PLACES_OUTSIDE = ["湖南省长沙市", "广西壮族自治区南宁市", "湖北省武汉市", "江西省赣州市", "四川省成都市"]
HOSPITALS = ["中南大学湘雅医院", "广西医科大学第一附属医院", "华中科技大学同济医学院附属协和医院"]
SCHOOLS = ["中山市石岐中心小学", "中山市东区雍景园小学", "中山市实验小学", "中山市沙溪镇中心小学"]


def id_number(birth: str, region: str, sex: str, index: int) -> str:
    """A GB 11643 number: address code, birth date, sequence (odd for men), check character."""
    sequence = 100 + 2 * (index % 400) + (1 if sex == "M" else 0)
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def fictional_mobile(index: int) -> str:
    """Demo mobiles: a real prefix, then 0760 (Zhongshan's area code) and the index."""
    return f"{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]}0760{index % 10000:04d}"


GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb11714_check_char(body: str) -> str:
    """The check character of an organisation code (GB 11714): digits, letters as 10…35."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def fictional_uscc(rng: random.Random, region: str = "442000") -> str:
    """A GB 32100 code of a company registered in Zhongshan (authority 9, category 1), MA… body."""
    body = "MA5" + "".join(rng.choice(USCC_BODY_CHARS) for _ in range(5))
    first17 = f"91{region}{body}{gb11714_check_char(body)}"
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class Person:
    """Who applies (or is registered at the window): an account's owner or a walk-in."""

    name: str
    id_number: str
    mobile: str
    username: str = ""  # "" for a walk-in without an account

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}" if self.username else ""


@dataclass(frozen=True)
class Org:
    name: str
    uscc: str
    legal_representative: str
    address: str


@dataclass
class Staff:
    clerk: object
    reviewer: object
    approver: object

    def by_role(self, role: str):
        return getattr(self, role)


@dataclass
class People:
    users: dict[str, object]  # username -> User
    residents: list[Person]
    walk_ins: list[Person]
    citizen: Person
    agent: Person
    demo_org: Org | None
    orgs: list[tuple[Org, Person]]  # enterprise and the resident who acts for it
    staff: dict[int, Staff]  # department id -> staff
    created: Counter = field(default_factory=Counter)


# --- Paper: small real PDFs and JPEGs ---------------------------------------------------------


class Paper:
    """Scans for materials and results, drawn with Pillow (A5 at 72 dpi, greyscale, a few KB).

    A material's scan depends only on its name, so it is drawn once and uploaded by every
    applicant who needs it; a result carries its case's serial number.
    """

    SIZE = (420, 595)
    FONT_NAMES = (
        "NotoSansCJK-Regular.ttc",
        "NotoSansSC-Regular.otf",
        "wqy-microhei.ttc",
        "DroidSansFallbackFull.ttf",
    )

    def __init__(self):
        self._cache: dict[tuple[str, str, tuple[str, ...]], bytes] = {}

    @cached_property
    def fonts(self):
        from PIL import ImageFont

        for name in self.FONT_NAMES:
            try:
                return ImageFont.truetype(name, 22), ImageFont.truetype(name, 14)
            except OSError:
                continue
        return None  # no Chinese font on this machine: the scans carry frames only

    def draw(self, title: str, lines: tuple[str, ...] = (), fmt: str = "PDF", *, keep: bool = True) -> bytes:
        key = (fmt, title, lines)
        if key not in self._cache:
            from PIL import Image, ImageDraw

            image = Image.new("L", self.SIZE, 255)
            pen = ImageDraw.Draw(image)
            width, height = self.SIZE
            pen.rectangle((18, 18, width - 18, height - 18), outline=90, width=2)
            if self.fonts:
                big, small = self.fonts
                pen.text((36, 44), title[:17], font=big, fill=20)
                for row, line in enumerate(lines):
                    pen.text((36, 100 + row * 26), line[:26], font=small, fill=60)
                pen.text((36, height - 56), "中山市政务服务网 演示材料", font=small, fill=120)
            for row in range(len(lines), 12):
                y = 100 + row * 26
                pen.line((36, y + 8, width - 36 - (row * 37) % 120, y + 8), fill=185, width=3)
            buffer = io.BytesIO()
            if fmt == "PDF":
                image.save(buffer, "PDF", resolution=72, title=title)
            else:
                image.save(buffer, "JPEG", quality=60)
            if not keep:
                return buffer.getvalue()
            self._cache[key] = buffer.getvalue()
        return self._cache[key]

    def material(self, requirement_name: str, *, photo: bool = False) -> tuple[bytes, str]:
        """(content, file name) of a material: a PDF scan, or a phone photo (JPEG)."""
        fmt = "JPEG" if photo else "PDF"
        content = self.draw(requirement_name, ("复印件（演示）",), fmt=fmt)
        return content, f"{requirement_name[:40]}.{'jpg' if photo else 'pdf'}"

    def result(self, case: Case, at: datetime.datetime) -> bytes:
        lines = (
            f"持证人：{case.submission.applicant_name}",
            f"流水号：{case.serial}",
            f"发证机关：{case.department.name}",
            f"发证日期：{timezone.localtime(at):%Y年%m月%d日}",
        )
        return self.draw(case.matter.result_name or case.matter.name, lines, keep=False)


# --- Form answers -------------------------------------------------------------------------------

PATTERN_TOKEN = re.compile(r"\[([^\]]+)\]|(\\.|[^\[\]{}\\])")
PATTERN_COUNT = re.compile(r"\{(\d+)(?:,(\d+))?\}")

TEXTS = {
    "statement": (
        "本人与配偶均无固定工作，靠打零工维持生活，家中老人长期患病需要服药，"
        "家庭月收入低于本市最低生活保障标准，生活十分困难，特申请最低生活保障。"
    ),
    "situation": (
        "今年以来家中主要劳动力因突发疾病住院治疗，已花费医疗费用三万余元，"
        "医保报销后自付部分仍较大，家庭基本生活陷入困境，特申请临时救助。"
    ),
    "facts": (
        "申请人于入职后一直在被申请人处从事生产工作，双方签订了书面劳动合同。"
        "被申请人自去年年底起拖欠申请人工资共计三个月，经多次催讨仍未支付，"
        "申请人依法解除劳动合同，现请求依法裁决被申请人支付拖欠的工资及经济补偿金。"
    ),
    "reason_detail": "户籍登记项目变更，需要换领新证",
    "purpose_detail": "办理出国留学签证",
    "birth_place": "广东省中山市",
    "website": "美团外卖平台（店铺名称与营业执照一致）",
    "permit_no": "4420002024000731",
    "bank": "中国农业银行中山分行",
}
SCOPES = {
    "company": "电子产品、智能家居产品的研发、生产和销售；软件开发；货物进出口、技术进出口。",
    "individual": "零售：日用百货、预包装食品（含冷藏冷冻食品）；餐饮服务（不含凉菜、生食）。",
}
CLAIMS = ["支付拖欠工资", "支付解除劳动合同经济补偿金", "支付未休年休假工资"]
PERSON_LABEL_ENDINGS = ("人", "人员", "经理", "负责人", "代表人")


class FormAnswers:
    """Valid answers to a matter's form (``forms_engine`` spec) for one applicant.

    Profile fields are prefilled as the apply page does; other fields get plausible values
    within their bounds; cross-field rules are honoured; the result is cleaned by the form
    engine itself, so it is stored exactly as the web form would store it. ``None`` when the
    engine does not accept what was generated (the caller then keeps the case off the web).
    """

    def __init__(self, rng: random.Random, person: Person, org: Org | None, today: datetime.date):
        self.rng = rng
        self.person = person
        self.org = org
        self.today = today
        self.profile = {
            Prefill.NAME: person.name,
            Prefill.ID_NUMBER: person.id_number,
            Prefill.MOBILE: person.mobile,
            Prefill.EMAIL: person.email or f"service@{EMAIL_DOMAIN}",
            Prefill.ORG_NAME: org.name if org else "",
            Prefill.ORG_CODE: org.uscc if org else "",
        }

    # Entry point ----------------------------------------------------------------------------

    def for_matter(self, matter: Matter) -> dict | None:
        spec = forms_engine.get_spec(matter)
        if not spec.fields:
            return {}
        wanted = {f.key for f in spec.fields if f.required}
        for rule in spec.rules:
            if rule.kind == RuleKind.AT_LEAST_ONE and rule.field_keys:
                wanted.add(str(rule.field_keys[-1]))
        conditional = {r.field for r in spec.rules if r.kind == RuleKind.REQUIRED_IF}
        data: dict = {}
        for f in spec.fields:
            if f.key in wanted or (
                f.key not in conditional and f.field_type != T.BOOLEAN and self.rng.random() < 0.4
            ):
                data[f.key] = self.value(f)
            elif f.field_type == T.BOOLEAN:
                data[f.key] = False
        self._apply_rules(spec, data)
        cleaned, errors = forms_engine.validate_against(spec, data)
        return None if errors else cleaned

    def _apply_rules(self, spec, data: dict) -> None:
        by_key = spec.by_key
        for rule in spec.rules:
            if rule.kind == RuleKind.REQUIRED_IF:
                condition = data.get(rule.other_field)
                wanted = {str(v) for v in rule.values or []}
                if isinstance(condition, bool):
                    hit = ("true" if condition else "false") in wanted
                elif isinstance(condition, list):
                    hit = any(str(v) in wanted for v in condition)
                else:
                    hit = condition is not None and str(condition) in wanted
                if hit and forms_engine.is_empty(data.get(rule.field)):
                    data[rule.field] = self.value(by_key[rule.field])
        for rule in spec.rules:
            if rule.kind == RuleKind.LESS_THAN:
                a, b = data.get(rule.field), data.get(rule.other_field)
                if forms_engine.is_empty(a) or forms_engine.is_empty(b):
                    continue
                if by_key[rule.field].field_type == T.DATE:
                    day_a, day_b = datetime.date.fromisoformat(a), datetime.date.fromisoformat(b)
                    if day_a >= day_b:
                        # The later date moves on, unless its own upper bound forbids: then the earlier back.
                        later = by_key[rule.other_field]
                        limit = resolve_date_bound(later.max_date, self.today) if later.max_date else None
                        moved = day_a + datetime.timedelta(days=self.rng.randint(90, 400))
                        if limit is None or moved <= limit:
                            data[rule.other_field] = moved.isoformat()
                        else:
                            earlier = day_b - datetime.timedelta(days=self.rng.randint(200, 1500))
                            data[rule.field] = earlier.isoformat()
                elif Decimal(str(a)) >= Decimal(str(b)):
                    data[rule.other_field] = str(Decimal(str(a)) * 2 + 1)
            elif rule.kind == RuleKind.COLUMN_SUM_MAX:
                rows = data.get(rule.field) or []
                cap = data.get(rule.other_field) if rule.other_field else rule.limit
                if rows and cap is not None:
                    share = (Decimal(str(cap)) / len(rows)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
                    for row in rows:
                        row[rule.column] = str(share)

    # One answer ------------------------------------------------------------------------------

    def value(self, f):
        if f.prefill and self.profile.get(f.prefill):
            return self.profile[f.prefill]
        t = f.field_type
        handler = {
            T.TEXT: self._text,
            T.TEXTAREA: self._text,
            T.INTEGER: self._integer,
            T.DECIMAL: self._decimal,
            T.DATE: self._date,
            T.CHOICE: lambda f: self.rng.choice(f.option_pairs)[0],
            T.MULTI_CHOICE: self._multi,
            T.BOOLEAN: lambda f: True,
            T.ID_NUMBER: self._id_number,
            T.USCC: lambda f: fictional_uscc(self.rng),
            T.MOBILE: lambda f: fictional_mobile(self.rng.randint(100, 9999)),
            T.PHONE: lambda f: f"0760-8{self.rng.randint(1000000, 9999999)}",
            T.EMAIL: lambda f: self.profile[Prefill.EMAIL],
            T.ADDRESS: self._address,
            T.TABLE: self._table,
        }[t]
        return handler(f)

    def _bounded(self, text: str, f) -> str:
        if f.min_length and len(text) < f.min_length:
            text = (text + "具体情况详见所附材料，申请人承诺以上内容真实。" * 10)[: f.min_length + 5]
        if f.max_length:
            text = text[: f.max_length]
        return text

    def _text(self, f) -> str:
        key, label = f.key, f.label
        if f.pattern:
            generated = self._from_pattern(key, f.pattern)
            if generated is not None:
                return generated
        if key in TEXTS:
            return self._bounded(TEXTS[key], f)
        if key == "scope":
            return self._bounded(SCOPES["company" if self.org else "individual"], f)
        if key == "item":
            return self.rng.choice(CLAIMS)
        if key in ("hospital",):
            return self.rng.choice(HOSPITALS)
        if key == "primary_school":
            return self.rng.choice(SCHOOLS)
        if key == "destination" or label.startswith("就医地"):
            return self.rng.choice(PLACES_OUTSIDE)
        if key == "trade_name":
            town = self.rng.choice(["石岐", "东区", "小榄", "沙溪"])
            return f"中山市{town}{self.person.name[0]}记便利店"
        if key in ("company_name", "project_name"):
            base = self.org.name if self.org else "中山市粤嘉科技有限公司"
            return self._bounded(
                base if key == "company_name" else base.removesuffix("有限公司") + "新建厂房项目", f
            )
        if (
            "姓名" in label
            or label.endswith(PERSON_LABEL_ENDINGS)
            or key in ("guardian", "legal_rep", "lead")
        ):
            return self._person_name()
        if (
            "名称" in label
            or "单位" in label
            or key in ("employer", "respondent", "receiving_unit", "contractor", "opponent")
        ):
            return self._bounded(self._company_name(), f)
        return self._bounded(f"{label}（演示）", f)

    def _from_pattern(self, key: str, pattern: str) -> str | None:
        """A string matching a simple pattern: classes and literals with {n} / {n,m} counts."""
        if key == "id_code":
            return self._adult_id()
        if key == "project_code":
            return (
                f"{self.today.year}-442000-{self.rng.randint(10, 99)}-01-{self.rng.randint(100000, 999999)}"
            )
        if key == "plate":
            return "粤T" + "".join(self.rng.choice("0123456789") for _ in range(5))
        out, position = [], 0
        while position < len(pattern):
            token = PATTERN_TOKEN.match(pattern, position)
            if token is None:
                return None
            position = token.end()
            count = PATTERN_COUNT.match(pattern, position)
            low = high = 1
            if count:
                low = int(count.group(1))
                high = int(count.group(2) or low)
                position = count.end()
            if token.group(1) is not None:
                chars = self._class_chars(token.group(1))
                if not chars:
                    return None
                out.append(
                    "".join(self.rng.choice(chars) for _ in range(self.rng.randint(low, min(high, low + 2))))
                )
            else:
                literal = token.group(2)
                if literal.startswith("\\") or literal in ".*+?()|^$":
                    return None
                out.append(literal * low)
        return "".join(out)

    @staticmethod
    def _class_chars(spec: str) -> str:
        if spec.startswith("^"):
            return ""
        chars, i = [], 0
        while i < len(spec):
            if i + 2 < len(spec) and spec[i + 1] == "-":
                chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
                i += 3
            else:
                chars.append(spec[i])
                i += 1
        return "".join(chars)

    def _person_name(self) -> str:
        return self.rng.choice(STAFF_SURNAMES) + self.rng.choice(STAFF_GIVEN)

    def _company_name(self) -> str:
        brand = self.rng.choice(["恒达", "宏信", "粤丰", "华盛", "利源", "创展"])
        trade = self.rng.choice(["电器", "实业", "包装", "纺织", "建材"])
        return f"中山市{brand}{trade}有限公司"

    def _adult_id(self) -> str:
        birth = datetime.date(self.rng.randint(1960, 2000), self.rng.randint(1, 12), self.rng.randint(1, 28))
        return id_number(f"{birth:%Y%m%d}", "442000", self.rng.choice("MF"), self.rng.randint(0, 399))

    def _id_number(self, f) -> str:
        label = f.label
        if any(word in label for word in ("学生", "新生儿", "子女")):
            years = self.rng.randint(6, 12)
        elif "老年人" in label:
            years = self.rng.randint(81, 92)
        else:
            return self._adult_id()
        birth = self.today - datetime.timedelta(days=365 * years + self.rng.randint(0, 300))
        return id_number(f"{birth:%Y%m%d}", "442000", self.rng.choice("MF"), self.rng.randint(0, 399))

    def _integer(self, f) -> int:
        low = int(f.min_value) if f.min_value is not None else 1
        high = int(f.max_value) if f.max_value is not None else low + 20
        return self.rng.randint(low, min(high, low + 9))

    def _decimal(self, f) -> str:
        low = Decimal(f.min_value) if f.min_value is not None else Decimal(0)
        high = Decimal(f.max_value) if f.max_value is not None else low + 1000
        span = min(high - low, Decimal(5000))
        value = low + span * Decimal(self.rng.randint(10, 60)) / 100
        places = f.effective_decimal_places
        return str(value.quantize(Decimal(1).scaleb(-min(places, 2))))

    def _date(self, f) -> str:
        """A date well inside the bounds: the answers are checked again when a correction is supplied."""
        rng, today = self.rng, self.today
        if f.key == "due":  # a shareholder's contribution deadline: years ahead
            return (today + datetime.timedelta(days=365 * rng.randint(5, 20))).isoformat()
        low = resolve_date_bound(f.min_date, today) if f.min_date else None
        high = resolve_date_bound(f.max_date, today) if f.max_date else None
        if low and high and low >= today:  # a window ahead, e.g. a wedding date
            day = low + (high - low) * 2 // 3
        elif low and high:  # a recent past, e.g. a birth in the last year
            day = max(low, min(high, today) - datetime.timedelta(days=rng.randint(10, 60)))
        elif high:
            day = high - datetime.timedelta(days=rng.randint(200, 3000))
        elif low:
            day = low + datetime.timedelta(days=rng.randint(30, 60))
        else:
            day = today + datetime.timedelta(days=rng.randint(30, 90))
        return day.isoformat()

    def _multi(self, f) -> list[str]:
        values = [value for value, _label in f.option_pairs]
        low = f.min_items or 1
        high = min(f.max_items or 2, len(values), max(low, 2))
        return self.rng.sample(values, self.rng.randint(low, max(low, high)))

    def _address(self, f) -> dict:
        towns = [code for code, _name, _full in forms_engine.region_options()]
        rng = self.rng
        street, estate = rng.choice(STREETS), rng.choice(ESTATES)
        flat = f"{rng.randint(1, 12)}座{rng.randint(2, 28)}0{rng.randint(1, 6)}房"
        detail = f"{street}{rng.randint(1, 188)}号{estate}{flat}"
        if f.max_length:
            detail = detail[: f.max_length]
        return {"region": self.rng.choice(towns), "detail": detail}

    def _table(self, f) -> list[dict]:
        rows = max(f.min_items or 1, self.rng.randint(1, 2))
        if f.max_items:
            rows = min(rows, f.max_items)
        columns = f.column_fields
        out = []
        for _ in range(rows):
            row = {}
            for column in columns:
                if column.required or self.rng.random() < 0.5:
                    row[column.key] = self.value(column)
            out.append(row)
        return out


# --- Time ---------------------------------------------------------------------------------------


class Clock:
    """Stands in for ``django.utils.timezone.now`` while the demo is written (``running()``)."""

    def __init__(self, moment: datetime.datetime):
        self.moment = moment

    def __call__(self) -> datetime.datetime:
        return self.moment

    @contextmanager
    def running(self):
        real = timezone.now
        timezone.now = self
        try:
            yield self
        finally:
            timezone.now = real


@contextmanager
def nothing_after_commit():
    """Drop the after-commit callbacks registered inside the block (call it inside ``atomic``).

    The demo's past sends no SMS or e-mail and renders no PDF now; see the module docstring.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("nothing_after_commit() must run inside transaction.atomic()")
    start = len(connection.run_on_commit)
    try:
        yield
    finally:
        del connection.run_on_commit[start:]


OFFICE_HOURS = ((8 * 60 + 40, 11 * 60 + 55), (14 * 60 + 10, 17 * 60 + 25))
AWAKE_HOURS = (7 * 60 + 10, 23 * 60 + 20)


class Calendar:
    """Working days and office hours around "now", in the portal's time zone.

    Placing 300 timelines asks for the same days thousands of times: ``is_workday`` keeps the
    answers of ``portal.workdays`` for the length of the seeding (the calendar does not change).
    The due dates themselves are the services' business.
    """

    def __init__(self, now: datetime.datetime):
        self.now = now
        self._workdays: dict[datetime.date, bool] = {}
        local = timezone.localtime(now)
        self.today = local.date()
        self.horizon = now - datetime.timedelta(minutes=10)
        # The latest working day whose office hours are over: staff act on that day or before.
        if self.is_workday(self.today) and local.time() >= datetime.time(17, 40):
            self.last_day = self.today
        else:
            self.last_day = self.on_or_before(self.today - datetime.timedelta(days=1))
        self.first_day = self.today - datetime.timedelta(days=DAYS_BACK)
        self.available = self.between(self.first_day, self.last_day)

    def is_workday(self, day: datetime.date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            known = self._workdays[day] = workdays.is_workday(day)
        return known

    def on_or_before(self, day: datetime.date) -> datetime.date:
        while not self.is_workday(day):
            day -= datetime.timedelta(days=1)
        return day

    def on_or_after(self, day: datetime.date) -> datetime.date:
        while not self.is_workday(day):
            day += datetime.timedelta(days=1)
        return day

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """``portal.workdays.workdays_between``: working days after ``start`` up to ``end`` (signed)."""
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        days = (start + datetime.timedelta(days=n) for n in range(1, (end - start).days + 1))
        return sign * sum(1 for day in days if self.is_workday(day))

    def ago(self, count: int) -> datetime.date:
        """The working day with ``count`` working days after it up to today (remaining-days arithmetic)."""
        day = self.today
        if count <= 0:
            return min(self.on_or_before(day), self.last_day)
        seen = 0
        while seen < count:
            if self.is_workday(day):
                seen += 1
            day -= datetime.timedelta(days=1)
        return min(self.on_or_before(day), self.last_day)

    def shift(self, day: datetime.date, count: int) -> datetime.date:
        """``count`` working days later (earlier when negative), from the working day on or after ``day``."""
        day = self.on_or_after(day)
        step = datetime.timedelta(days=1 if count >= 0 else -1)
        for _ in range(abs(count)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    def at(self, day: datetime.date, minutes: int) -> datetime.datetime:
        naive = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
        return timezone.make_aware(naive) + datetime.timedelta(seconds=minutes * 7 % 60)

    def office(
        self, rng: random.Random, day: datetime.date, after: datetime.datetime | None
    ) -> datetime.datetime | None:
        """A moment in office hours on ``day``, a few minutes after ``after``; None when no room is left."""
        floor = -1
        if after is not None:
            local = timezone.localtime(after)
            if local.date() > day:
                return None
            if local.date() == day:
                floor = local.hour * 60 + local.minute + 3
        windows = [(max(lo, floor), hi) for lo, hi in OFFICE_HOURS if hi > floor]
        if not windows:
            return None
        # Staff usually act soon after the case reaches them: the earliest windows weigh most.
        lo, hi = windows[0] if rng.random() < 0.7 or len(windows) == 1 else windows[1]
        span = hi - lo
        return self.at(day, lo + int(span * rng.random() ** 2))

    def awake(
        self, rng: random.Random, day: datetime.date, after: datetime.datetime | None = None
    ) -> datetime.datetime:
        lo, hi = AWAKE_HOURS
        if after is not None and timezone.localtime(after).date() == day:
            local = timezone.localtime(after)
            lo = max(lo, local.hour * 60 + local.minute + 5)
        if lo >= hi:
            return self.awake(rng, day + datetime.timedelta(days=1))
        return self.at(day, rng.randint(lo, hi))


@dataclass
class Step:
    name: str
    at: datetime.datetime
    role: str  # applicant, clerk, reviewer, approver, system
    data: dict = field(default_factory=dict)


class Path:
    """The steps of one case, each later than the one before, staff in office hours."""

    def __init__(self, calendar: Calendar, rng: random.Random):
        self.calendar = calendar
        self.rng = rng
        self.steps: list[Step] = []
        self.overtime = False

    @property
    def last(self) -> datetime.datetime:
        return self.steps[-1].at

    def day_of(self, name: str) -> datetime.date | None:
        for step in reversed(self.steps):
            if step.name == name:
                return timezone.localtime(step.at).date()
        return None

    def begin(self, name: str, role: str, day: datetime.date, *, office: bool, **data) -> None:
        cal = self.calendar
        if office:
            day = cal.on_or_after(day)
            at = cal.office(self.rng, day, None)
        else:
            # Online: any waking hour, a third of them the evening before.
            if self.rng.random() < 0.3:
                day -= datetime.timedelta(days=1)
                at = cal.at(day, self.rng.randint(19 * 60, AWAKE_HOURS[1]))
            else:
                at = cal.awake(self.rng, day)
        self.steps.append(Step(name, at, role, data))

    def staff(
        self, name: str, role: str, workdays_later: int = 0, *, day: datetime.date | None = None, **data
    ):
        cal = self.calendar
        previous = timezone.localtime(self.last).date()
        if day is None:
            day = cal.shift(previous, workdays_later) if workdays_later else cal.on_or_after(previous)
        day = max(day, cal.on_or_after(previous))
        at = None
        while at is None and day <= cal.last_day:
            at = cal.office(self.rng, day, self.last)
            if at is None:
                day = cal.shift(day, 1)
        if at is None:
            # No office hours left before "now": a placeholder that ``valid()`` refuses.
            self.overtime = True
            at = min(self.last + datetime.timedelta(minutes=self.rng.randint(4, 25)), cal.horizon)
        self.steps.append(Step(name, max(at, self.last + datetime.timedelta(seconds=30)), role, data))

    def applicant(self, name: str, hours: tuple[int, int], **data) -> None:
        at = self.last + datetime.timedelta(minutes=self.rng.randint(hours[0] * 60, hours[1] * 60))
        local = timezone.localtime(at)
        minutes = local.hour * 60 + local.minute
        if not AWAKE_HOURS[0] <= minutes <= AWAKE_HOURS[1]:
            day = local.date() + datetime.timedelta(days=1 if minutes > AWAKE_HOURS[1] else 0)
            at = self.calendar.awake(self.rng, day)
        self.steps.append(Step(name, max(at, self.last + datetime.timedelta(minutes=5)), "applicant", data))

    def system(self, name: str, at: datetime.datetime, **data) -> None:
        self.steps.append(Step(name, max(at, self.last + datetime.timedelta(minutes=1)), "system", data))

    def valid(self) -> bool:
        cal = self.calendar
        if self.overtime:
            return False
        for step in self.steps:
            if step.at > cal.horizon:
                return False
            if (
                step.role in ("clerk", "reviewer", "approver")
                and timezone.localtime(step.at).date() > cal.last_day
            ):
                return False
        return timezone.localtime(self.steps[0].at).date() >= cal.first_day - datetime.timedelta(days=7)


# --- What staff write -----------------------------------------------------------------------------

OPINIONS = {
    "sign": ["", "已签收，进入预审。", "收件，开始预审。"],
    "accept": [
        "申请材料齐全，符合法定形式，予以受理。",
        "经预审，材料齐全、符合法定形式，同意受理。",
        "材料齐全，予以受理，请留意办理进度。",
    ],
    "start_review": ["", "转审核岗审查。", "进入实质审查。"],
    "approve": [
        "经审查，申请符合法定条件和标准，准予许可。",
        "经审查，申请材料真实有效，符合规定，同意办理。",
        "符合办理条件，同意。",
    ],
    "complete": ["已办结，办理结果已出具。", "办结，结果已推送至申请人资料库。"],
    "deliver": ["办理结果已送达申请人。", "申请人已签收办理结果。"],
}
REJECTIONS = [
    ("ineligible", "经核查，申请人不符合该事项的受理条件，依法不予受理。"),
    ("not_competent", "该申请事项不属于本部门职权范围，请向属地镇街相关部门申请。"),
    ("not_in_scope", "申请事项依法不需要取得行政许可，可直接办理相关手续。"),
]
DENIALS = [
    ("conditions_not_met", "经实质审查，申请人提交的经营场所条件不符合相关标准，不予准予。"),
    ("review_failed", "经现场核查，实际情况与申请材料不符，不予准予。"),
]
SPECIAL_PROCEDURES = [
    ("site_survey", "需组织现场勘验，勘验时间不计入办理时限。", "现场勘验已完成，勘验结论：符合要求。"),
    ("expert_review", "组织专家评审，评审时间不计入办理时限。", "专家评审已结束，评审意见：同意。"),
    ("testing", "需委托第三方机构检测，检测时间不计入办理时限。", "检测报告已出具，检测结果合格。"),
    ("hearing", "该申请涉及他人重大利益，依申请组织听证。", "听证程序已结束。"),
]
WITHDRAWALS = [
    ("no_longer_needed", "情况有变，暂不需要办理。"),
    ("wrong_data", "申报信息填写有误，撤回后重新申报。"),
    ("wrong_matter", "选错了事项，撤回。"),
]
EXTENSION = "案情复杂，需进一步核实，经本机关负责人批准，延长审批期限。"
CORRECTION_NOTE = "已按补正告知书要求重新上传材料。"


# --- Scenarios ------------------------------------------------------------------------------------

# Where a case ends up, with how often (weights) for promised, immediate and "trust online" matters.
PROMISED = {
    "draft": 3,
    "submitted": 4,
    "pre_review": 4,
    "correction": 4,
    "accepted": 4,
    "review": 8,
    "review_due_soon": 3,
    "review_overdue": 3,
    "special": 2,
    "decided_approved": 3,
    "decided_denied": 1,
    "completed": 14,
    "completed_denied": 3,
    "delivered": 18,
    "late_delivered": 2,
    "special_completed": 2,
    "correction_completed": 4,
    "rejected": 3,
    "rejected_after_correction": 1,
    "withdrawn": 3,
    "withdrawn_after_accept": 1,
}
IMMEDIATE = {
    "draft": 2,
    "submitted": 4,
    "pre_review": 3,
    "imm_completed": 35,
    "imm_delivered": 30,
    "rejected": 4,
    "withdrawn": 4,
}
TRUST = {"draft": 1, "trust_review": 4, "trust_completed": 6, "withdrawn_after_accept": 1}
# Scenarios only an online applicant with an account goes through.
ONLINE_ONLY = frozenset(
    {"draft", "correction_completed", "deemed", "deemed_completed", "trust_review", "trust_completed"}
)
NEEDS_ACCOUNT = ONLINE_ONLY | {"withdrawn", "withdrawn_after_accept"}
# The cases that must be there whatever the draw (each once unless repeated).
REQUIRED = [
    "review_extended",
    "extended_completed",
    "deemed",
    "deemed_completed",
    "review_due_soon",
    "review_due_soon",
    "review_overdue",
    "review_overdue",
    "special",
    "special_completed",
    "decided_approved",
    "decided_denied",
    "completed_denied",
    "late_delivered",
    "correction_completed",
    "rejected_after_correction",
    "withdrawn_after_accept",
    "imm_completed",
]
TRUST_REQUIRED = ["trust_review", "trust_review", "trust_completed", "trust_completed"]
CITIZEN_CASES = [
    ("delivered", "pc"),
    ("completed", "wechat"),
    ("review", "pc"),
    ("correction", "pc"),
    ("submitted", "app"),
    ("pre_review", "pc"),
    ("accepted", "mobile_web"),
    ("rejected", "pc"),
    ("withdrawn", "wechat"),
    ("draft", "pc"),
    ("decided_approved", "express"),
    ("delivered", "window"),
]
ENTERPRISE_CASES = [
    ("delivered", "pc"),
    ("review", "pc"),
    ("correction", "pc"),
    ("submitted", "pc"),
    ("imm_delivered", "pc"),
    ("completed", "window"),
    ("draft", "pc"),
]
# channel kind: (A.5 handling form, online sub-channel, origin, who submits)
CHANNELS = {
    "pc": (Channel.ONLINE_PC, OnlineSubChannel.PC, Origin.PORTAL, "applicant"),
    "mobile_web": (Channel.ONLINE_MOBILE, OnlineSubChannel.MOBILE_WEB, Origin.PORTAL, "applicant"),
    "app": (Channel.ONLINE_MOBILE, OnlineSubChannel.MOBILE_APP, Origin.API, "applicant"),
    "wechat": (Channel.ONLINE_MOBILE, OnlineSubChannel.WECHAT, Origin.API, "applicant"),
    "alipay": (Channel.ONLINE_MOBILE, OnlineSubChannel.ALIPAY, Origin.API, "applicant"),
    "window": (Channel.WINDOW, "", Origin.WINDOW, "clerk"),
    "express": (Channel.EXPRESS, "", Origin.WINDOW, "clerk"),
    "provincial": (Channel.ONLINE_PC, OnlineSubChannel.PC, Origin.PROVINCIAL, "system"),
    "department": (Channel.ONLINE_PC, OnlineSubChannel.PC, Origin.DEPARTMENT_SYSTEM, "system"),
}
PERSON_CHANNELS = {
    "pc": 36,
    "wechat": 12,
    "app": 8,
    "mobile_web": 4,
    "alipay": 2,
    "window": 28,
    "express": 4,
    "provincial": 3,
}
ORG_CHANNELS = {"pc": 55, "wechat": 3, "app": 2, "window": 30, "express": 4, "provincial": 3}
ONLINE_KINDS = frozenset({"pc", "mobile_web", "app", "wechat", "alipay"})
# Departments whose own systems also send cases in (电子税务局, 公积金业务系统).
OWN_SYSTEM_DEPARTMENTS = frozenset({"税务局", "公积金中心"})


def is_immediate(matter: Matter) -> bool:
    return matter.is_immediate or matter.promised_limit_days == 0


def scenario_fits(scenario: str, matter: Matter) -> bool:
    """Whether a matter can end up in this scenario (its kind and its time limits)."""
    days = matter.promised_limit_days
    if matter.trust_online_review:
        return scenario in TRUST or scenario in ("withdrawn_after_accept",)
    if scenario.startswith("trust"):
        return False
    if is_immediate(matter):
        return scenario in IMMEDIATE
    if scenario.startswith("imm_"):
        return False
    needs = {
        "review": days >= 5,
        "review_due_soon": days >= 3,
        # Overdue within the ~90 days the demo spans.
        "review_overdue": days <= 40,
        "review_extended": days >= 2 and matter.extension_days > 0,
        "extended_completed": days >= 2 and matter.extension_days > 0,
    }
    return needs.get(scenario, True)


def channel_fits(kind: str, scenario: str, matter: Matter, *, online_ok: bool) -> bool:
    """Whether a case of this matter can come in through this channel (its handling forms, A.5)
    and still end up in the scenario (some only happen online)."""
    forms = set(matter.handling_forms or [])
    if kind in ONLINE_KINDS:
        return online_ok and ("2" if kind == "pc" else "3") in forms
    if scenario in ONLINE_ONLY:
        return False
    if kind == "window":
        return "1" in forms or not online_ok  # a matter with no channel at all is still served at the window
    if kind == "express":
        return "4" in forms
    if kind == "department" and matter.department.short_name not in OWN_SYSTEM_DEPARTMENTS:
        return False
    return online_ok  # the provincial hall and a department's own system are online channels too


# --- Plans ------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One demo case: what, who, through which channel, where it ends up, and its steps."""

    number: int
    matter: Matter
    scenario: str
    kind: str  # a key of CHANNELS
    person: Person
    user: object | None  # the applicant's account; None: registered at the window without one
    org: Org | None = None
    steps: list[Step] = field(default_factory=list)
    case: Case | None = None

    @property
    def external_id(self) -> str:
        return f"{EXTERNAL_PREFIX}{self.number:03d}"

    @property
    def window(self) -> bool:
        return self.kind in ("window", "express")


def _opinion(rng: random.Random, name: str) -> str:
    return rng.choice(OPINIONS[name])


def build_path(plan: Plan, calendar: Calendar, start: datetime.date, stretch: float = 1.0) -> Path:
    """The steps of ``plan`` from a submission on (or around) ``start``, drawn from the case's own seed."""
    rng = seeded(plan.number, "path")
    p = Path(calendar, rng)
    matter = plan.matter
    days = matter.promised_limit_days
    scenario = plan.scenario
    submitter = CHANNELS[plan.kind][3]
    quick = 0 if plan.window else None

    def k(*choices: int) -> int:
        return quick if quick is not None else rng.choice(choices)

    if scenario == "draft":
        p.begin("create", "applicant", start, office=False)
        return p
    p.begin("submit", submitter, start, office=submitter == "clerk")

    def sign():
        if plan.window and scenario != "pre_review":
            return  # at the window the clerk checks the papers on the spot: registered, then accepted
        p.staff("sign", "clerk", k(0, 0, 1), opinion=_opinion(rng, "sign"))

    def accept():
        p.staff("accept", "clerk", k(0, 0, 1), opinion=_opinion(rng, "accept"))

    def review():
        p.staff("start_review", "reviewer", rng.choice((0, 1)), opinion=_opinion(rng, "start_review"))

    def accepted_day() -> datetime.date:
        return p.day_of("accept") or p.day_of("deemed") or timezone.localtime(p.steps[0].at).date()

    def decide(name: str = "approve", *, late: bool = False, day: datetime.date | None = None):
        if day is None:
            share = rng.uniform(1.1, 1.35) if late else rng.uniform(0.3, 0.9) * stretch
            day = calendar.shift(accepted_day(), max(0, round(days * share)) + (1 if late else 0))
        if name == "approve":
            p.staff(name, "approver", day=day, opinion=_opinion(rng, "approve"))
        else:
            reason, opinion = rng.choice(DENIALS)
            p.staff(name, "approver", day=day, reason=reason, opinion=opinion)

    def complete():
        p.staff("complete", "clerk", k(0, 0, 1), opinion=_opinion(rng, "complete"))

    def deliver():
        if plan.window and rng.random() < 0.8:
            details = {"method": "window"}
        elif matter.express_delivery or plan.kind == "express":
            details = {"method": "express", "tracking_number": f"SF{rng.randint(10**11, 10**12 - 1)}"}
        else:
            details = {"method": "electronic"}
        later = 0 if details["method"] == "electronic" else rng.choice((1, 2, 3))
        p.staff("deliver", "clerk", later, opinion=_opinion(rng, "deliver"), details=details)

    def correction():
        requirement = next((r for r in matter.materials.all() if materials.required_online(r)), None)
        if requirement is not None:
            items = [f"《{requirement.name}》扫描件不清晰，请重新上传清晰、完整的彩色扫描件。"]
        else:
            items = ["申请表中的联系电话与身份证明信息不一致，请核对后重新填写。"]
        p.staff(
            "request_correction",
            "clerk",
            k(0, 1, 1, 2),
            items=items,
            requirement=requirement.pk if requirement else None,
        )

    def special(end: bool):
        kind, begin_text, end_text = rng.choice(SPECIAL_PROCEDURES)
        p.staff("begin_special_procedure", "reviewer", rng.randint(1, 3), kind=kind, opinion=begin_text)
        if end:
            p.staff("end_special_procedure", "reviewer", rng.randint(3, 9), opinion=end_text)

    def extend():
        p.staff("extend", "approver", day=calendar.shift(accepted_day(), max(1, days - 1)), opinion=EXTENSION)

    def withdraw():
        reason, opinion = rng.choice(WITHDRAWALS)
        p.applicant("withdraw", (2, 72), reason=reason, opinion=opinion)

    def reject(reason_opinion: tuple[str, str] | None = None, later: int | None = None):
        reason, opinion = reason_opinion or rng.choice(REJECTIONS)
        p.staff("reject", "clerk", k(0, 1) if later is None else later, reason=reason, opinion=opinion)

    def deemed():
        submitted = timezone.localtime(p.steps[0].at).date()
        due = workdays.add_workdays(submitted, services.pre_review_workdays())
        # The beat job runs at night: the day after the pre-review period ran out.
        p.system("deemed", calendar.at(due + datetime.timedelta(days=1), 90 + rng.randint(0, 40)))

    full_review = ("completed", "completed_denied", "delivered", "late_delivered")
    if scenario == "pre_review":
        sign()
    elif scenario == "correction":
        sign()
        correction()
    elif scenario == "accepted":
        sign()
        accept()
    elif scenario in ("review", "review_due_soon", "review_overdue"):
        sign()
        accept()
        review()
    elif scenario in ("review_extended", "extended_completed"):
        sign()
        accept()
        review()
        extend()
        if scenario == "extended_completed":
            decide(day=calendar.shift(p.day_of("extend"), rng.randint(2, 8)))
            complete()
            deliver()
    elif scenario in ("special", "special_completed"):
        sign()
        accept()
        review()
        special(end=scenario == "special_completed")
        if scenario == "special_completed":
            decide(day=calendar.shift(p.day_of("end_special_procedure"), rng.randint(1, max(1, days // 3))))
            complete()
            deliver()
    elif scenario in ("decided_approved", "decided_denied"):
        sign()
        accept()
        review()
        decide("approve" if scenario == "decided_approved" else "deny")
    elif scenario in full_review:
        sign()
        accept()
        review()
        decide("deny" if scenario == "completed_denied" else "approve", late=scenario == "late_delivered")
        complete()
        if scenario in ("delivered", "late_delivered"):
            deliver()
    elif scenario == "correction_completed":
        sign()
        correction()
        p.applicant("supply_correction", (5, 96), note=CORRECTION_NOTE)
        sign()
        accept()
        review()
        decide()
        complete()
        deliver()
    elif scenario in ("deemed", "deemed_completed"):
        deemed()
        review()
        if scenario == "deemed_completed":
            decide()
            complete()
    elif scenario == "rejected":
        sign()
        reject()
    elif scenario == "rejected_after_correction":
        sign()
        correction()
        reject(
            ("materials_not_corrected", "申请人未在规定期限内补正材料，依法不予受理。"), rng.randint(8, 12)
        )
    elif scenario == "withdrawn":
        if rng.random() < 0.5:
            sign()
        withdraw()
    elif scenario == "withdrawn_after_accept":
        if not matter.trust_online_review:
            sign()
            accept()
        withdraw()
    elif scenario in ("trust_review", "trust_completed"):
        review()
        if scenario == "trust_completed":
            decide()
            complete()
            deliver()
    elif scenario in ("imm_completed", "imm_delivered"):
        sign()
        p.staff("accept", "clerk", 0, opinion=_opinion(rng, "accept"))
        p.staff("complete", "clerk", 0, opinion=_opinion(rng, "complete"))
        if scenario == "imm_delivered":
            deliver()
    return p


def anchor(plan: Plan, rng: random.Random) -> tuple[str, int | None]:
    """The step whose day fixes the case in time, and how many working days before today it falls
    (None: the last step, anywhere in the window). This is what makes a case due soon or overdue."""
    days = plan.matter.promised_limit_days
    soon = due_soon_workdays(days)
    scenario = plan.scenario
    if scenario == "draft":
        return "create", rng.randint(1, 12)
    if scenario == "submitted":
        return "submit", rng.randint(1, 2)
    if scenario == "pre_review":
        return "sign", rng.randint(1, 2)
    if scenario == "correction":
        return "request_correction", rng.randint(1, 7)
    if scenario == "accepted":
        return "accept", 1
    if scenario == "review":
        return "accept", rng.randint(1, max(1, days - soon - 1))
    if scenario == "review_due_soon":
        return "accept", days - rng.randint(1, 2)
    if scenario == "review_overdue":
        return "accept", days + rng.randint(1, 6)
    if scenario == "review_extended":
        return "accept", days + rng.randint(1, 3)
    if scenario == "special":
        return "begin_special_procedure", rng.randint(1, 6)
    if scenario in ("decided_approved", "decided_denied"):
        return ("approve" if scenario == "decided_approved" else "deny"), rng.randint(1, 2)
    if scenario == "deemed":
        return "start_review", rng.randint(1, 3)
    if scenario == "trust_review":
        return "start_review", rng.randint(1, max(1, days - soon - 1))
    return "", None


def place(plan: Plan, calendar: Calendar) -> list[Step]:
    """Build the case's steps so that its anchor step falls on the wanted day, all before now."""
    rng = seeded(plan.number, "anchor")
    name, count = anchor(plan, rng)
    start = calendar.ago(40)
    stretch = 1.0
    seen: set[datetime.date] = set()
    for _attempt in range(16):
        path = build_path(plan, calendar, start, stretch)
        step_name = name or path.steps[-1].name
        if count is None:
            first = timezone.localtime(path.steps[0].at).date()
            span = max(0, calendar.between(first, path.day_of(step_name)))
            count = rng.randint(1, max(1, calendar.available - span - 3))
        actual = path.day_of(step_name)
        difference = calendar.between(actual, calendar.ago(count))
        # Applicant steps count calendar hours, so a start can swing around a weekend: settle for
        # a day or two off the wanted one once the start has been seen before.
        settle = start in seen and abs(difference) <= 2
        seen.add(start)
        if difference == 0 or settle or (not name and abs(difference) <= 1):
            if path.valid():
                return path.steps
            too_early = timezone.localtime(path.steps[0].at).date() < calendar.first_day
            if not name:
                stretch *= 0.75  # too long for the window: decide sooner
                count = None
            elif too_early:
                count -= 1  # one working day later
            else:
                count += 1  # one working day earlier
            continue
        start = calendar.shift(start, difference)
    raise DemoCasesError(f"{plan.external_id}: no timeline fits {plan.scenario} for {plan.matter.name}")


class Planner:
    """Draws the demo cases: matters weighted to the everyday ones, every department, every
    state and channel, demo-citizen and demo-enterprise with cases of their own."""

    def __init__(self, people: People, matters: list[Matter], calendar: Calendar):
        self.rng = seeded("plan")
        self.people = people
        self.matters = matters
        self.calendar = calendar
        self.plans: list[Plan] = []
        self.online_ok = {m.pk: self._online_capable(m) for m in matters}

    def _online_capable(self, matter: Matter) -> bool:
        """Online when the catalogue says so and its form can be answered (checked once)."""
        if not matter.online_apply:
            return False
        person = self.people.residents[0]
        org = self.people.orgs[0][0] if self.people.orgs else None
        answers = FormAnswers(seeded("probe"), person, org, self.calendar.today).for_matter(matter)
        return answers is not None

    # Drawing ---------------------------------------------------------------------------------

    def weight(self, matter: Matter) -> float:
        return max(matter.popularity, 20) ** 1.5

    def pick(self, candidates: list[Matter]) -> Matter | None:
        if not candidates:
            return None
        return self.rng.choices(candidates, weights=[self.weight(m) for m in candidates])[0]

    def draw(self, weights: dict[str, int]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def for_person(self, matter: Matter) -> bool:
        return matter.audience == codes.Audience.CITIZEN or (
            matter.audience == codes.Audience.BOTH and self.rng.random() < 0.6
        )

    def applicant(self, matter: Matter, kind: str, scenario: str, *, as_person: bool):
        """(person, account, org) for a case of one of the demo residents or enterprises."""
        walk_in = kind in ("window", "express") and scenario not in NEEDS_ACCOUNT and self.rng.random() < 0.45
        if as_person or not self.people.orgs:
            if walk_in:
                return self.rng.choice(self.people.walk_ins), None, None
            person = self.rng.choice(self.people.residents)
            return person, self.people.users[person.username], None
        org, agent = self.rng.choice(self.people.orgs)
        return agent, (None if walk_in else self.people.users[agent.username]), org

    def kinds(self, matter: Matter, scenario: str, *, as_person: bool) -> list[str]:
        weights = PERSON_CHANNELS if as_person else ORG_CHANNELS
        if matter.department.short_name in OWN_SYSTEM_DEPARTMENTS:
            weights = {**weights, "department": 4}
        online = self.online_ok[matter.pk]
        return [k for k in weights if channel_fits(k, scenario, matter, online_ok=online)]

    def kind_for(self, matter: Matter, scenario: str, *, as_person: bool) -> str | None:
        fitting = self.kinds(matter, scenario, as_person=as_person)
        if not fitting:
            return None
        weights = PERSON_CHANNELS if as_person else ORG_CHANNELS
        return self.rng.choices(fitting, weights=[weights.get(k, 4) for k in fitting])[0]

    def add(self, matter: Matter, scenario: str, kind: str, person: Person, user, org: Org | None) -> Plan:
        plan = Plan(len(self.plans) + 1, matter, scenario, kind, person, user, org)
        self.plans.append(plan)
        return plan

    # The plan ----------------------------------------------------------------------------------

    def own_cases(self, cases, person: Person, user, org: Org | None) -> None:
        """demo-citizen's or demo-enterprise's cases: a different matter for each, in every state asked."""
        audience = (
            {codes.Audience.ENTERPRISE, codes.Audience.BOTH}
            if org
            else {codes.Audience.CITIZEN, codes.Audience.BOTH}
        )
        used: set[int] = set()
        for scenario, wanted_kind in cases:
            pool = [
                m
                for m in self.matters
                if m.audience in audience and m.pk not in used and scenario_fits(scenario, m)
            ]
            with_kind = [m for m in pool if wanted_kind in self.kinds(m, scenario, as_person=org is None)]
            matter = self.pick(with_kind) or self.pick(pool)
            if matter is None:
                continue
            kind = (
                wanted_kind if matter in with_kind else self.kind_for(matter, scenario, as_person=org is None)
            )
            if kind is None:
                continue
            used.add(matter.pk)
            self.add(matter, scenario, kind, person, user, org)

    def required(self, scenario: str) -> None:
        pool = [m for m in self.matters if scenario_fits(scenario, m)]
        for _try in range(20):
            matter = self.pick(pool)
            if matter is None:
                return
            as_person = self.for_person(matter)
            kind = self.kind_for(matter, scenario, as_person=as_person)
            if kind is not None:
                person, user, org = self.applicant(matter, kind, scenario, as_person=as_person)
                self.add(matter, scenario, kind, person, user, org)
                return

    def random_case(self, pool: list[Matter]) -> bool:
        for _try in range(20):
            matter = self.pick(pool)
            as_person = self.for_person(matter)
            if matter.trust_online_review:
                weights = TRUST
            elif is_immediate(matter):
                weights = IMMEDIATE
            else:
                weights = PROMISED
            scenario = self.draw({s: w for s, w in weights.items() if scenario_fits(s, matter)})
            kind = self.kind_for(matter, scenario, as_person=as_person)
            if kind is None:
                continue
            person, user, org = self.applicant(matter, kind, scenario, as_person=as_person)
            self.add(matter, scenario, kind, person, user, org)
            return True
        return False

    def plan(self, count: int) -> list[Plan]:
        people = self.people
        self.own_cases(CITIZEN_CASES, people.citizen, people.users[DEMO_CITIZEN[0]], None)
        if people.demo_org is not None:
            self.own_cases(
                ENTERPRISE_CASES, people.agent, people.users[DEMO_ENTERPRISE_AGENT[0]], people.demo_org
            )
        required = list(REQUIRED)
        if any(m.trust_online_review for m in self.matters):
            required += TRUST_REQUIRED
        for scenario in required:
            self.required(scenario)
        # Every channel at least twice.
        for kind in CHANNELS:
            while sum(p.kind == kind for p in self.plans) < 2:
                before = len(self.plans)
                for matter in sorted(self.matters, key=lambda m: -m.popularity):
                    as_person = kind not in ("department",) and self.for_person(matter)
                    scenario = "imm_delivered" if is_immediate(matter) else "delivered"
                    if matter.trust_online_review:
                        scenario = "trust_completed"
                    if kind in self.kinds(matter, scenario, as_person=as_person):
                        person, user, org = self.applicant(matter, kind, scenario, as_person=as_person)
                        self.add(matter, scenario, kind, person, user, org)
                        break
                if len(self.plans) == before:
                    break
        by_department = defaultdict(list)
        for matter in self.matters:
            by_department[matter.department_id].append(matter)
        for department_id, pool in sorted(by_department.items()):
            for _try in range(10 * MIN_CASES_PER_DEPARTMENT):
                if (
                    sum(p.matter.department_id == department_id for p in self.plans)
                    >= MIN_CASES_PER_DEPARTMENT
                ):
                    break
                self.random_case(pool)
        while len(self.plans) < count:
            if not self.random_case(self.matters):
                raise DemoCasesError("no demo matter can take another case")
        return self.plans[:count]


# --- People in the database ---------------------------------------------------------------------


def _resident_username(name: str, index: int) -> str:
    return f"{pinyin_slug(name).replace('-', '')}{index:02d}"


def _staff_names(taken: set[str], count: int) -> list[str]:
    rng = seeded("staff")
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(STAFF_SURNAMES) + rng.choice(STAFF_GIVEN)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def ensure_people(departments: list[Department]) -> People:
    """The demo residents, enterprises and department staff (created once, then found again)."""
    User = get_user_model()
    created: Counter = Counter()
    usernames = [DEMO_CITIZEN[0], DEMO_ENTERPRISE_AGENT[0], DEMO_STAFF]
    demo = {u.username: u for u in User.objects.filter(username__in=usernames)}
    missing = [name for name in usernames if name not in demo]
    if missing:
        raise DemoCasesError(
            f"demo accounts missing ({', '.join(missing)}): run manage.py seed_demo, which creates them first"
        )

    residents = [
        Person(
            name, id_number(birth, region, sex, i), fictional_mobile(i + 1), _resident_username(name, i + 1)
        )
        for i, (name, sex, birth, region) in enumerate(RESIDENTS)
    ]
    walk_ins = [
        Person(name, id_number(birth, region, sex, 200 + i), fictional_mobile(200 + i))
        for i, (name, sex, birth, region) in enumerate(WALK_INS)
    ]
    citizen_user, agent_user = demo[DEMO_CITIZEN[0]], demo[DEMO_ENTERPRISE_AGENT[0]]
    _u, name, sex, birth, region = DEMO_CITIZEN
    citizen = Person(
        citizen_user.real_name or name,
        id_number(birth, region, sex, 301),
        citizen_user.mobile or fictional_mobile(301),
        DEMO_CITIZEN[0],
    )
    _u, name, sex, birth, region = DEMO_ENTERPRISE_AGENT
    agent = Person(
        agent_user.real_name or name,
        id_number(birth, region, sex, 302),
        agent_user.mobile or fictional_mobile(302),
        DEMO_ENTERPRISE_AGENT[0],
    )

    # Staff: a clerk, a reviewer and an approver per department; demo-staff is the reviewer of its own.
    demo_membership = (
        DepartmentMembership.objects.filter(user=demo[DEMO_STAFF], role=Role.REVIEWER)
        .select_related("department")
        .first()
    )
    demo_department_id = demo_membership.department_id if demo_membership else None
    wanted: list[tuple[str, str, Department, str]] = []  # username, real name, department, role
    names = iter(
        _staff_names({p.name for p in (*residents, *walk_ins, citizen, agent)}, 3 * len(departments))
    )
    slugs: set[str] = set()
    for department in departments:
        slug = pinyin_slug(department.short_name or department.name)
        while slug in slugs:
            slug += "-2"
        slugs.add(slug)
        for role in (Role.CLERK, Role.REVIEWER, Role.APPROVER):
            name = next(names)
            if department.pk == demo_department_id:
                if role == Role.REVIEWER:
                    continue
                username = f"demo-{ROLE_TITLES[role]}"
            else:
                username = f"{slug}-{ROLE_TITLES[role]}"
            wanted.append((username, name, department, role))

    existing = {
        u.username: u
        for u in User.objects.filter(username__in=[p.username for p in residents] + [w[0] for w in wanted])
    }
    new_users = []
    for person in residents:
        if person.username not in existing:
            user = User(
                username=person.username, real_name=person.name, mobile=person.mobile, email=person.email
            )
            user.set_unusable_password()  # data, not a login: demo-citizen is the account to try
            new_users.append(user)
    staff_password = None
    for username, name, _department, _role in wanted:
        if username not in existing:
            # Demo staff share the published demo password (hashed once: hashing is slow on purpose).
            if staff_password is None:
                from matters.management.commands.seed_demo import DEMO_PASSWORD

                staff_password = make_password(DEMO_PASSWORD)
            new_users.append(
                User(
                    username=username,
                    real_name=name,
                    is_staff=True,
                    email=f"{username}@{EMAIL_DOMAIN}",
                    password=staff_password,
                )
            )
    if new_users:
        User.objects.bulk_create(new_users)
        created["accounts"] += len(new_users)
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[p.username for p in residents] + [w[0] for w in wanted])
    }
    users.update(demo)

    group, _created = Group.objects.get_or_create(name=DEPARTMENT_STAFF_GROUP)
    group.user_set.add(*[users[w[0]] for w in wanted])
    have = set(
        DepartmentMembership.objects.filter(user__in=[users[w[0]] for w in wanted]).values_list(
            "user_id", "department_id", "role"
        )
    )
    memberships = [
        DepartmentMembership(user=users[username], department=department, role=role)
        for username, _name, department, role in wanted
        if (users[username].pk, department.pk, role) not in have
    ]
    DepartmentMembership.objects.bulk_create(memberships)
    staff: dict[int, Staff] = {}
    for department in departments:
        by_role = {role: users[u] for u, _n, d, role in wanted if d.pk == department.pk}
        by_role.setdefault(Role.REVIEWER, demo[DEMO_STAFF])
        staff[department.pk] = Staff(by_role[Role.CLERK], by_role[Role.REVIEWER], by_role[Role.APPROVER])

    orgs, demo_org = _ensure_enterprises(residents, users, agent_user, created)
    return People(users, residents, walk_ins, citizen, agent, demo_org, orgs, staff, created)


def _ensure_enterprises(residents: list[Person], users: dict, agent_user, created: Counter):
    """The fictional enterprises and their agents (through the app registry: enterprises sits above)."""
    if not apps.is_installed("enterprises"):
        return [], None
    Enterprise = apps.get_model("enterprises", "Enterprise")
    Membership = apps.get_model("enterprises", "EnterpriseMembership")
    orgs: list[tuple[Org, Person]] = []
    for i, (name, legal, address, region, agent_index) in enumerate(ENTERPRISES):
        uscc = fictional_uscc(seeded("org", i))
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            enterprise = Enterprise(
                name=name,
                uscc=uscc,
                legal_representative=legal,
                registered_address=address,
                region_code=region,
            )
            enterprise.full_clean()
            enterprise.save()
            created["enterprises"] += 1
        agent = residents[agent_index]
        Membership.objects.get_or_create(
            user=users[agent.username], enterprise=enterprise, role=Membership.Role.AGENT
        )
        orgs.append((Org(enterprise.name, enterprise.uscc, enterprise.legal_representative, address), agent))
    membership = (
        Membership.objects.filter(user=agent_user).select_related("enterprise").order_by("pk").first()
    )
    demo_org = None
    if membership is not None:
        e = membership.enterprise
        demo_org = Org(e.name, e.uscc, e.legal_representative, e.registered_address)
    return orgs, demo_org


# --- Running the plans ----------------------------------------------------------------------------


class Runner:
    """Takes the steps of all the cases in time order, through the services, with the clock set."""

    def __init__(self, people: People, clock: Clock, paper: Paper):
        self.people = people
        self.clock = clock
        self.paper = paper
        self.counts: Counter = Counter()

    def run(self, plans: list[Plan]) -> None:
        events = sorted((step.at, plan.number, i) for plan in plans for i, step in enumerate(plan.steps))
        by_number = {plan.number: plan for plan in plans}
        for at, number, index in events:
            plan = by_number[number]
            step = plan.steps[index]
            self.clock.moment = at
            try:
                self.step(plan, step)
            except (workflow.TransitionNotAllowed, materials.MaterialError) as error:
                raise DemoCasesError(
                    f"{plan.external_id} ({plan.matter.name}, {plan.scenario}, {plan.kind}): "
                    f"{step.name} at {timezone.localtime(at):%Y-%m-%d %H:%M} refused: {error}"
                ) from error

    def actor(self, plan: Plan, role: str):
        if role == "applicant":
            return plan.user
        if role == "system":
            return None
        return self.people.staff[plan.matter.department_id].by_role(role)

    def applicant_data(self, plan: Plan) -> ApplicantData:
        person, org = plan.person, plan.org
        if org is not None:
            return ApplicantData(
                name=org.name,
                id_number=person.id_number,
                mobile=person.mobile,
                org_name=org.name,
                org_code=org.uscc,
                contact_name=person.name,
            )
        return ApplicantData(name=person.name, id_number=person.id_number, mobile=person.mobile)

    def answers(self, plan: Plan) -> dict:
        rng = seeded(plan.number, "form")
        answers = FormAnswers(rng, plan.person, plan.org, timezone.localdate()).for_matter(plan.matter)
        if answers is None and plan.kind in ONLINE_KINDS:
            raise DemoCasesError(f"{plan.external_id}: no valid answers to the form of {plan.matter.name}")
        return answers or {}

    # Steps ---------------------------------------------------------------------------------------

    def step(self, plan: Plan, step: Step) -> None:
        handler = getattr(self, f"do_{step.name}", None)
        if handler is not None:
            handler(plan, step)
        else:
            plan.case = self.transition(plan, step)
        self.counts[step.name] += 1

    def _draft(self, plan: Plan, step: Step, *, materials_wanted: int | None) -> Case:
        """The applicant fills the form and attaches the materials in the minutes before ``step.at``."""
        rng = seeded(plan.number, "draft")
        self.clock.moment = step.at - datetime.timedelta(minutes=rng.randint(6, 40))
        channel, sub_channel, origin, _submitter = CHANNELS[plan.kind]
        applicant = plan.user or self.actor(plan, "clerk")
        case = services.create_draft(
            applicant=applicant,
            matter=plan.matter,
            data=self.applicant_data(plan),
            form_data=self.answers(plan),
            channel=channel,
            sub_channel=sub_channel,
            origin=origin,
            external_id=plan.external_id,
        )
        if plan.kind in ONLINE_KINDS:
            required = [r for r in plan.matter.materials.all() if materials.required_online(r)]
            for requirement in required[:materials_wanted]:
                self.clock.moment += datetime.timedelta(seconds=rng.randint(40, 150))
                self.attach(plan, case, requirement)
        return case

    def attach(self, plan: Plan, case: Case, requirement, *, suffix: str = "") -> None:
        org_code = plan.org.uscc if plan.org else ""
        if not suffix:
            # 历史材料加载: what the applicant uploaded for an earlier application is reused, an
            # identity card or a business licence whatever the requirement calls it.
            documents = Document.objects.filter(owner=plan.user, kind=Document.Kind.UPLOAD, org_code=org_code)
            word = next((w for w in REUSABLE_WORDS if w in requirement.name), None)
            same = Q(requirement_name=requirement.name) | (
                Q(requirement_name__contains=word) if word else Q()
            )
            document = documents.filter(same).order_by("-created_at").first()
            if document is not None:
                materials.reuse_document(case.submission, requirement, document, plan.user)
                self.counts["materials reused"] += 1
                return
        photo = plan.kind in ("app", "wechat", "alipay")
        content, name = self.paper.material(requirement.name + suffix, photo=photo)
        materials.attach_upload(
            submission=case.submission, requirement=requirement, file=content, actor=plan.user, name=name
        )
        self.counts["files uploaded"] += 1

    def do_create(self, plan: Plan, step: Step) -> None:
        plan.case = self._draft(plan, step, materials_wanted=1)
        self.clock.moment = step.at

    def do_submit(self, plan: Plan, step: Step) -> None:
        submitter = CHANNELS[plan.kind][3]
        if plan.kind == "window":
            clerk = self.actor(plan, "clerk")
            answers = self.answers(plan)
            case = services.register_window_case(
                staff=clerk,
                matter=plan.matter,
                data=self.applicant_data(plan),
                form_data=answers,
                applicant=plan.user,
            )
            # The registration service numbers the case; the demo marks it as its own.
            Case.objects.filter(pk=case.pk).update(external_id=plan.external_id)
            case.external_id = plan.external_id
        else:
            case = self._draft(plan, step, materials_wanted=None)
            self.clock.moment = step.at
            if submitter == "applicant":
                case = services.submit(case=case, actor=plan.user)
            else:
                # Registered by the clerk (express) or sent in by another system (provincial hall,
                # the department's own system): completeness was checked where it came in.
                case = services.submit(case=case, actor=self.actor(plan, submitter), check_completeness=False)
        plan.case = case

    def do_supply_correction(self, plan: Plan, step: Step) -> None:
        case = plan.case
        requested = next(s for s in plan.steps if s.name == "request_correction")
        returned = set(
            case.submission.materials.filter(status=SubmissionMaterial.Status.CORRECTION).values_list(
                "requirement_id", flat=True
            )
        )
        if requested.data.get("requirement"):
            returned.add(requested.data["requirement"])
        for requirement in plan.matter.materials.all():
            if requirement.pk not in returned:
                continue
            for material in case.submission.materials.filter(requirement=requirement):
                materials.remove_material(material=material, actor=plan.user)
            self.attach(plan, case, requirement, suffix="（补正）")
        plan.case = services.supply_correction(case=case, actor=plan.user, note=step.data["note"])

    def do_deemed(self, plan: Plan, step: Step) -> None:
        case = services.apply_deemed_acceptance(case=plan.case, today=timezone.localdate())
        if case is None:
            raise DemoCasesError(f"{plan.external_id}: not due for deemed acceptance at {step.at}")
        plan.case = case

    def do_complete(self, plan: Plan, step: Step) -> None:
        case = plan.case
        result = None
        # An approval (an immediate case is approved on completion) hands over its result.
        if case.decision != Decision.DENIED and plan.matter.result_name:
            result = materials.keep_result(
                owner=case.applicant,
                content=self.paper.result(case, step.at),
                title=plan.matter.result_name,
                name=f"{plan.matter.result_name[:60]}.pdf",
                org_code=case.submission.org_code,
                case=case,
            )
        plan.case = services.complete(
            case=case, actor=self.actor(plan, step.role), opinion=step.data["opinion"], result_document=result
        )

    def transition(self, plan: Plan, step: Step) -> Case:
        case, actor, data = plan.case, self.actor(plan, step.role), step.data
        name = step.name
        if name == "request_correction":
            return services.request_correction(case=case, actor=actor, items=data["items"])
        if name == "begin_special_procedure":
            return services.begin_special_procedure(
                case=case, actor=actor, kind=data["kind"], opinion=data["opinion"]
            )
        if name == "deliver":
            return services.deliver(case=case, actor=actor, opinion=data["opinion"], details=data["details"])
        if name in ("reject", "deny", "withdraw"):
            service = getattr(services, name)
            return service(case=case, actor=actor, reason_code=data["reason"], opinion=data["opinion"])
        return getattr(services, name)(case=case, actor=actor, opinion=data.get("opinion", ""))


def settle_notifications(case_ids: list[int], now: datetime.datetime) -> None:
    """The demo's notifications count as sent at their time, and the older ones as read."""
    keys = [
        f"case-{case_id}-record-{sequence}-applicant"
        for case_id, sequence in ProcessRecord.objects.filter(case_id__in=case_ids).values_list(
            "case_id", "sequence"
        )
    ]
    for start in range(0, len(keys), 500):
        mine = Notification.objects.filter(key__in=keys[start : start + 500])
        mine.filter(sms_sent_at__isnull=True, user__mobile__gt="").exclude(sms_text="").update(
            sms_sent_at=F("created_at")
        )
        mine.filter(email_sent_at__isnull=True, send_email=True, user__email__gt="").update(
            email_sent_at=F("created_at")
        )
        old = now - datetime.timedelta(days=READ_AFTER_DAYS)
        mine.filter(read_at__isnull=True, created_at__lt=old).update(
            read_at=F("created_at") + datetime.timedelta(hours=3)
        )


# --- Entry point -----------------------------------------------------------------------------------


@dataclass
class SeedResult:
    created: int = 0
    existing: int = 0
    seconds: float = 0.0
    states: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    people: Counter = field(default_factory=Counter)
    steps: Counter = field(default_factory=Counter)
    trust_online: bool = True

    def summary(self) -> str:
        if not self.created:
            return f"Demo cases: all {self.existing} already there ({self.seconds:.1f}s)."
        states = ", ".join(f"{state} {n}" for state, n in self.states.most_common())
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.kinds.most_common())
        lines = [
            f"Demo cases: {self.created} new ({self.existing} already there) in {self.seconds:.1f}s.",
            f"  states: {states}",
            f"  channels: {kinds}",
        ]
        if self.people:
            made = ", ".join(f"{n} {what}" for what, n in self.people.items())
            lines.append(
                f"  people: {made}; every department has a clerk, a reviewer and an approver "
                "(<department>-clerk…, demo-clerk and demo-approver beside demo-staff), demo password"
            )
        if not self.trust_online:
            lines.append('  no matter runs in "trust online, review later" mode: none of those cases')
        return "\n".join(lines)


def demo_matters():
    return (
        Matter.objects.filter(status=codes.Status.PUBLISHED, department__is_active=True)
        .exclude(basic_code__startswith=BULK_BASIC_CODE_PREFIX)
        .select_related("department", "region")
        .prefetch_related("materials")
        .order_by("department__sort_order", "department_id", "pk")
    )


def seed_cases(*, stdout=None, count: int = CASE_COUNT) -> SeedResult:
    """Write the demo cases that are not there yet (see the module docstring). Returns what it did."""
    started = time.monotonic()
    now = timezone.now()
    result = SeedResult()
    wanted = {f"{EXTERNAL_PREFIX}{number:03d}" for number in range(1, count + 1)}
    existing = set(
        Case.objects.filter(external_id__in=wanted).values_list("external_id", flat=True).iterator()
    )
    result.existing = len(existing)
    if existing == wanted:  # make run seeds on every start: nothing to plan
        result.seconds = time.monotonic() - started
        if stdout is not None:
            stdout.write(result.summary())
        return result
    matters = list(demo_matters())
    if not matters:
        raise DemoCasesError("no published demo matters: load the demo catalogue first (manage.py seed_demo)")
    departments = list({m.department_id: m.department for m in matters}.values())
    calendar = Calendar(now)
    with transaction.atomic(), nothing_after_commit(), Clock(now).running() as clock:
        people = ensure_people(departments)
        plans = [p for p in Planner(people, matters, calendar).plan(count) if p.external_id not in existing]
        for plan in plans:
            plan.steps = place(plan, calendar)
        runner = Runner(people, clock, Paper())
        runner.run(plans)
        settle_notifications([p.case.pk for p in plans], now)
    result.created = len(plans)
    result.states = Counter(p.case.state for p in plans)
    result.kinds = Counter(p.kind for p in plans)
    result.people = people.created
    result.steps = runner.counts
    result.trust_online = any(m.trust_online_review for m in matters)
    result.seconds = time.monotonic() - started
    if stdout is not None:
        stdout.write(result.summary())
    return result
