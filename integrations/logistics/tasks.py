"""Celery tasks of the logistics peer (thin wrappers; each is also a management command)."""

from celery import shared_task

from integrations.logistics import services


@shared_task(name="integrations.logistics.tasks.logistics_poll", ignore_result=True)
def logistics_poll() -> dict:
    """Ask the carrier about every parcel on its way (beat: ``logistics-poll``)."""
    return services.poll()
