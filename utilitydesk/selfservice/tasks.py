from celery import shared_task


@shared_task(name="selfservice.purge")
def purge() -> int:
    from .services import purge as purge_old

    return purge_old()
