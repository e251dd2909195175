"""The carrier's signed callback: one tracking event per request (external id: the event id).

``POST /integrations/logistics/events/`` signed with a ``logistics`` key (integrations.signing),
body ``{"event_id", "waybill_no", "status", "description", "location", "occurred_at"}``.
A replay (same event id, same body) gets the first answer and changes nothing; answers:
``200 {"received": event_id, "duplicate": bool}``, ``400 bad_event``, ``404 unknown_waybill``.
"""

import json

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from integrations.inbound import json_error, signed_callback
from integrations.logistics import mapping, services
from integrations.logistics.models import TrackingEvent


@require_POST
@signed_callback(peer="logistics", external_id="event_id")
def tracking_event(request):
    try:
        event = mapping.event(json.loads(request.body or b"{}"))
    except (ValueError, UnicodeDecodeError) as exc:
        return json_error(400, "bad_event", f"轨迹事件无法识别：{exc}")
    try:
        row = services.record_event(event, source=TrackingEvent.Source.CALLBACK)
    except services.UnknownWaybill:
        return json_error(404, "unknown_waybill", "运单号不存在。")
    return JsonResponse({"received": event.event_id, "duplicate": row is None})
