"""The 12345 exchange page in a desktop browser: a hotline agent finds the signing of an
order that never reached the platform, presses 重新发送, and the message is queued to be
sent again — the row says so."""

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_on
from utilitydesk.exchange import services, simulator
from utilitydesk.exchange.adapters import JsonHttpAdapter
from utilitydesk.exchange.models import Outbound

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dead_message(people):
    now = timezone.now()
    payload = simulator.make_orders(1, now)[0]
    order, _created = services.receive_order(
        JsonHttpAdapter().parse_order(json.dumps(payload).encode()), now=now
    )
    # The signing failed every time (the platform was down): its retries are used up.
    Outbound.objects.filter(order=order).update(
        state=Outbound.State.DEAD,
        attempts=8,
        next_attempt_at=None,
        last_error="ConnectionRefusedError: 12345 平台无响应",
    )
    return Outbound.objects.get(order=order)


def test_an_agent_sends_a_failed_message_again(page, live_server, people, dead_message):
    sign_in_on(page, live_server, people["agent"].username)
    page.click("text=12345转办")  # from the menu, as an agent finds it
    page.wait_for_url(f"{live_server.url}/exchange/12345/")
    row = page.locator(f"#outbound-{dead_message.pk}")
    expect(row).to_contain_text(dead_message.order.order_no)
    expect(row).to_contain_text("签收")
    expect(row).to_contain_text("失败，重试已用完")
    expect(row).to_contain_text("平台无响应")
    row.get_by_role("button", name="重新发送").click()
    page.wait_for_load_state()
    expect(page.get_by_text("已完成。")).to_be_visible()
    # Queued again: retrying, due now, and who asked for it is kept.
    expect(page.locator(f"#outbound-{dead_message.pk}")).to_contain_text("失败，重试中")
    dead_message.refresh_from_db()
    assert dead_message.state == Outbound.State.FAILED
    assert dead_message.next_attempt_at is not None
    assert dead_message.next_attempt_at <= timezone.now()
    assert dead_message.retried_by == people["agent"]
