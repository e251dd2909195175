"""The parcel panels of a case page: ``{% load logistics %}``.

* ``{% express_panel %}`` (the applicant's case page; context: ``case``, ``request``, and
  ``express_form`` when a form came back with errors): parcels with their timelines, and the
  forms to ask for express delivery while allowed.
* ``{% parcel_timelines case %}`` (the back office case page): parcels and timelines, read-only.
"""

from django import template

from integrations.logistics import selectors, services
from integrations.logistics.forms import ShipmentForm
from integrations.logistics.models import Direction

register = template.Library()


def _parcels(case) -> list[dict]:
    return [{"shipment": s, "events": selectors.timeline(s)} for s in selectors.shipments_of(case)]


@register.inclusion_tag("logistics/_case_panel.html", takes_context=True)
def express_panel(context):
    case = context["case"]
    request = context["request"]
    bound = context.get("express_form")
    forms = []
    if case.matter.express_delivery:
        for direction in (Direction.RESULTS, Direction.MATERIALS):
            if bound is not None and bound.direction == direction:
                forms.append(bound)
            elif services.may_request(case, request.user, direction):
                forms.append(ShipmentForm(direction, initial=services.initial(case, request.user, direction)))
    parcels = _parcels(case)
    return {
        "case": case,
        "parcels": parcels,
        "forms": forms,
        "show": bool(parcels or forms),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("logistics/_admin_panel.html")
def parcel_timelines(case):
    return {"case": case, "parcels": _parcels(case)}
