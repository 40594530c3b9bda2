from celery import shared_task


@shared_task(name="callbacks.schedule_account_callbacks")
def schedule_account_callbacks_task() -> int:
    from .services import schedule_account_callbacks

    return schedule_account_callbacks()
