"""Delivery runs against the local provider: retries with backoff, permanent failures,
the rate limit, idempotency when a run dies, status reports."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from utilitydesk.notifications import delivery, ratelimit
from utilitydesk.notifications.defaults import OUTAGE_RESTORED, OUTAGE_UNPLANNED
from utilitydesk.notifications.delivery import claim, deliver_due
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import queue_customer_notices

PARAMS = {
    "reason": "管道抢修",
    "area": "城东3号楼",
    "start": "08:00",
    "end": "18:00",
    "service": "热",
    "hotline": "96069",
}


def queue(recipients, event_key="announced", reference="interruption:7"):
    return queue_customer_notices(
        reference=reference,
        event_key=event_key,
        template_code=OUTAGE_UNPLANNED,
        params=PARAMS,
        recipients=recipients,
        actor=None,
        now=timezone.now(),
    )


def phones(n, start=0):
    return [(i, f"139{start + i:08d}") for i in range(n)]


@pytest.fixture
def later(monkeypatch):
    """Move the delivery clock forward: later(seconds)."""
    base = timezone.now()

    def move(seconds):
        monkeypatch.setattr(delivery, "_now", lambda: base + timedelta(seconds=seconds))

    return move


@pytest.mark.django_db
def test_a_rate_limited_number_is_tried_again_after_backoff(stub, later):
    stub.script["+8613900000001"] = ["LimitExceeded.PhoneNumberThirtySecondLimit", "Ok"]
    queue(phones(3))
    first = deliver_due()
    assert (first.sent, first.retried) == (2, 1)
    waiting = Message.objects.get(address="13900000001")
    assert waiting.status == "queued" and waiting.attempts == 1
    assert waiting.error_code == "LimitExceeded.PhoneNumberThirtySecondLimit"
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert deliver_due().sent == 0  # not yet due
    later(61)
    assert deliver_due().sent == 1
    waiting.refresh_from_db()
    assert waiting.status == "sent" and waiting.attempts == 2 and waiting.error_code == ""
    assert len(stub.sent) == 3


@pytest.mark.django_db
def test_backoff_doubles_and_gives_up_after_the_last_attempt(stub, settings, later):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    stub.script["+8613900000000"] = ["InternalError.Timeout"]
    queue(phones(1))
    waits = []
    clock = 1  # just after it was queued
    for _attempt in range(3):
        later(clock)
        deliver_due()
        message = Message.objects.get()
        if message.next_attempt_at:
            waits.append((message.next_attempt_at - delivery._now()).total_seconds())
            clock += waits[-1] + 1
    assert waits == [60, 120]
    assert message.status == "failed" and message.attempts == 3
    assert stub.attempts["+8613900000000"] == 3


@pytest.mark.django_db
def test_a_refused_request_is_retried_as_a_whole(stub, later):
    stub.fail_requests = ["RequestLimitExceeded"]
    queue(phones(5))
    assert deliver_due().retried == 5
    later(61)
    assert deliver_due().sent == 5
    assert len(stub.sent) == 5


@pytest.mark.django_db
def test_the_rate_limit_spaces_requests(stub, settings, monkeypatch):
    settings.SMS_TENCENT = stub.settings(RATE_PER_SECOND=100)
    clock = [timezone.now()]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    monkeypatch.setattr(ratelimit, "_now", lambda: clock[0])
    monkeypatch.setattr(ratelimit, "_sleep", sleep)
    queue(phones(450))
    assert deliver_due().sent == 450
    # 100 at once (the bucket's one second), the other 350 at 100 a second.
    assert sum(slept) == pytest.approx(3.5)


@pytest.mark.django_db
def test_a_long_wait_gives_the_messages_back(stub, settings, monkeypatch):
    settings.SMS_TENCENT = stub.settings(RATE_PER_SECOND=10)
    monkeypatch.setattr(ratelimit, "_sleep", lambda s: None)
    queue(phones(450))
    result = deliver_due()
    assert result.sent == 0 and result.more_due
    assert stub.requests == []
    assert set(Message.objects.values_list("status", "attempts")) == {("queued", 0)}
    assert Message.objects.filter(next_attempt_at__gt=timezone.now()).count() == 450


@pytest.mark.django_db
def test_running_twice_sends_once(stub):
    queue(phones(250))
    assert deliver_due().sent == 250
    assert deliver_due().sent == 0
    assert queue(phones(250)) == 0
    assert len(stub.sent) == 250 == len({number for number, *_rest in stub.sent})


@pytest.mark.django_db
def test_a_run_that_died_after_its_claim_is_sent_by_the_next(stub, later):
    queue(phones(10))
    held = claim(now=timezone.now(), limit=1000)  # ... and the worker dies here
    assert len(held) == 10
    assert deliver_due().sent == 0  # the lease still stands
    later(settings_lease() + 1)
    assert deliver_due().sent == 10
    assert len(stub.sent) == 10
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


def settings_lease():
    from django.conf import settings

    return settings.NOTIFICATION_LEASE_SECONDS


@pytest.mark.django_db
def test_a_run_that_died_during_the_provider_call_never_sends_twice(stub, later):
    queue(phones(10))
    held = claim(now=timezone.now(), limit=1000)
    delivery._mark_submitted(held, timezone.now())  # ... the provider is called, the worker dies
    later(settings_lease() + 1)
    assert deliver_due().sent == 0
    assert stub.requests == []
    unknown = Message.objects.filter(status="failed", error_code=delivery.NO_ANSWER)
    assert unknown.count() == 10


@pytest.mark.django_db
def test_a_lost_answer_is_not_sent_again_and_a_late_report_settles_it(stub, settings):
    stub.drop_answers = 1
    queue(phones(3))
    result = deliver_due()
    assert result.failed == 3 and result.sent == 0
    assert len(stub.sent) == 3  # the provider did send them
    assert deliver_due().sent == 0
    assert len(stub.sent) == 3
    response = Client().post(
        "/notices/reports/tencent/stub-callback-token/",
        json.dumps(stub.reports()),
        content_type="application/json",
    )
    assert response.json() == {"result": 0, "errmsg": "OK"}
    assert set(Message.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(Message.objects.values_list("provider_id", flat=True)) == {
        serial for _n, serial, *_rest in stub.sent
    }


@pytest.mark.django_db
def test_status_reports_mark_delivered_and_failed(stub):
    queue(phones(3))
    deliver_due()
    serials = [serial for _n, serial, *_rest in stub.sent]
    reports = stub.reports(serials[:2]) + stub.reports(serials[2:], status="FAIL")
    client = Client()
    url = "/notices/reports/tencent/stub-callback-token/"
    for _twice in range(2):  # the provider may repeat a report
        response = client.post(url, json.dumps(reports), content_type="application/json")
        assert response.status_code == 200 and response.json()["result"] == 0
    by_serial = {m.provider_id: m for m in Message.objects.all()}
    assert by_serial[serials[0]].status == "delivered"
    assert by_serial[serials[0]].report_status == "success"
    assert by_serial[serials[0]].delivered_at is not None
    failed = by_serial[serials[2]]
    assert (failed.status, failed.report_status, failed.error_code) == ("failed", "fail", "MK:0001")


@pytest.mark.django_db
def test_the_callback_wants_its_secret(stub, settings):
    client = Client()
    body = json.dumps(stub.reports())
    assert (
        client.post(
            "/notices/reports/tencent/wrong/", body, content_type="application/json"
        ).status_code
        == 404
    )
    settings.SMS_TENCENT = {**settings.SMS_TENCENT, "CALLBACK_TOKEN": ""}
    assert (
        client.post(
            "/notices/reports/tencent/stub-callback-token/", body, content_type="application/json"
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_different_values_go_in_different_requests(stub):
    queue(phones(3))
    queue_customer_notices(
        reference="interruption:7",
        event_key="restored",
        template_code=OUTAGE_RESTORED,
        params={"area": "城东3号楼", "restored": "17:30", "service": "热", "hotline": "96069"},
        recipients=phones(3),
        actor=None,
        now=timezone.now(),
    )
    assert deliver_due().sent == 6
    assert sorted(len(r["body"]["PhoneNumberSet"]) for r in stub.requests) == [3, 3]
    assert len({r["body"]["TemplateId"] for r in stub.requests}) == 2


@pytest.mark.django_db
def test_without_a_batch_backend_notices_go_one_by_one(templates, settings):
    from utilitydesk.notifications.backends import MemoryBackend

    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "utilitydesk.notifications.backends.MemoryBackend",
    }
    MemoryBackend.sent.clear()
    queue(phones(3))
    assert deliver_due().sent == 3
    assert [s["to"] for s in MemoryBackend.sent] == [p for _c, p in phones(3)]
    MemoryBackend.sent.clear()
