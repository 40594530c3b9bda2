from celery import shared_task


@shared_task(name="reports.generate_due")
def generate_due_task() -> int:
    """The reports due (the previous week from Monday, month from the 1st, quarter from its
    first day) that are not stored yet; idempotent, hourly (settings.PERIODIC_JOBS)."""
    from .services import generate_due

    return len(generate_due())
