from celery import shared_task


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_issued_document(issued_id: int) -> None:
    from applications import pdf

    pdf.render_issued(issued_id)
