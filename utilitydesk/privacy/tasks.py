from celery import shared_task


@shared_task(name="privacy.purge_access_log")
def purge_access_log_task() -> int:
    from .services import purge_access_log

    return purge_access_log()
