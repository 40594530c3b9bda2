import json
from datetime import timedelta

from django.utils import timezone

from utilitydesk.cases.models import Case, Status
from utilitydesk.exchange import selectors, services, simulator
from utilitydesk.exchange.adapters import JsonHttpAdapter, signed_headers
from utilitydesk.exchange.models import Link, Order, Outbound
from utilitydesk.notifications.models import Message

from .support import SECRET, _transport, resolve


def test_bad_payloads_get_field_messages_and_bad_signatures_are_refused(client, exchange):
    sender = simulator.Sender(SECRET, _transport(client))
    status, answer = sender.order({"order_no": "X1", "category": "nonsense"})
    assert status == 400
    assert {"category", "content", "caller_name", "transferred_at"} <= set(
        answer["error"]["fields"]
    )
    wrong_phone = {**simulator.make_orders(1, timezone.now())[0], "caller_phone": "12"}
    status, answer = sender.order(wrong_phone)
    assert status == 400 and "caller_phone" in answer["error"]["fields"]
    status, _answer = simulator.Sender("wrong", _transport(client)).order({"order_no": "X1"})
    assert status == 403
    raw = client.generic(
        "POST",
        simulator.ORDERS_PATH,
        b"\xff not json",
        content_type="application/json",
        **{
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in signed_headers(SECRET, b"\xff not json").items()
        },
    )
    assert raw.status_code == 400


def test_an_order_once_signed_urged_resolved_answered_and_judged(
    client, exchange, people, customers
):
    now = timezone.now()
    sender = simulator.Sender(SECRET, _transport(client))
    payload = simulator.make_orders(1, now - timedelta(minutes=5), phones=["13812345678"])[0]
    status, first = sender.order(payload)
    assert status == 200 and first["created"] is True
    status, again = sender.order(payload)
    assert status == 200 and again == {**first, "created": False}
    order = Order.objects.get()
    case = order.case
    assert case.channel == "gov_12345" and case.status == Status.DISPATCHED
    assert order.sign_due_at == order.transferred_at + timedelta(hours=2)
    assert services.send_due(now=timezone.now())["sent"] == 1
    order.refresh_from_db()
    assert order.state == Order.State.SIGNED and order.signed_at is not None

    sender.event(simulator.urge(order.order_no, 1, now))
    sender.event(simulator.urge(order.order_no, 1, now))  # the same event again
    order.refresh_from_db()
    assert order.urge_count == 1
    assert Message.objects.filter(subject__contains=case.number).exists()

    resolve(Case.objects.get(pk=case.pk), people["admin"], None)
    assert services.send_due(now=timezone.now())["sent"] == 1
    order.refresh_from_db()
    assert order.state == Order.State.ANSWERED
    assert len(exchange.platform.messages["result"][order.order_no]) == 1
    sender.event(simulator.verdict(order.order_no, "dissatisfied", now))
    order.refresh_from_db()
    assert order.verdict == "dissatisfied" and order.unit_id == case.responsible_unit_id
    [row] = selectors.figures()
    assert (row.orders, row.signed_in_time, row.answered_in_time, row.dissatisfied) == (1, 1, 1, 1)


def test_return_and_extension(client, exchange, people):
    now = timezone.now()
    sender = simulator.Sender(SECRET, _transport(client))
    sender.order(simulator.make_orders(1, now)[0])
    order = Order.objects.get()
    due = order.answer_due_at
    services.request_extension(order.pk, 3, "需要更换管道", actor=people["office"], now=now)
    services.send_due(now=timezone.now())
    assert list(exchange.platform.messages["extension"]) == [order.order_no]
    sender.event(
        {
            "event_id": "E1",
            "order_no": order.order_no,
            "type": "extension",
            "at": now.isoformat(),
            "approved": True,
            "days": 3,
        }
    )
    order.refresh_from_db()
    assert order.extension_days == 3 and order.answer_due_at > due + timedelta(days=2)
    services.return_order(order.pk, "不属于供热范围", actor=people["office"], now=now)
    services.send_due(now=timezone.now())
    order.refresh_from_db()
    assert order.state == Order.State.RETURNED
    assert order.case.status == Status.CANCELLED
    assert list(exchange.platform.messages["return"]) == [order.order_no]


def test_failures_back_off_go_dead_alert_the_office_and_retry(client, exchange, people):
    now = timezone.now()
    simulator.Sender(SECRET, _transport(client)).order(simulator.make_orders(1, now)[0])
    exchange.platform.down = True
    moment = timezone.now()
    for _ in range(4):
        services.send_due(now=moment)
        moment += timedelta(hours=2)
    message = Outbound.objects.get()
    assert message.state == Outbound.State.DEAD and message.attempts == 4 and message.last_error
    assert (
        Message.objects.filter(recipient=people["office"], reference="exchange:12345").count() == 1
    )
    assert [m.pk for m in selectors.troubled_messages(people["agent"])] == [message.pk]
    exchange.platform.down = False
    assert services.retry([message.pk], actor=people["agent"], now=moment) == 1
    assert services.send_due(now=moment)["sent"] == 1
    assert Link.objects.get().consecutive_failures == 0
    page = client_for(client, people["agent"]).get("/exchange/12345/")
    assert page.status_code == 200


def client_for(client, user):
    client.force_login(user)
    return client


def test_silence_raises_the_alert(exchange, people, settings):
    now = timezone.now()
    order_payload = simulator.make_orders(1, now)[0]
    order, _created = services.receive_order(
        JsonHttpAdapter().parse_order(json.dumps(order_payload).encode()), now=now
    )
    Link.objects.update(last_success_at=now - timedelta(hours=5))
    Outbound.objects.update(created_at=now - timedelta(hours=5))
    assert services.check_health(now=now) == 1
    assert services.check_health(now=now) == 0  # once per outage


def test_the_page_shows_figures_and_its_buttons_work(client, exchange, people):
    simulator.Sender(SECRET, _transport(client)).order(simulator.make_orders(1, timezone.now())[0])
    order = Order.objects.get()
    exchange.platform.down = True
    services.send_due(now=timezone.now())
    exchange.platform.down = False
    client.force_login(people["office"])
    page = client.get("/exchange/12345/").content.decode()
    assert "12345工单对接" in page and "按时签收" in page and order.order_no in page
    message = Outbound.objects.get()
    assert f'id="outbound-{message.pk}"' in page
    client.post("/exchange/12345/retry/", {"message": message.pk})
    services.send_due(now=timezone.now())
    message.refresh_from_db()
    assert message.state == Outbound.State.SENT
    client.post(f"/exchange/12345/orders/{order.pk}/return/", {"reason": "非本公司供热区域"})
    order.refresh_from_db()
    assert order.state == Order.State.RETURNED and order.case.status == Status.CANCELLED
    client.force_login(people["tech"])
    assert client.get("/exchange/12345/").status_code == 403
