from celery import shared_task

from . import services


@shared_task(name="exchange.send_due")
def send_due() -> dict[str, int]:
    return services.send_due()


@shared_task(name="exchange.check_health")
def check_health() -> int:
    return services.check_health()
