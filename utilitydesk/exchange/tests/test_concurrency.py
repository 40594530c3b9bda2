"""Two things at once on PostgreSQL: four workers sending never send one message twice;
the same order posted by four connections at once is one order."""

import json

import pytest
from django.utils import timezone

from tests.factories import is_postgres
from utilitydesk.exchange import services, simulator
from utilitydesk.exchange.adapters import JsonHttpAdapter
from utilitydesk.exchange.models import Order, Outbound
from utilitydesk.outages.tests.test_interruption_concurrency import run_together

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


def _parsed(payload):
    return JsonHttpAdapter().parse_order(json.dumps(payload).encode())


def test_four_workers_send_each_message_once(exchange, people):
    now = timezone.now()
    for payload in simulator.make_orders(40, now):
        services.receive_order(_parsed(payload), now=now)
    moment = timezone.now()
    results = run_together([lambda: services.send_due(now=moment, batch=5)] * 4)
    assert all(kind == "ok" for kind, _r in results), results
    assert sum(r["sent"] for _k, r in results) == 40
    assert len(exchange.platform.calls) == 40  # no message sent twice
    assert not Outbound.objects.exclude(state=Outbound.State.SENT).exists()


def test_one_order_posted_four_times_at_once_is_one_order(exchange, people):
    payload = simulator.make_orders(1, timezone.now())[0]
    results = run_together([lambda: services.receive_order(_parsed(payload))] * 4)
    assert all(kind == "ok" for kind, _r in results), results
    assert Order.objects.count() == 1
    assert sorted(created for _k, (_o, created) in results) == [False, False, False, True]
    assert len({order.case_id for _k, (order, _c) in results}) == 1
