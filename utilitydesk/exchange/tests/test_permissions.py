"""Who may see the 12345 exchange and act on it: its own permissions (agents and the
service office), on the page, through the API and in the read-only admin."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from tests.factories import staff
from utilitydesk.exchange import services, simulator
from utilitydesk.exchange.adapters import JsonHttpAdapter
from utilitydesk.exchange.models import Inbound, Order, Outbound
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(people):
    now = timezone.now()
    payload = simulator.make_orders(1, now)[0]
    found, _created = services.receive_order(
        JsonHttpAdapter().parse_order(json.dumps(payload).encode()), now=now
    )
    Outbound.objects.update(state=Outbound.State.DEAD, attempts=8, last_error="连接被拒绝")
    Inbound.objects.create(event_id="E-1", order=found, kind=Inbound.Kind.URGE, received_at=now)
    return found


@pytest.fixture
def dispatcher(org):
    # May cancel and dispatch cases, which once let it return orders and ask for more time.
    return staff("dispatcher", Position.DISPATCHER, org["east"])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_agents_and_the_office_see_and_act(order, people):
    message = Outbound.objects.get()
    for who in ("agent", "office"):
        page = signed_in(people[who]).get("/exchange/12345/")
        assert page.status_code == 200
        body = page.content.decode()
        assert f'id="outbound-{message.pk}"' in body and "/return/" in body
    assert "12345转办" in signed_in(people["agent"]).get("/").content.decode()
    signed_in(people["agent"]).post("/exchange/12345/retry/", {"message": message.pk})
    message.refresh_from_db()
    assert message.state == Outbound.State.FAILED and message.retried_by == people["agent"]
    signed_in(people["office"]).post(
        f"/exchange/12345/orders/{order.pk}/extension/", {"days": "3", "reason": "换管"}
    )
    assert order.outbound.filter(kind=Outbound.Kind.EXTENSION).exists()
    signed_in(people["agent"]).post(
        f"/exchange/12345/orders/{order.pk}/return/", {"reason": "非本公司区域"}
    )
    order.refresh_from_db()
    assert order.state == Order.State.RETURNED


def test_others_get_403_and_change_nothing(order, people, dispatcher):
    message = Outbound.objects.get()
    for user in (people["tech"], people["head_east"], people["gm"], dispatcher):
        client = signed_in(user)
        assert client.get("/exchange/12345/").status_code == 403
        assert "12345转办" not in client.get("/").content.decode()
        assert client.post("/exchange/12345/retry/", {"message": message.pk}).status_code == 403
        assert (
            client.post(f"/exchange/12345/orders/{order.pk}/return/", {"reason": "x"}).status_code
            == 403
        )
        assert (
            client.post(
                f"/exchange/12345/orders/{order.pk}/extension/", {"days": "2", "reason": "x"}
            ).status_code
            == 403
        )
        with pytest.raises(PermissionDenied):
            services.return_order(order.pk, "不是我们的", actor=user)
    message.refresh_from_db()
    order.refresh_from_db()
    assert message.state == Outbound.State.DEAD and message.retried_by is None
    assert order.state == Order.State.RECEIVED and order.outbound.count() == 1


def test_the_api_lists_and_retries_for_agents_only(order, people, dispatcher):
    message = Outbound.objects.get()
    for user in (people["tech"], dispatcher):
        client = signed_in(user)
        assert client.get("/api/v1/exchange/12345/messages/").status_code == 403
        refused = client.post(
            "/api/v1/exchange/12345/messages/retry/",
            {"messages": [message.pk]},
            content_type="application/json",
        )
        assert refused.status_code == 403 and "error" in refused.json()
    message.refresh_from_db()
    assert message.state == Outbound.State.DEAD
    assert Client().get("/api/v1/exchange/12345/messages/").status_code in (401, 403)
    agent = signed_in(people["agent"])
    listed = agent.get("/api/v1/exchange/12345/messages/").json()
    assert [(m["id"], m["order_no"], m["state"]) for m in listed["results"]] == [
        (message.pk, order.order_no, "dead")
    ]
    bad = agent.post(
        "/api/v1/exchange/12345/messages/retry/",
        {"messages": ["x"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "messages.0" in bad.json()["error"]["fields"]
    done = agent.post(
        "/api/v1/exchange/12345/messages/retry/",
        {"messages": [message.pk]},
        content_type="application/json",
    )
    assert done.json() == {"queued": 1}
    message.refresh_from_db()
    assert message.state == Outbound.State.FAILED and message.retried_by == people["agent"]


def test_the_admin_is_read_only(order, people):
    office = signed_in(people["office"])
    for model in ("order", "outbound", "inbound"):
        assert office.get(f"/admin/exchange/{model}/").status_code == 200
        assert office.get(f"/admin/exchange/{model}/add/").status_code == 403
    found = office.get("/admin/exchange/order/", {"q": order.order_no}).content.decode()
    assert order.order_no in found
    assert "12345工单" in found  # the model's Chinese name
    missing = office.get("/admin/exchange/order/", {"q": "NO-SUCH-ORDER"}).content.decode()
    assert f">{order.order_no}<" not in missing
    assert office.get("/admin/exchange/order/", {"state__exact": "received"}).status_code == 200
    detail = office.get(f"/admin/exchange/order/{order.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    office.post(
        f"/admin/exchange/order/{order.pk}/change/", {"state": "answered", "content": "改过"}
    )
    assert (
        office.post(f"/admin/exchange/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    message = Outbound.objects.get()
    office.post(f"/admin/exchange/outbound/{message.pk}/change/", {"state": "sent"})
    order.refresh_from_db()
    message.refresh_from_db()
    assert order.state == Order.State.RECEIVED and order.content != "改过"
    assert message.state == Outbound.State.DEAD
    # People without the records' permissions do not get in.
    assert signed_in(people["agent"]).get("/admin/exchange/order/").status_code == 302
