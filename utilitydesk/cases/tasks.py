from celery import shared_task

from .sweeper import sweep


# The task keeps the name it had in the sla app: a running beat schedule still finds it.
@shared_task(name="sla.sweep")
def sweep_task() -> dict:
    return sweep()
