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


@shared_task(name="billing.post_late_fees")
def post_late_fees_task() -> int:
    """The day's late fees where a tariff sets them (idempotent per bill and day)."""
    from django.utils import timezone

    from .late_fees import post_late_fees

    return post_late_fees(timezone.localdate())
