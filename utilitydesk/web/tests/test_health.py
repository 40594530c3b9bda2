"""/healthz, /readyz and /metrics (docs/operations.md, "Watching it"), and the request id
and JSON lines of the logs."""

import json
import logging
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import open_case
from utilitydesk.cases.deadline_models import CaseEscalation
from utilitydesk.cases.models import OPEN_STATUSES, Case
from utilitydesk.kernel.models import Heartbeat
from utilitydesk.kernel.observability import JsonFormatter, RequestIdFilter
from utilitydesk.kernel.tasks import PERIODIC_JOBS_BEAT, heartbeat_task
from utilitydesk.notifications.models import Message
from utilitydesk.policy.models import CalendarYear
from utilitydesk.privacy.logs import MaskPhoneNumbers

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _next_year_loaded():
    CalendarYear.objects.get_or_create(year=timezone.localdate().year + 1)


def test_healthz_answers_without_a_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_needs_the_heartbeat_of_the_periodic_jobs(client, settings):
    _next_year_loaded()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["state"] == "ok"
    assert body["checks"]["heartbeat"] == {"state": "failed", "detail": "no heartbeat yet"}
    heartbeat_task()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"
    Heartbeat.objects.filter(name=PERIODIC_JOBS_BEAT).update(
        beat_at=timezone.now() - timedelta(seconds=settings.READY_HEARTBEAT_SECONDS + 5)
    )
    assert client.get("/readyz").status_code == 503


def test_readyz_warns_then_fails_when_next_years_calendar_is_missing(client, monkeypatch):
    from utilitydesk.web import health

    heartbeat_task()
    CalendarYear.objects.filter(year__gt=2026).delete()
    in_november = datetime(2026, 11, 24, 9, tzinfo=SH)
    monkeypatch.setattr(health.timezone, "now", lambda: in_november)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["calendar"]["state"] == "warning"
    late_december = datetime(2026, 12, 20, 9, tzinfo=SH)
    monkeypatch.setattr(health.timezone, "now", lambda: late_december)
    # The heartbeat is as old as the clock says: beat again "now".
    Heartbeat.objects.update(beat_at=late_december)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["calendar"] == {
        "state": "failed",
        "detail": "2027 not loaded (12 days left)",
    }


def _gauge(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_metrics_give_request_latency_by_view_and_the_business_gauges(client, people, customers):
    now = timezone.now()
    overdue = open_case(people["agent"], customers["east"], now=now - timedelta(days=5))
    open_case(people["agent"], customers["east"], now=now)
    Case.objects.filter(pk=overdue.pk).update(next_check_at=now - timedelta(minutes=3))
    CaseEscalation.objects.filter(case__in=[overdue]).delete()
    CaseEscalation.objects.create(
        case=overdue, level=1, position="station_head", at=now - timedelta(minutes=10)
    )
    Message.objects.all().delete()
    Message.objects.create(channel="sms", address="13800000000", body="x", status="queued")
    Message.objects.create(channel="sms", address="13800000001", body="x", status="failed")
    Message.objects.create(channel="inbox", recipient=people["agent"], body="x")
    client.force_login(people["agent"])
    client.get("/customers/")
    client.logout()
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert (
        'utilitydesk_request_seconds_count{method="GET",status="2xx",view="customers:list"}' in text
    )
    assert (
        _gauge(text, "utilitydesk_cases_open")
        == Case.objects.filter(status__in=list(OPEN_STATUSES)).count()
        == 2
    )
    assert _gauge(text, "utilitydesk_escalations_last_hour") == 1
    assert 170 <= _gauge(text, "utilitydesk_sweeper_lag_seconds") <= 600
    assert _gauge(text, "utilitydesk_notifications_queued") == 1
    assert _gauge(text, "utilitydesk_notifications_failed") == 1
    assert _gauge(text, "utilitydesk_heartbeat_age_seconds") == -1
    assert "13800000000" not in text


def test_metrics_are_refused_to_other_addresses_unless_they_bring_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.METRICS_TOKEN = "s3cret-scrape"
    response = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-scrape"
    )
    assert response.status_code == 200
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong"
        ).status_code
        == 403
    )


def test_each_request_has_an_id_in_its_answer_and_its_log_line(client, people, caplog):
    caplog.set_level(logging.INFO, logger="utilitydesk.requests")
    client.force_login(people["agent"])
    response = client.get("/customers/?q=13812345678", HTTP_X_REQUEST_ID="nginx-req-0001")
    assert response["X-Request-ID"] == "nginx-req-0001"
    client.get("/no-such-page/13812345678/")
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32 and generated != "nginx-req-0001"
    # A made-up id with odd characters is replaced.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"
    lines = []
    for record in caplog.records:
        if getattr(record, "http", None):
            # As the logging configuration writes it: the phone masked, JSON.
            MaskPhoneNumbers().filter(record)
            lines.append(json.loads(JsonFormatter().format(record)))
    search = next(line for line in lines if line["http"]["path"] == "/customers/")
    assert search["request_id"] == "nginx-req-0001"  # the query string is not logged
    assert search["http"]["method"] == "GET" and search["http"]["user_id"] == people["agent"].pk
    assert search["http"]["view"] == "customers:list" and search["http"]["status"] == 200
    missing = next(line for line in lines if line["http"]["status"] == 404)
    assert missing["http"]["path"].startswith("/no-such-page/")
    assert "13812345678" not in json.dumps(lines, ensure_ascii=False)


def test_the_log_configuration_writes_json_lines(settings):
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("utilitydesk.test_json")
    logger.addHandler(handler)
    try:
        logger.warning("callback for %s failed", "GD0001")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "callback for GD0001 failed"
    assert line["level"] == "WARNING" and line["request_id"] == "-"
    assert date.fromisoformat(line["time"][:10])


def test_behind_the_proxy_the_clients_address_is_the_one_nginx_passes(client, settings):
    settings.TRUSTED_PROXIES = {"127.0.0.1"}
    # A client elsewhere, through nginx on this host: not allowed to scrape.
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.9.8.7").status_code
        == 403
    )
    # Only the trusted proxy is believed: a client cannot claim to be the loopback.
    assert (
        client.get("/metrics", REMOTE_ADDR="10.9.8.7", HTTP_X_REAL_IP="127.0.0.1").status_code
        == 403
    )
    settings.TRUSTED_PROXIES = set()
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.9.8.7").status_code
        == 200
    )
