from celery import shared_task


@shared_task(name="wechat.purge_messages")
def purge_messages() -> int:
    from .services import purge_messages as purge

    return purge()
