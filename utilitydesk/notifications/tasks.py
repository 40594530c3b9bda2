from celery import shared_task


@shared_task(name="notifications.deliver_notices")
def deliver_notices_task() -> int:
    """Claim and send due customer notices until none is due or the run's time is up; a
    run that stopped with work left starts the next one (Celery, the embedded server)."""
    from django.conf import settings

    from utilitydesk.kernel.background import enqueue

    from .delivery import deliver_due

    result = deliver_due()
    if result.more_due and settings.BACKGROUND_MODE != "sync":
        enqueue(deliver_notices_task)
    return result.sent
