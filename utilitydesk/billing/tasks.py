from celery import shared_task


@shared_task(name="billing.generate_bills")
def generate_bills_task(run_id: int) -> int:
    """Bill the run's season (billing.services.generate_bills: chunk by chunk, progress on
    the run, idempotent); a run that fails is marked failed for its page."""
    from .models import BillRun
    from .services import generate_bills

    try:
        return generate_bills(run_id).bills_issued
    except Exception:
        BillRun.objects.filter(pk=run_id).update(state=BillRun.State.FAILED)
        raise


@shared_task(name="billing.send_payment_notices")
def send_payment_notices_task(season: int) -> int:
    from .notices import send_payment_notices

    return send_payment_notices(season, actor=None)


@shared_task(name="billing.send_bill_reminders")
def send_bill_reminders_task() -> int:
    """The reminder before the due day for bills still unpaid (idempotent; daily)."""
    from .notices import send_reminders

    return send_reminders()
