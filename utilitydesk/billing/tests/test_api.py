"""GET /api/v1/accounts/{account_no}/balance/ and GET /api/v1/bills/?account=…: what a
caller may see (station scope, the bill-reading permission), the balance and overdue
amount computed by hand, lines nested, every answer access-logged, errors in the project's
shape."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from utilitydesk.accounts.services import issue_token
from utilitydesk.audit.models import AccessLog
from utilitydesk.billing import ledger, services
from utilitydesk.billing.models import Bill, EntryKind
from utilitydesk.outages.tests.conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


@pytest.fixture
def billed(people, customers):
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    return customers


def test_balance_overdue_and_current_bill(people, billed):
    east = billed["east"]
    # 2,230.20 owed; 1,000.00 paid. Before the due day nothing is overdue, after it all.
    ledger.post_entry(east.pk, EntryKind.PAYMENT, D("-1000.00"), "payment:test:1", actor=None)
    Bill.objects.update(due_on=date(2999, 11, 15))
    response = api(people["agent"]).get(f"/api/v1/accounts/{east.account_no}/balance/")
    assert D(response.json()["balance"]) == D("1230.20")
    assert D(response.json()["overdue"]) == D("0.00")
    Bill.objects.update(due_on=date(2020, 11, 15))
    response = api(people["agent"]).get(f"/api/v1/accounts/{east.account_no}/balance/")
    assert response.status_code == 200
    body = response.json()
    assert D(body["balance"]) == D("1230.20")
    assert D(body["overdue"]) == D("1230.20")
    assert [b["total"] for b in body["current_bills"]] == ["2230.20"]
    assert AccessLog.objects.filter(actor=people["agent"], customer=east).exists()


def test_bills_with_lines(people, billed):
    east = billed["east"]
    response = api(people["agent"]).get("/api/v1/bills/", {"account": east.account_no})
    assert response.status_code == 200
    (bill,) = response.json()["results"]
    assert bill["account_no"] == east.account_no and bill["total"] == "2230.20"
    assert bill["area_m2"] == "88.50" and bill["tariff_price_per_m2"] == "25.20"
    assert [line["amount"] for line in bill["lines"]] == ["2230.20"]
    assert AccessLog.objects.filter(
        actor=people["agent"], customer=east, detail__bills=[bill["number"]]
    ).exists()


def test_station_staff_see_only_their_station(people, billed):
    head = api(people["head_east"])
    west = billed["west"].account_no
    response = head.get(f"/api/v1/accounts/{west}/balance/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    numbers = {b["account_no"] for b in head.get("/api/v1/bills/").json()["results"]}
    assert numbers == {billed["east"].account_no}


def test_refusals_in_the_error_shape(people, billed):
    tech = api(people["tech"])  # no billing.view_bill
    assert tech.get("/api/v1/bills/").status_code == 403
    response = api(people["agent"]).get("/api/v1/bills/", {"season": "x", "status": "nope"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"season", "status"}


def test_the_schema_lists_the_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/accounts/{account_no}/balance/" in schema and "/api/v1/bills/" in schema
