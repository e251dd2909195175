"""Reads of the logistics peer, with their permission scoping."""

from django.db.models import F, QuerySet

from applications import selectors as case_selectors
from integrations.logistics.models import TRACKED_STATES, Shipment, ShipmentState, TrackingEvent


def shipments_of(case) -> list[Shipment]:
    """The case's parcels (cancelled ones last), each with its events in order."""
    shipments = list(
        Shipment.objects.filter(case=case).order_by("direction", "-created_at").prefetch_related("events")
    )
    shipments.sort(key=lambda s: s.state == ShipmentState.CANCELLED)
    return shipments


def timeline(shipment: Shipment) -> list[TrackingEvent]:
    """Newest first, as carriers show a parcel's trail."""
    return sorted(shipment.events.all(), key=lambda e: (e.occurred_at, e.pk), reverse=True)


def applicant_shipments(user) -> QuerySet[Shipment]:
    """Parcels of the applicant's own cases (anyone else's: none)."""
    return Shipment.objects.filter(case__in=case_selectors.applicant_cases(user)).select_related("case")


def visible_to(user) -> QuerySet[Shipment]:
    """Parcels of the cases the user may read (the back office's scope)."""
    return Shipment.objects.filter(case__in=case_selectors.cases_visible_to(user).values("pk"))


def tracked(limit: int) -> QuerySet[Shipment]:
    """Parcels the carrier still has news of: the least recently polled first."""
    return (
        Shipment.objects.filter(state__in=TRACKED_STATES, waybill_no__isnull=False)
        .order_by(F("last_polled_at").asc(nulls_first=True), "pk")
        .only("pk", "waybill_no")[:limit]
    )
