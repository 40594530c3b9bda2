"""N+1 guard for the hot pages and endpoints: the number of SQL queries must not grow
with the number of rows shown (issue 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import make_customer, open_case

pytestmark = pytest.mark.django_db


def queries_for(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured)


def grow(people, area, start: int, count: int) -> None:
    for i in range(start, start + count):
        customer = make_customer(
            area["east"], f"{1000 + i}", phones=(f"1377777{i:04d}",), name=f"客户{i}"
        )
        case = open_case(people["agent"], customer)
        from utilitydesk.cases import services

        services.accept(case.number, actor=people["tech"])


@pytest.mark.parametrize(
    "url",
    [
        "/cases/",
        "/cases/?view=unit",
        "/cases/?view=due",
        "/field/",
        "/customers/",
        "/callbacks/spot-checks/",
        "/kpis/rates/",
        "/cases/?q=东",
        "/cases/?period=week&kind=repair&channel=phone&grade=general",
        "/cases/?view=due&open_only=on&received_from=2026-01-01&overdue_only=",
    ],
)
def test_page_queries_do_not_grow_with_rows(people, area, client, url):
    user = (
        people["office"]
        if "spot" in url or "rates" in url
        else (people["tech"] if url == "/field/" else people["agent"])
    )
    client.force_login(user)
    grow(people, area, 0, 2)
    client.get(url)  # first request warms per-user caches (permissions, scope)
    few = queries_for(lambda: client.get(url))
    grow(people, area, 2, 12)
    many = queries_for(lambda: client.get(url))
    assert many == few, f"{url}: {few} queries with 2 rows, {many} with 14"


def test_screen_pop_and_case_list_api_queries_do_not_grow(people, area):
    api = APIClient()
    api.force_authenticate(people["agent"])
    grow(people, area, 0, 2)
    api.get("/api/v1/cases/")  # first request warms per-user caches (permissions, scope)
    few = queries_for(lambda: api.get("/api/v1/customers/lookup/", {"address": "阳光花园"}))
    few_cases = queries_for(lambda: api.get("/api/v1/cases/"))
    grow(people, area, 2, 8)
    assert queries_for(lambda: api.get("/api/v1/customers/lookup/", {"address": "阳光花园"})) == few
    assert queries_for(lambda: api.get("/api/v1/cases/")) == few_cases
