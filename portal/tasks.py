from celery import shared_task


@shared_task
def ping() -> str:
    """Health check: a worker that answers runs tasks (used by the CI smoke test)."""
    return "pong"


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def send_notification(notification_id: int) -> None:
    from portal import notifications

    notifications.send(notification_id)


@shared_task
def resend_unsent_notifications() -> dict:
    """Beat: SMS and e-mail whose task was lost (broker down at commit) go out late, once."""
    from portal import notifications

    sent, failed = notifications.resend_unsent()
    return {"sent": sent, "failed": failed}
