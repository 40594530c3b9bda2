"""The issue's acceptance run: the simulated 12345 platform sends 500 orders with
duplicates and urges and drops the connection in the middle of result pushes; every order
exists once, every result arrives once, the figures are right."""

import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from utilitydesk.cases.models import Case
from utilitydesk.exchange import selectors, services, simulator
from utilitydesk.exchange.models import Order, Outbound

from .support import SECRET, _transport, resolve

ORDERS = 500


@pytest.mark.django_db
def test_five_hundred_orders_with_duplicates_urges_and_dropped_pushes(
    client, exchange, people, org
):
    now = timezone.now()
    sender = simulator.Sender(SECRET, _transport(client))
    # A minute apart, the last one now: the oldest are past the two-hour sign limit.
    start = now - timedelta(minutes=ORDERS - 1)
    payloads = simulator.make_orders(ORDERS, start)
    # Ten came in a month late (past any answer limit).
    for payload in payloads[:10]:
        payload["transferred_at"] = (now - timedelta(days=30)).isoformat()
    began = time.monotonic()
    for n, payload in enumerate(payloads):
        status, _answer = sender.order(payload)
        assert status == 200
        if n % 5 == 0:  # the platform sends every fifth twice
            assert sender.order(payload)[1]["created"] is False
    intake_seconds = time.monotonic() - began
    for payload in payloads[::10]:
        sender.event(simulator.urge(payload["order_no"], 1, now))
        sender.event(simulator.urge(payload["order_no"], 1, now))  # repeated
    assert Order.objects.count() == ORDERS
    assert Case.objects.filter(channel="gov_12345").count() == ORDERS
    assert Order.objects.filter(urge_count=1).count() == ORDERS // 10

    signing = timezone.now()
    assert services.send_due(now=signing, batch=1000)["sent"] == ORDERS  # all signed
    for order in Order.objects.select_related("case"):
        resolve(order.case, people["admin"], org["centre"])
    # The platform takes 40 results but the connection dies before its answer.
    exchange.platform.drop["result"] = 40
    pushing = timezone.now()
    first = services.send_due(now=pushing, batch=1000)
    assert first == {"sent": ORDERS - 40, "failed": 40, "dead": 0}
    assert services.send_due(now=pushing + timedelta(seconds=10))["sent"] == 0  # backing off
    assert services.send_due(now=pushing + timedelta(minutes=5))["sent"] == 40

    results = exchange.platform.messages["result"]
    assert len(results) == ORDERS and all(len(ids) == 1 for ids in results.values())
    assert len([c for c in exchange.platform.calls if c[0] == "result"]) == ORDERS + 40
    assert not Outbound.objects.exclude(state=Outbound.State.SENT).exists()
    assert Order.objects.filter(state=Order.State.ANSWERED).count() == ORDERS

    signed_in_time = sum(
        1
        for p in payloads
        if timezone.datetime.fromisoformat(p["transferred_at"]) + timedelta(hours=2) >= signing
    )
    totals = selectors.figures()
    assert sum(f.orders for f in totals) == ORDERS
    assert sum(f.signed_in_time for f in totals) == signed_in_time
    late = Order.objects.filter(answered_at__gt=F("answer_due_at")).count()
    assert late == 10
    assert sum(f.answered_in_time for f in totals) == ORDERS - 10
    print(f"intake of {ORDERS} orders (+{ORDERS // 5} repeats): {intake_seconds:.1f} s")
