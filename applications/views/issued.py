"""Download of a PDF the hall issued for a case (受理回执, 补正告知书, 不予受理通知书, 办结通知书).

Who may see the case may download its documents: the applicant, staff of the handling
department, supervisors (``selectors.cases_visible_to``). Anyone else gets 404, as if the
document did not exist.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from applications import pdf
from applications.models import IssuedDocument
from applications.selectors import cases_visible_to


@require_safe
@login_required
def download(request, pk: int):
    issued = get_object_or_404(
        IssuedDocument.objects.select_related(
            "case__submission", "case__matter", "case__department__region", "record"
        ).filter(case__in=cases_visible_to(request.user).values("pk")),
        pk=pk,
    )
    # Normally rendered after the transition's commit; render now if the worker has not yet.
    issued = pdf.ensure_rendered(issued)
    response = FileResponse(
        issued.file.open("rb"),
        as_attachment=True,
        filename=pdf.filename(issued),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
