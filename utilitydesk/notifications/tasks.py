from celery import shared_task


@shared_task(name="notifications.deliver_notices")
def deliver_notices_task() -> int:
    """Claim and send due customer notices until none is due (or the run's time is up)."""
    from .delivery import deliver_due

    return deliver_due()
