from celery import shared_task

PERIODIC_JOBS_BEAT = "periodic_jobs"


@shared_task(name="kernel.heartbeat")
def heartbeat_task() -> None:
    """Proves the periodic jobs run (settings.PERIODIC_JOBS, every 30 s)."""
    from django.utils import timezone

    from .models import Heartbeat

    Heartbeat.objects.update_or_create(
        name=PERIODIC_JOBS_BEAT, defaults={"beat_at": timezone.now()}
    )
