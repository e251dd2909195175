"""Celery tasks of the applications app: thin wrappers around services."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_issued_document(issued_id: int) -> None:
    from applications import pdf

    pdf.render_issued(issued_id)


@shared_task
def apply_deemed_acceptance() -> dict:
    """Beat: accept the cases whose pre-review period ran out without a correction notice
    (Art. 32). Idempotent: a case already accepted is not due any more."""
    from applications import services

    accepted, failed = services.apply_deemed_acceptance_to_due_cases()
    if accepted or failed:
        logger.info("deemed acceptance: %d accepted, %d failed", accepted, failed)
    return {"accepted": accepted, "failed": failed}


@shared_task
def render_missing_documents() -> dict:
    """Beat: issued documents whose rendering task was lost are rendered late, once."""
    from applications import pdf

    rendered, failed = pdf.render_missing()
    return {"rendered": rendered, "failed": failed}
