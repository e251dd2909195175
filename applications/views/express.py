"""快递送达 on the applicant's case page: ask for a parcel (results to me, or my paper materials
to the department) and follow it. The rules live in ``integrations.logistics.services``;
the panel is ``{% express_panel %}`` (integrations/logistics/templatetags/logistics.py).

Only the applicant's own cases and parcels: anyone else gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from applications.views.my_cases import _detail_context, _own_case
from integrations.logistics import selectors, services
from integrations.logistics.forms import ShipmentForm
from integrations.logistics.models import Direction


@require_POST
@login_required
def request_shipment(request, serial: str, direction: str):
    case = _own_case(request, serial)
    if direction not in Direction.values:
        raise Http404
    form = ShipmentForm(direction, request.POST)
    if form.is_valid():
        try:
            services.request_shipment(
                case=case,
                actor=request.user,
                direction=direction,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                address=form.cleaned_data["address"],
            )
        except services.ShipmentRefused as exc:
            messages.error(request, exc.message)
        else:
            if direction == Direction.MATERIALS:
                messages.success(request, _("已预约快递上门取件，运单号分配后可在本页查看物流轨迹。"))
            else:
                messages.success(request, _("已选择快递送达，办理结果寄出后可在本页查看物流轨迹。"))
        return redirect(f"{case.get_absolute_url()}#express")
    context = _detail_context(request, case)
    context["express_form"] = form
    return render(request, "applications/my_cases/detail.html", context, status=400)


@require_safe
@login_required
@never_cache
def parcel(request, serial: str, pk: int):
    shipment = get_object_or_404(selectors.applicant_shipments(request.user), pk=pk, case__serial=serial)
    case = _own_case(request, serial)
    context = {"case": case, "shipment": shipment, "events": selectors.timeline(shipment)}
    return render(request, "logistics/parcel.html", context)
