from celery import shared_task
from django.utils import timezone

from . import method, services


@shared_task(name="temperature.close_season_credits")
def close_season_credits_task() -> int:
    """Daily: refunds still running when a season has ended are closed on its last day
    (idempotent; nothing happens while the season runs)."""
    now = timezone.now()
    season = method.season_of(now, services.policy_for(None).season_start)
    return sum(services.close_season_credits(s, now=now) for s in (season - 1, season))
