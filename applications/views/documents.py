"""The document store (我的资料库), the materials of an application, and serving files.

* ``/me/documents/``: the account's documents, newest first, with preview and download.
* ``/me/documents/<pk>/file/``: a file, only to whom may see it (``materials.documents_visible_to``:
  the owner, staff of the handling department of a case that uses it, supervisors); 404 to
  anyone else. Inline for PDF and images, an attachment with ``?download=1``.
* ``/me/documents/<pk>/preview/``: the same file, always inline and framable by this site
  only, for ``<iframe>``/``<img>`` previews in the back office.
* ``/me/submissions/<uuid>/materials/``: the materials panel of an application (upload,
  load from the store, promise under 容缺受理, remove), a full page without JavaScript and
  a fragment for htmx. The apply pages include the same fragment
  (``applications/documents/_materials_panel.html`` with ``panel_context(...)``).
"""

from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from applications import materials, uploads
from applications.models import Document, Submission, SubmissionMaterial
from matters.models import MaterialRequirement

LIBRARY_PAGE_SIZE = 20
# Shown in the browser rather than downloaded (the types a browser renders itself).
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp"})


# --- Serving files -----------------------------------------------------------------------


def _file_response(document: Document, *, as_attachment: bool) -> FileResponse:
    inline = not as_attachment and document.content_type in INLINE_TYPES
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=uploads.sanitize_filename(document.original_name, document.content_type),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Other sites may not embed applicants' files (<img src> from elsewhere).
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_safe
@login_required
@never_cache
def document_file(request, pk: int):
    document = get_object_or_404(materials.documents_visible_to(request.user), pk=pk)
    return _file_response(document, as_attachment=request.GET.get("download") == "1")


@require_safe
@login_required
@never_cache
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def document_preview(request, pk: int):
    document = get_object_or_404(materials.documents_visible_to(request.user), pk=pk)
    return _file_response(document, as_attachment=False)


# --- 我的资料库 ----------------------------------------------------------------------------


@require_safe
@login_required
def library(request):
    paginator = Paginator(materials.library(request.user), LIBRARY_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "applications/documents/library.html",
        {
            "page_obj": page_obj,
            "documents": page_obj.object_list,
            "page_range": paginator.get_elided_page_range(page_obj.number),
        },
    )


# --- The materials of an application ------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(label=_("选择文件"))


class ReuseForm(forms.Form):
    document = forms.IntegerField(label=_("从资料库选择"))


class PromiseForm(forms.Form):
    promise_date = forms.DateField(label=_("承诺补交日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


ACTIONS = {"upload": UploadForm, "reuse": ReuseForm, "promise": PromiseForm}


def _own_submission(request, public_id) -> Submission:
    """The applicant's own submission; anyone else gets 404, as if it did not exist."""
    return get_object_or_404(Submission, public_id=public_id, applicant=request.user)


def panel_context(request, submission: Submission, *, errors: dict | None = None) -> dict:
    """What ``_materials_panel.html`` needs: a row per requirement with its problems, the
    documents that can be loaded into it, and the errors of the last action (by requirement)."""
    reports = materials.requirement_reports(submission)
    reusable = materials.reusable_documents(request.user, submission)
    errors = errors or {}
    editable = materials.may_edit(submission, request.user)
    rows = []
    for report in reports:
        name = report.requirement.name
        attached = {m.document_id for m in report.provided}
        choices = sorted(
            (d for d in reusable if d.pk not in attached), key=lambda d, name=name: d.requirement_name != name
        )
        # Errors of a form the panel does not show (any more) are shown on the requirement itself.
        shown = {
            "upload": editable,
            "reuse": editable and bool(choices),
            "promise": editable and report.can_promise and not report.provided,
        }
        error = errors.get(report.requirement.pk)
        rows.append(
            {
                "report": report,
                "reusable": choices,
                "error": error if error and shown.get(error["action"]) else None,
                "loose_error": error if error and not shown.get(error["action"]) else None,
            }
        )
    return {
        "submission": submission,
        "matter_names": "、".join(submission.cases.values_list("matter__name", flat=True)),
        "rows": rows,
        "problems": [p for report in reports for p in report.problems],
        "editable": editable,
        "accept": uploads.accept_attribute(),
        "allowed_labels": uploads.allowed_labels(),
        "max_bytes": uploads.max_bytes(),
        "today": timezone.localdate().isoformat(),
        "latest_promise_date": materials.latest_promise_date().isoformat(),
        "next": _safe_next(request),
    }


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _render_panel(request, submission: Submission, *, errors: dict | None = None, status: int = 200):
    context = panel_context(request, submission, errors=errors)
    template = (
        "applications/documents/_materials_panel.html"
        if request.headers.get("HX-Request")
        else "applications/documents/materials.html"
    )
    return render(request, template, context, status=status)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def submission_materials(request, public_id):
    return _render_panel(request, _own_submission(request, public_id))


# Upload handlers can only change before anything reads request.POST, and the CSRF check
# reads it: so the outer view is exempt and the inner one does the CSRF check itself.
@csrf_exempt
@require_POST
@login_required
def material_action(request, public_id, requirement_id: int):
    limiter = uploads.SizeLimitedUploadHandler(request)
    request.upload_handlers.insert(0, limiter)
    return _material_action(request, public_id, requirement_id, limiter)


@csrf_protect
def _material_action(request, public_id, requirement_id: int, limiter):
    submission = _own_submission(request, public_id)
    requirement = get_object_or_404(
        MaterialRequirement.objects.select_related("matter")
        .filter(matter__cases__submission=submission)
        .distinct(),
        pk=requirement_id,
    )
    action = request.POST.get("action", "")
    form_class = ACTIONS.get(action)
    if form_class is None:
        return _render_panel(request, submission, status=400)
    form = form_class(request.POST, request.FILES)
    messages: list[str] = []
    if action == "upload" and limiter.too_large:
        messages = uploads.too_large_error(limiter.too_large[0]).messages
    elif not form.is_valid():
        messages = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            _perform(request, action, form.cleaned_data, submission, requirement)
        except ValidationError as exc:
            messages = list(exc.messages)
    if messages:
        errors = {requirement.pk: {"action": action, "messages": messages}}
        return _render_panel(request, submission, errors=errors)
    if request.headers.get("HX-Request"):
        return _render_panel(request, submission)
    return redirect(_safe_next(request) or reverse("applications:materials", args=[submission.public_id]))


def _perform(request, action: str, data: dict, submission, requirement) -> None:
    if action == "upload":
        materials.attach_upload(
            submission=submission, requirement=requirement, file=data["file"], actor=request.user
        )
    elif action == "reuse":
        document = Document.objects.filter(pk=data["document"]).first()
        if document is None:
            raise ValidationError(_("请选择资料库中的材料。"))
        materials.reuse_document(submission, requirement, document, request.user)
    else:
        materials.promise_material(
            submission=submission,
            requirement=requirement,
            promise_date=data["promise_date"],
            note=data.get("note", ""),
            actor=request.user,
        )


@require_POST
@login_required
def material_remove(request, public_id, material_id: int):
    submission = _own_submission(request, public_id)
    material = get_object_or_404(SubmissionMaterial, pk=material_id, submission=submission)
    try:
        materials.remove_material(material=material, actor=request.user)
    except ValidationError as exc:
        errors = {material.requirement_id: {"action": "remove", "messages": list(exc.messages)}}
        return _render_panel(request, submission, errors=errors)
    if request.headers.get("HX-Request"):
        return _render_panel(request, submission)
    return redirect(_safe_next(request) or reverse("applications:materials", args=[submission.public_id]))
