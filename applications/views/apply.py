"""网上申报: the application pages of a matter, and the receipt (申报回执).

``/matters/<code>/apply/`` chooses who applies (myself, or an enterprise I act for) and
creates the draft; an existing draft of the same matter is resumed instead. Then three
steps on the draft (addressed by its submission's UUID, since a draft has no serial yet):
填写表单 (the form of the matter's specification, prefilled from the profile), 上传材料 (the
materials panel of ``applications.views.documents``) and 确认提交 (the answers, the
materials and the standardisation report, and the submit button). Drafts are rows in the
database: they are saved on every step, by the "保存草稿" button and, with htmx, on every
change (``autosave``), so they survive closing the browser and logging out.

Every page works without JavaScript. State changes go through ``applications.services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from applications import drafts, forms_engine, materials, selectors, services, wording
from applications.forms import ApplicantIdentityForm
from applications.models import Case, IssuedDocument, State
from applications.services import SubmissionIncomplete
from applications.views.documents import panel_context
from applications.workflow import TransitionNotAllowed
from matters.models import Matter

STEPS = (
    ("identity", _("选择申请人")),
    ("form", _("填写表单")),
    ("materials", _("上传材料")),
    ("review", _("确认提交")),
)


def _applicable_matter(code: str) -> Matter:
    """A published matter that can be applied for online; anything else is not found."""
    matter = Matter.objects.select_related("department").filter(implementation_code=code).first()
    if matter is None or not matter.is_published or not matter.online_apply:
        raise Http404
    return matter


def _own_draft(request, code: str, public_id) -> Case:
    """The applicant's own case of this submission and matter; 404 for anyone else."""
    return get_object_or_404(
        Case.objects.select_related("submission", "matter", "department"),
        submission__public_id=public_id,
        applicant=request.user,
        matter__implementation_code=code,
    )


def _step_url(case: Case, step: str) -> str:
    if step == "identity":
        return reverse("applications:apply", args=[case.matter.implementation_code])
    return reverse(
        f"applications:apply_{step}", args=[case.matter.implementation_code, case.submission.public_id]
    )


def _steps(case: Case | None, current: str) -> list[dict]:
    """The step indicator: each step, whether it is the current one, and a link to the others."""
    out = []
    for number, (key, label) in enumerate(STEPS, start=1):
        href = ""
        if case is not None and key != current and key != "identity":
            href = _step_url(case, key)
        out.append({"number": number, "key": key, "label": label, "current": key == current, "href": href})
    return out


def _not_a_draft(case: Case):
    """A submitted case's steps lead to its page (the back button after submitting)."""
    if case.serial:
        return redirect("applications:detail", case.serial)
    raise Http404


def _context(case: Case, current: str, **extra) -> dict:
    return {
        "case": case,
        "matter": case.matter,
        "submission": case.submission,
        "steps": _steps(case, current),
        **extra,
    }


# --- Step 0: who applies ------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def start(request, code: str):
    matter = _applicable_matter(code)
    draft = drafts.find_draft(request.user, matter)
    if draft is not None:
        if request.method == "GET":
            messages.info(request, _("已为您恢复上次保存的草稿，可以继续填写。"))
        return redirect(_step_url(draft, "form"))
    form = ApplicantIdentityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.create_draft(applicant=request.user, matter=matter, data=form.applicant_data())
        except TransitionNotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(_step_url(case, "form"))
    return render(
        request,
        "applications/apply/identity.html",
        {"matter": matter, "form": form, "steps": _steps(None, "identity")},
    )


# --- Step 1: the form ---------------------------------------------------------------------


def _build_form(case: Case, user, data=None):
    profile = drafts.profile_for(case.submission, user)
    if data is None:
        return forms_engine.build_form(case.matter, profile=profile, answers=case.submission.form_data)
    return forms_engine.build_form(case.matter, data, profile=profile)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def form_step(request, code: str, public_id):
    case = _own_draft(request, code, public_id)
    if case.state != State.DRAFT:
        return _not_a_draft(case)
    if request.method != "POST":
        return render(
            request,
            "applications/apply/form.html",
            _context(case, "form", form=_build_form(case, request.user)),
        )
    form = _build_form(case, request.user, request.POST)
    going_on = request.POST.get("action") == "next" and not form.adding_row
    if going_on and form.is_valid():
        services.update_draft(case=case, actor=request.user, form_data=form.json_data)
        return redirect(_step_url(case, "materials"))
    # Whatever happens next, nothing typed is lost: the draft keeps every answer as it is.
    services.update_draft(case=case, actor=request.user, form_data=drafts.draft_answers(form))
    if not going_on and not form.adding_row:
        messages.success(request, _("草稿已保存。您可以随时回来继续填写，退出登录也不会丢失。"))
        return redirect(_step_url(case, "form"))
    # Errors in place (the "next" button) or one more table row: the same form again.
    return render(
        request,
        "applications/apply/form.html",
        _context(case, "form", form=form, show_errors=going_on),
    )


@require_POST
@login_required
def autosave(request, code: str, public_id):
    """htmx: the form saved on every change (no validation: a draft may be half done)."""
    case = _own_draft(request, code, public_id)
    if not request.headers.get("HX-Request"):
        return redirect(_step_url(case, "form"))
    saved = False
    if case.state == State.DRAFT:
        form = _build_form(case, request.user, request.POST)
        services.update_draft(case=case, actor=request.user, form_data=drafts.draft_answers(form))
        saved = True
    return render(
        request,
        "applications/apply/_autosave_status.html",
        {"saved": saved, "saved_at": timezone.localtime(), "case": case},
    )


# --- Step 2: materials --------------------------------------------------------------------


@require_safe
@login_required
@never_cache
def materials_step(request, code: str, public_id):
    case = _own_draft(request, code, public_id)
    if case.state != State.DRAFT:
        return _not_a_draft(case)
    return render(
        request,
        "applications/apply/materials.html",
        _context(case, "materials", **panel_context(request, case.submission)),
    )


# --- Step 3: review and submit ------------------------------------------------------------


def _review_context(case: Case, problems: list[str] | None = None, refused: bool = False) -> dict:
    submission = case.submission
    if problems is None:
        problems = services.completeness_problems(case)
    spec = forms_engine.get_spec(case.matter)
    return _context(
        case,
        "review",
        answers=forms_engine.display_answers(spec, submission.form_data) if spec.fields else [],
        reports=materials.requirement_reports(submission, matters=[case.matter]),
        problems=drafts.linked_problems(
            case, problems, form_url=_step_url(case, "form"), materials_url=_step_url(case, "materials")
        ),
        refused=refused,
    )


@require_safe
@login_required
@never_cache
def review_step(request, code: str, public_id):
    case = _own_draft(request, code, public_id)
    if case.state != State.DRAFT:
        return _not_a_draft(case)
    return render(request, "applications/apply/review.html", _review_context(case))


@require_POST
@login_required
def submit(request, code: str, public_id):
    case = _own_draft(request, code, public_id)
    if case.state != State.DRAFT:
        return _not_a_draft(case)
    try:
        case = services.submit(case=case, actor=request.user)
    except SubmissionIncomplete as exc:
        context = _review_context(case, problems=exc.problems, refused=True)
        return render(request, "applications/apply/review.html", context)
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect(_step_url(case, "review"))
    messages.success(request, _("申请已提交成功。请记下统一申办流水号和查询码，或打印本回执。"))
    return redirect("applications:receipt", case.serial)


@require_POST
@login_required
def discard(request, code: str, public_id):
    """放弃草稿: the draft goes; the documents uploaded for it stay in the document store."""
    case = _own_draft(request, code, public_id)
    if case.state != State.DRAFT:
        return _not_a_draft(case)
    try:
        services.discard_draft(case=case, actor=request.user)
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect(_step_url(case, "form"))
    messages.success(request, _("草稿已删除。上传过的材料仍保存在“我的资料库”中。"))
    return redirect(reverse("applications:apply", args=[code]))


# --- The receipt (申报回执) -----------------------------------------------------------------


@require_safe
@login_required
@never_cache
def receipt(request, serial: str):
    case = get_object_or_404(
        selectors.applicant_cases(request.user).select_related("submission"),
        serial=serial,
    )
    acceptance_receipt = (
        IssuedDocument.objects.filter(case=case, kind=IssuedDocument.Kind.RECEIPT)
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "applications/apply/receipt.html",
        {
            "case": case,
            "submission": case.submission,
            "wording": wording.wording_for(case),
            "acceptance_receipt": acceptance_receipt,
            "pre_review_days": services.pre_review_workdays(),
        },
    )
