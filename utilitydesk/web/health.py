"""Is it alive, is it ready, what is it doing (docs/operations.md, "Watching it"):
`/healthz` answers while the process serves; `/readyz` checks what serving needs (the
database, Redis when configured, the periodic jobs' heartbeat, next year's working-day
calendar); `/metrics` gives Prometheus the request latency by view and the business
gauges. None of them shows personal data."""

import ipaddress
import os
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from utilitydesk.cases.deadline_selectors import watch_figures
from utilitydesk.kernel.models import Heartbeat
from utilitydesk.kernel.tasks import PERIODIC_JOBS_BEAT
from utilitydesk.notifications.selectors import delivery_figures
from utilitydesk.policy.services import calendar_loaded

OK, FAILED, WARNING = "ok", "failed", "warning"


def _heartbeat_age(now: datetime) -> float | None:
    beat = (
        Heartbeat.objects.filter(name=PERIODIC_JOBS_BEAT).values_list("beat_at", flat=True).first()
    )
    return None if beat is None else max((now - beat).total_seconds(), 0.0)


def _check_database() -> tuple[str, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database error means not ready
        return FAILED, type(error).__name__
    return OK, connection.vendor


def _check_redis() -> tuple[str, str]:
    if not settings.REDIS_URL:
        return OK, "not configured"
    try:
        cache.set("readyz", "1", 10)
        if cache.get("readyz") != "1":
            return FAILED, "no answer"
    except Exception as error:  # a refused connection, a timeout
        return FAILED, type(error).__name__
    return OK, "answers"


def _check_heartbeat(now: datetime) -> tuple[str, str]:
    age = _heartbeat_age(now)
    if age is None:
        return FAILED, "no heartbeat yet"
    if age > settings.READY_HEARTBEAT_SECONDS:
        return FAILED, f"last beat {age:.0f} s ago"
    return OK, f"last beat {age:.0f} s ago"


def _check_calendar(now: datetime) -> tuple[str, str]:
    """Next year's holidays: missing, deadlines past New Year count Monday to Friday
    only. A warning until the last READY_CALENDAR_DAYS days of the year, then a failure."""
    today = timezone.localdate(now)
    year = today.year + 1
    if calendar_loaded(year):
        return OK, f"{year} loaded"
    days_left = (today.replace(year=year, month=1, day=1) - today).days
    state = FAILED if days_left <= settings.READY_CALENDAR_DAYS else WARNING
    return state, f"{year} not loaded ({days_left} days left)"


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    database = _check_database()
    without_database = (FAILED, "no database")
    checks = {
        "database": database,
        "redis": _check_redis(),
        "heartbeat": _check_heartbeat(now) if database[0] == OK else without_database,
        "calendar": _check_calendar(now) if database[0] == OK else without_database,
    }
    ready = all(state != FAILED for state, _detail in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": {name: {"state": s, "detail": d} for name, (s, d) in checks.items()},
        },
        status=200 if ready else 503,
    )


class BusinessCollector(Collector):
    """The gauges, read from the database at each scrape (a few indexed counts)."""

    def collect(self) -> Any:
        now = timezone.now()
        figures = watch_figures(now)
        delivery = delivery_figures()
        beat = _heartbeat_age(now)
        for name, text, value in (
            ("utilitydesk_cases_open", "Open cases.", figures["open"]),
            ("utilitydesk_cases_overdue", "Open cases past a deadline.", figures["overdue"]),
            (
                "utilitydesk_escalations_last_hour",
                "Escalations in the last hour.",
                figures["escalations_last_hour"],
            ),
            (
                "utilitydesk_sweeper_lag_seconds",
                "How long the oldest case due for a deadline check has waited.",
                figures["sweeper_lag_seconds"],
            ),
            (
                "utilitydesk_notifications_queued",
                "SMS and WeChat messages waiting to be sent.",
                delivery["queued"],
            ),
            (
                "utilitydesk_notifications_failed",
                "SMS and WeChat messages failed and not handled yet.",
                delivery["failed"],
            ),
            (
                "utilitydesk_heartbeat_age_seconds",
                "Seconds since the periodic jobs last proved they run (-1: never).",
                -1 if beat is None else beat,
            ),
            (
                "utilitydesk_calendar_next_year_loaded",
                "1 when next year's working-day calendar is loaded.",
                int(calendar_loaded(timezone.localdate(now).year + 1)),
            ),
        ):
            yield GaugeMetricFamily(name, text, value=value)


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


def _exposition() -> bytes:
    """The request metrics (summed over gunicorn's workers when they write to
    PROMETHEUS_MULTIPROC_DIR) followed by the business gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    business = CollectorRegistry()
    business.register(BusinessCollector())
    return generate_latest(requests) + generate_latest(business)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        return HttpResponse(status=403)
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)
