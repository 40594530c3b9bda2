from celery import shared_task
from django.utils import timezone

from .detection import detect_calls
from .interruptions import sweep_notice_deadlines


@shared_task(name="outages.sweep_notice_deadlines")
def sweep_notice_deadlines_task() -> int:
    """Escalate, once each, unplanned interruptions whose notices are overdue."""
    return sweep_notice_deadlines(now=timezone.now())


@shared_task(name="outages.detect_incidents")
def detect_incidents_task() -> int:
    """Raise the suspected incidents of the places whose recent no-supply calls reached
    their threshold (the intake no longer counts them; detection.py)."""
    return len(detect_calls(now=timezone.now()))
