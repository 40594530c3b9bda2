from celery import shared_task
from django.utils import timezone

from .interruptions import sweep_notice_deadlines


@shared_task(name="outages.sweep_notice_deadlines")
def sweep_notice_deadlines_task() -> int:
    """Escalate, once each, unplanned interruptions whose notices are overdue."""
    return sweep_notice_deadlines(now=timezone.now())
