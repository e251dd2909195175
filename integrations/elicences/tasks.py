"""Celery tasks of the e-licence peer: thin wrappers around services."""

from celery import shared_task


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_licence(licence_id: int) -> None:
    from integrations.elicences import services

    services.render_licence(licence_id)
