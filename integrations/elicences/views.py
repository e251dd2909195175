"""从电子证照库调取: the applicant's button next to a material whose source is the e-licence library.

``POST /me/submissions/<uuid>/materials/<requirement>/elicence/`` fetches, verifies and
attaches the licence (``services.fetch_as_material``), then answers like the materials panel's
own actions: the panel fragment for htmx, a redirect back otherwise; a refusal (not found,
expired, revoked, platform down) is shown in Chinese next to the material.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Submission
from applications.views.documents import panel_context
from integrations.elicences import services
from matters.models import MaterialRequirement

ACTION = "elicence"


def _panel(request, submission, *, errors=None):
    context = panel_context(request, submission, errors=errors)
    template = (
        "applications/documents/_materials_panel.html"
        if request.headers.get("HX-Request")
        else "applications/documents/materials.html"
    )
    return render(request, template, context)


@require_POST
@login_required
def fetch_material(request, public_id, requirement_id: int):
    submission = get_object_or_404(Submission, public_id=public_id, applicant=request.user)
    requirement = get_object_or_404(
        MaterialRequirement.objects.select_related("matter")
        .filter(matter__cases__submission=submission)
        .distinct(),
        pk=requirement_id,
    )
    try:
        material = services.fetch_as_material(
            submission=submission, requirement=requirement, actor=request.user
        )
    except ValidationError as exc:
        return _panel(
            request, submission, errors={requirement.pk: {"action": ACTION, "messages": exc.messages}}
        )
    if request.headers.get("HX-Request"):
        return _panel(request, submission)
    messages.success(request, _("已从电子证照库调取《%(name)s》。") % {"name": material.requirement_name})
    context = panel_context(request, submission)
    return redirect(context["next"] or reverse("applications:materials", args=[submission.public_id]))
