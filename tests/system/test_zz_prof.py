"""Local measurement only (not committed): statements and profile of API creates."""

import cProfile
import os
import pstats
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import make_customer
from utilitydesk.accounts.services import issue_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_profile_creates(people, area):
    customers = [
        make_customer(area["east" if i % 2 else "west"], f"{100 + i}", phones=(f"1381234{i:04d}",))
        for i in range(40)
    ]
    token = issue_token(people["agent"]).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def post(i):
        body = {"channel": "phone", "kind": "repair", "content": "暖气不热（压测）",
                "customer_id": customers[i % len(customers)].pk, "allow_duplicate": True}
        r = client.post("/api/v1/contacts/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert r.status_code == 201, r.content
    for i in range(5):
        post(i)
    with CaptureQueriesContext(connection) as captured:
        post(7)
    print(f"\nSTATEMENTS {len(captured)}")
    for q in captured.captured_queries:
        print("  ", q["sql"][:230])
    n = int(os.environ.get("PROF_N", "200"))
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        post(i)
    prof.disable()
    out = os.environ.get("PROF_OUT", "/tmp/h18create/var/prof.out")
    prof.dump_stats(out)
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(45)
