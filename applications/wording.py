"""What the applicant reads about the state of a case: a title and "what to do next".

Three layers, the most specific wins: a ``StateWording`` row for the case's matter, the
default row (no matter), then the built-in text below. Staff edit the rows in the admin
(applications.admin_wording). The next-step text may name a few facts of the case in
braces, replaced here (unknown names are left out): ``{serial}``, ``{matter}``,
``{department}``, ``{pre_review_due_date}``, ``{due_date}``, ``{legal_due_date}``,
``{pre_review_days}``, ``{phone}``.

``wording_for(case)`` for one case (one query); ``wordings_for(cases)`` for a list (one
query for the whole page).
"""

import re
from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications import services
from applications.models import Case, State, StateWording
from matters import cache as catalogue_cache


class StateText(NamedTuple):
    title: str
    next_step: str


# Built-in defaults: every state has one (tests check it), so nothing shows blank.
DEFAULTS: dict[str, tuple] = {
    State.DRAFT: (
        _("草稿，尚未提交"),
        _("请继续填写申请表、上传申请材料，确认无误后提交。草稿会自动保存，退出登录后也不会丢失。"),
    ),
    State.SUBMITTED: (
        _("已提交，等待预审"),
        _(
            "工作人员将在{pre_review_days}个工作日内（{pre_review_due_date}前）完成预审；"
            "材料不齐全的，会一次性告知需要补正的全部内容。您现在无需操作。"
        ),
    ),
    State.PRE_REVIEW: (
        _("预审中"),
        _(
            "窗口工作人员正在审核您的申请材料，预审期限至{pre_review_due_date}。"
            "需要补正的，我们会通过站内信和短信通知您。您现在无需操作。"
        ),
    ),
    State.CORRECTION_REQUESTED: (
        _("待补正：需要您补充材料"),
        _(
            "请按补正告知书列明的内容一次性补齐材料，然后点击“提交补正”。"
            "补正期间办理时限暂停计算，补正材料提交后重新开始预审。"
        ),
    ),
    State.ACCEPTED: (
        _("已受理"),
        _("申请已受理，承诺于{due_date}前办结。受理回执可在本页下载。您现在无需操作。"),
    ),
    State.UNDER_REVIEW: (
        _("审查中"),
        _("申请正在审查，承诺于{due_date}前办结。如需核实情况，工作人员会与您联系。您现在无需操作。"),
    ),
    State.SPECIAL_PROCEDURE: (
        _("特别程序中"),
        _(
            "申请进入听证、检验、检测、专家评审等特别程序，所需时间不计入办理时限。"
            "特别程序结束后恢复计时，我们会通知您。"
        ),
    ),
    State.DECIDED: (
        _("已作出审批决定"),
        _("审批决定已作出，正在办结并制作办理结果，完成后会通知您。"),
    ),
    State.COMPLETED: (
        _("已办结"),
        _("申请已办结，可在本页下载办结通知书和办理结果。请按办事指南说明的方式领取办理结果。"),
    ),
    State.DELIVERED: (
        _("已送达"),
        _("办理结果已送达。欢迎对本次服务进行评价。"),
    ),
    State.REJECTED: (
        _("不予受理"),
        _(
            "请下载不予受理通知书了解原因。如对决定不服，可依法申请行政复议或者提起行政诉讼；"
            "条件具备后也可以重新申请。"
        ),
    ),
    State.WITHDRAWN: (
        _("已撤回"),
        _("您已撤回该申请，办理终止。如仍需办理，可以重新提交申请。"),
    ),
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def default_text(state: str) -> StateText:
    title, next_step = DEFAULTS.get(state) or (State(state).label if state in State.values else state, "")
    return StateText(str(title), str(next_step))


def _facts(case: Case) -> dict[str, str]:
    def day(value) -> str:
        return f"{value:%Y-%m-%d}" if value else ""

    matter = case.matter
    return {
        "serial": case.serial or "",
        "matter": matter.name,
        "department": case.department.name,
        "pre_review_due_date": day(case.pre_review_due_date),
        "due_date": day(case.promised_due_date),
        "legal_due_date": day(case.legal_due_date),
        "pre_review_days": str(services.pre_review_workdays()),
        "phone": matter.consultation_phone,
    }


def fill(text: str, case: Case) -> str:
    """Replace the known ``{names}`` with the case's facts (plain replacement, no format spec).

    A sentence about a date not yet set ("承诺于{due_date}前办结" before acceptance) keeps
    reading sensibly because the date is simply left out.
    """
    if "{" not in text:
        return text
    facts = _facts(case)
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), ""), text)


def _pick(rows: Iterable[StateWording], matter_id: int, state: str) -> StateText | None:
    specific = default = None
    for row in rows:
        if row.state != state:
            continue
        if row.matter_id == matter_id:
            specific = row
        elif row.matter_id is None:
            default = row
    row = specific or default
    return StateText(row.title, row.next_step) if row else None


def _resolve(case: Case, rows: Iterable[StateWording]) -> StateText:
    text = _pick(rows, case.matter_id, case.state) or default_text(case.state)
    return StateText(text.title, fill(text.next_step, case))


def wording_for(case: Case) -> StateText:
    """(title, next_step) of the case's state, per matter, else default row, else built-in.

    The rows are kept until the catalogue version changes (saving a wording replaces it:
    ``applications.apps``), as every answer of the applications API shows one.
    """

    def build():
        return list(
            StateWording.objects.filter(
                Q(matter_id=case.matter_id) | Q(matter__isnull=True), state=case.state
            ).only("matter_id", "state", "title", "next_step")
        )

    return _resolve(case, catalogue_cache.snapshot("state-wording", case.matter_id, case.state, build=build))


def wordings_for(cases: Iterable[Case]) -> dict[int, StateText]:
    """{case pk: (title, next_step)} for a page of cases, in one query."""
    cases = list(cases)
    if not cases:
        return {}
    matter_ids = {case.matter_id for case in cases}
    states = {case.state for case in cases}
    rows = list(
        StateWording.objects.filter(
            Q(matter_id__in=matter_ids) | Q(matter__isnull=True), state__in=states
        ).only("matter_id", "state", "title", "next_step")
    )
    return {case.pk: _resolve(case, rows) for case in cases}
