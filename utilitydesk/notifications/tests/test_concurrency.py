"""Delivery runs side by side (Celery workers): each notice is claimed by one run, sent
once. PostgreSQL only: SKIP LOCKED claims are what is proved."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import is_postgres
from utilitydesk.notifications import services
from utilitydesk.notifications.defaults import OUTAGE_UNPLANNED
from utilitydesk.notifications.delivery import deliver_due
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import queue_customer_notices

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]

PARAMS = {
    "reason": "管道抢修",
    "area": "城东3号楼",
    "start": "08:00",
    "end": "18:00",
    "service": "热",
    "hotline": "96069",
}


def test_four_runs_at_once_send_each_notice_once(stub, settings, monkeypatch):
    settings.NOTIFICATION_CLAIM_BATCH = 100
    recipients = [(i, f"139{i:08d}") for i in range(1000)]
    queue = {
        "reference": "interruption:5",
        "event_key": "announced",
        "template_code": OUTAGE_UNPLANNED,
        "params": PARAMS,
        "recipients": recipients,
        "actor": None,
        "now": timezone.now(),
    }
    # Nothing runs on commit: the four runs below do.
    monkeypatch.setattr(services, "schedule_delivery", lambda count: None)
    assert queue_customer_notices(**queue) == 1000
    assert queue_customer_notices(**queue) == 0  # a second dispatcher, the same event
    barrier = threading.Barrier(4)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(deliver_due().sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 1000
    counts = Counter(number for number, *_rest in stub.sent)
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert Message.objects.filter(status="sent").count() == 1000
