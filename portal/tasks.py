from celery import shared_task


@shared_task
def ping() -> str:
    """Health check: a worker that answers runs tasks (used by the CI smoke test)."""
    return "pong"
