"""Express delivery (快递送达) of a case's results, and of the applicant's paper materials.

When the applicant chooses: on the case page, at any time from submission until the result
is handed over, so an applicant who knows from the start that they want the post does not
have to come back. The carrier is only asked for a waybill when there is something to post:
the results when the case is completed (办结; at once if it already is), the paper materials
at once. Before that the shipment waits as ``requested`` and is cancelled if the case ends
without a result (不予受理, 撤回) or is handed over at the window.

The carrier is told through the outbox (destination ``logistics``, one message per shipment,
idempotency key ``logistics-shipment-<id>``); the sender records the waybill number from the
carrier's answer (``record_waybill``): a lost answer is retried with the same key and the
carrier answers with the same number. Tracking events come by signed callback and by polling
(``poll``), both through ``record_event``: one row per carrier event id, the shipment's state
from its latest event, and results signed for close the case as 送达 (``applications.services.
deliver`` as the system), once.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import services as case_services
from applications.models import Case, State
from applications.workflow import TransitionNotAllowed
from integrations import outbox
from integrations.errors import PeerError, PeerUnavailable
from integrations.logistics import client, mapping, selectors
from integrations.logistics.models import Direction, Shipment, ShipmentState, TrackingEvent
from portal.validators import normalize_mobile

logger = logging.getLogger(__name__)

DESTINATION = "logistics"
TOPIC = "logistics.waybill"

# From submission until the result is handed over.
RESULTS_OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.PRE_REVIEW,
        State.CORRECTION_REQUESTED,
        State.ACCEPTED,
        State.UNDER_REVIEW,
        State.SPECIAL_PROCEDURE,
        State.DECIDED,
        State.COMPLETED,
    }
)
# Paper materials help only while the department still examines the application.
MATERIALS_OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.PRE_REVIEW,
        State.CORRECTION_REQUESTED,
        State.ACCEPTED,
        State.UNDER_REVIEW,
        State.SPECIAL_PROCEDURE,
    }
)
OPEN_STATES = {Direction.RESULTS: RESULTS_OPEN_STATES, Direction.MATERIALS: MATERIALS_OPEN_STATES}
# Transitions after which results are there to post.
COMPLETING = frozenset({"complete", "complete_immediately"})
# Transitions after which nothing will be posted.
ENDING = frozenset({"reject", "withdraw"})


class ShipmentRefused(Exception):
    """The applicant may not (or no longer) ask for this shipment; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownWaybill(Exception):
    """An event for a waybill number we never had."""


# --- Choosing express delivery ------------------------------------------------------


def refusal(case: Case, user, direction: str) -> str:
    """Why ``user`` may not ask for this shipment now ("" when they may)."""
    if not user or not user.is_authenticated or user.pk != case.applicant_id:
        return _("只有申请人本人可以选择快递寄送。")
    if not case.matter.express_delivery:
        return _("该事项不支持快递寄送，请到窗口领取或递交。")
    if case.state not in OPEN_STATES[direction]:
        if direction == Direction.RESULTS:
            return _("办件当前状态为“%(state)s”，不能再选择快递送达办理结果。") % {
                "state": case.get_state_display()
            }
        return _("办件当前状态为“%(state)s”，无需再寄送纸质材料。") % {"state": case.get_state_display()}
    if case.shipments.filter(direction=direction).exclude(state=ShipmentState.CANCELLED).exists():
        return _("该办件已申请过此项快递寄送。")
    return ""


# Form fields (applications.forms_engine) whose answer is a postal address, the likeliest first.
ADDRESS_KEYS = ("post_address", "mailing_address", "contact_address", "address", "residence_address")


def _address_text(value) -> str:
    """An answer as one line: the address field's {"region_name", "detail"} or plain text."""
    if isinstance(value, dict):
        return f"{value.get('region_name') or ''}{value.get('detail') or ''}".strip()
    return value.strip() if isinstance(value, str) else ""


def may_request(case: Case, user, direction: str) -> bool:
    return not refusal(case, user, direction)


def initial(case: Case, user, direction: str) -> dict:
    """The applicant's side prefilled: the last address they used, else their contact data."""
    submission = case.submission
    previous = (
        Shipment.objects.filter(requested_by=user)
        .exclude(state=ShipmentState.CANCELLED)
        .order_by("-pk")
        .first()
    )
    address = ""
    if previous is not None:
        address = (
            previous.recipient_address if previous.direction == Direction.RESULTS else previous.sender_address
        )
    if not address:
        form_data = submission.form_data or {}
        for key in ADDRESS_KEYS:
            address = _address_text(form_data.get(key))
            if address:
                break
    return {
        "name": submission.contact_name or submission.applicant_name or user.real_name,
        "phone": submission.contact_mobile or getattr(user, "mobile", ""),
        "address": address,
    }


@transaction.atomic
def request_shipment(*, case: Case, actor, direction: str, name: str, phone: str, address: str) -> Shipment:
    """The applicant asks for a parcel (results to them, or their materials to the department)."""
    if direction not in Direction.values:
        raise ShipmentRefused(_("未知的寄送方向。"))
    case = Case.objects.select_for_update().select_related("matter", "department").get(pk=case.pk)
    reason = refusal(case, actor, direction)
    if reason:
        raise ShipmentRefused(reason)
    applicant = {"name": name.strip(), "phone": normalize_mobile(phone), "address": address.strip()}
    department = {
        "name": case.department.name,
        "phone": case.matter.consultation_phone,
        "address": case.matter.handling_place.replace("\n", " ").strip(),
    }
    sender, recipient = (department, applicant) if direction == Direction.RESULTS else (applicant, department)
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                case=case,
                direction=direction,
                requested_by=actor,
                sender_name=sender["name"][:100],
                sender_phone=sender["phone"][:20],
                sender_address=sender["address"][:200],
                recipient_name=recipient["name"][:100],
                recipient_phone=recipient["phone"][:20],
                recipient_address=recipient["address"][:200],
            )
    except IntegrityError:
        raise ShipmentRefused(_("该办件已申请过此项快递寄送。")) from None
    if direction == Direction.MATERIALS or case.state == State.COMPLETED:
        _dispatch(shipment)
    return shipment


def _dispatch(shipment: Shipment) -> None:
    """Ask the carrier for a waybill (through the outbox, in the caller's transaction)."""
    outbox.enqueue(
        topic=TOPIC,
        destination=DESTINATION,
        key=shipment.idempotency_key,
        payload={"shipment": shipment.pk, "direction": shipment.direction, "case": shipment.case_id},
    )
    shipment.dispatched_at = timezone.now()
    shipment.save(update_fields=["dispatched_at", "updated_at"])


def _cancel(shipments, reason: str) -> None:
    now = timezone.now()
    for shipment in shipments:
        shipment.state = ShipmentState.CANCELLED
        shipment.cancelled_at = now
        shipment.cancel_reason = reason[:200]
        shipment.save(update_fields=["state", "cancelled_at", "cancel_reason", "updated_at"])


def on_case_transitioned(sender, *, case: Case, record, transition, **kwargs) -> None:
    """Inside every transition's transaction: post results once they exist; drop what will never go."""
    waiting = Shipment.objects.select_for_update().filter(case=case, state=ShipmentState.REQUESTED)
    if transition.name in COMPLETING:
        for shipment in waiting.filter(direction=Direction.RESULTS, dispatched_at__isnull=True):
            _dispatch(shipment)
    elif transition.name in ENDING:
        _cancel(waiting.filter(dispatched_at__isnull=True), str(transition.label))
    elif transition.name == "deliver" and (record.details or {}).get("method") != "express":
        _cancel(
            waiting.filter(direction=Direction.RESULTS, dispatched_at__isnull=True), str(transition.label)
        )


# --- The carrier's side ---------------------------------------------------------------


def callback_url() -> str:
    configured = getattr(settings, "LOGISTICS_CALLBACK_URL", "")
    if configured:
        return configured
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("logistics:events")


def waybill_request(shipment_id: int) -> dict | None:
    """What the sender posts for a shipment (None: cancelled before the carrier heard of it)."""
    shipment = Shipment.objects.select_related("case").filter(pk=shipment_id).first()
    if shipment is None or (shipment.state == ShipmentState.CANCELLED and not shipment.waybill_no):
        return None
    return mapping.waybill_request(shipment, callback_url=callback_url())


@transaction.atomic
def record_waybill(*, shipment_id: int, waybill_no: str) -> Shipment:
    """The carrier's waybill number for a shipment (a repeat of the same number changes nothing)."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    number = waybill_no.strip()
    if shipment.waybill_no:
        if shipment.waybill_no != number:
            logger.warning("shipment %s already has a waybill number; the carrier sent another", shipment.pk)
        return shipment
    shipment.waybill_no = number
    shipment.waybill_at = timezone.now()
    fields = ["waybill_no", "waybill_at", "updated_at"]
    if shipment.state == ShipmentState.REQUESTED:
        shipment.state = ShipmentState.CREATED
        fields.append("state")
    shipment.save(update_fields=fields)
    return shipment


@transaction.atomic
def record_event(event: mapping.Event, *, source: str) -> TrackingEvent | None:
    """Append a carrier event (None when we had it already) and apply what it means."""
    shipment = Shipment.objects.select_for_update().filter(waybill_no=event.waybill_no).first()
    if shipment is None:
        raise UnknownWaybill(event.waybill_no)
    if TrackingEvent.objects.filter(event_id=event.event_id).exists():
        return None
    row = TrackingEvent.objects.create(
        shipment=shipment,
        event_id=event.event_id,
        status=event.state or "",
        carrier_status=event.carrier_status,
        description=event.description,
        location=event.location,
        occurred_at=event.occurred_at,
        source=source,
    )
    _apply_events(shipment)
    return row


def _apply_events(shipment: Shipment) -> None:
    if shipment.state == ShipmentState.CANCELLED:
        return
    latest = (
        TrackingEvent.objects.filter(shipment=shipment)
        .exclude(status="")
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if latest is None or latest.status == shipment.state:
        return
    shipment.state = latest.status
    fields = ["state", "updated_at"]
    if latest.status == ShipmentState.DELIVERED:
        shipment.delivered_at = latest.occurred_at
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    if latest.status == ShipmentState.DELIVERED and shipment.direction == Direction.RESULTS:
        _deliver_case(shipment)


def _deliver_case(shipment: Shipment) -> None:
    """Results signed for: 送达, by the system, once (the workflow refuses a second time)."""
    case = Case.objects.get(pk=shipment.case_id)
    if case.state != State.COMPLETED:
        return
    try:
        case_services.deliver(
            case=case,
            actor=None,
            opinion=_("办理结果已由快递送达，运单号 %(number)s。") % {"number": shipment.waybill_no},
            details={"method": "express", "tracking_number": shipment.waybill_no},
        )
    except TransitionNotAllowed as exc:  # delivered meanwhile (window, another event)
        logger.info("case %s not delivered by waybill: %s", case.pk, exc.code)


# --- Polling ------------------------------------------------------------------------------


def poll(*, limit: int | None = None) -> dict:
    """Ask the carrier about every parcel still on its way; add the events we missed.

    Stops at the first unavailable answer (the carrier is down: the next run tries again).
    """
    limit = limit or int(getattr(settings, "LOGISTICS_POLL_BATCH", 200))
    counts = {"waybills": 0, "events": 0, "errors": 0}
    for shipment in selectors.tracked(limit):
        try:
            answer = client.waybill(shipment.waybill_no)
        except PeerUnavailable:
            counts["errors"] += 1
            break
        except PeerError:
            counts["errors"] += 1
            Shipment.objects.filter(pk=shipment.pk).update(last_polled_at=timezone.now())
            continue
        counts["waybills"] += 1
        for data in answer["events"]:
            try:
                parsed = mapping.event(data, waybill_no=shipment.waybill_no)
            except mapping.BadEvent:
                counts["errors"] += 1
                continue
            if parsed.waybill_no != shipment.waybill_no:
                continue
            if record_event(parsed, source=TrackingEvent.Source.POLL) is not None:
                counts["events"] += 1
        Shipment.objects.filter(pk=shipment.pk).update(last_polled_at=timezone.now())
    return counts
