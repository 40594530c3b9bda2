"""The screen-pop box tells the agent first about an active interruption at the caller's."""

import pytest
from django.test import Client

from utilitydesk.customers.selectors import lookup_customers
from utilitydesk.outages import interruptions as services

from .conftest import NOW, burst

pytestmark = pytest.mark.django_db


def test_the_lookup_shows_an_active_interruption_first_and_only_inside_its_scope(
    net, people, customers
):
    before = lookup_customers(people["agent"], q="13700000001")
    assert before and before[0]["notes"] == []
    services.announce(burst(net).pk, actor=net["dispatcher"], now=NOW)
    inside = lookup_customers(people["agent"], q="13700000001")[0]
    assert len(inside["notes"]) == 1 and "停" in inside["notes"][0]
    west = customers["west"]
    outside = lookup_customers(people["agent"], account_no=west.account_no)[0]
    assert outside["notes"] == []
    client = Client()
    client.force_login(people["agent"])
    page = client.post("/customers/lookup/", {"q": "13700000001"}).content.decode()
    assert inside["notes"][0] in page
