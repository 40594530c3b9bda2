from celery import shared_task

from . import services


@shared_task(name="arrears.refresh")
def refresh_arrears() -> int:
    """Daily: the arrears records from the bills past their due day and the ledger
    (idempotent)."""
    return services.refresh()
