from celery import shared_task


@shared_task(name="kpis.count_today")
def count_today_task() -> int:
    """Today's and yesterday's KPI counts (yesterday catches what changed around
    midnight); every settings.PERIODIC_JOBS interval, idempotent."""
    from django.utils import timezone

    from .services import count_recent

    return count_recent(now=timezone.now(), days=2)


@shared_task(name="kpis.recount_recent")
def recount_recent_task() -> int:
    """The last settings.KPI_RECOUNT_DAYS days again, daily: callbacks made, complaints
    judged and appeals decided after a day change what it counts; and a month of older
    days never counted (a new installation's history)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .services import backfill, count_recent

    now = timezone.now()
    stored = count_recent(now=now, days=settings.KPI_RECOUNT_DAYS)
    window_start = timezone.localdate(now) - timedelta(days=settings.KPI_RECOUNT_DAYS - 1)
    return stored + backfill(now=now, before=window_start, days=31)
