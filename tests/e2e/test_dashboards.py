"""Issue 16 item 3 in a browser: the general manager's home shows today's figures and
charts drawn by ECharts (served from this server), the overdue count opens the list of
those cases; the station head's home is the station's dashboard."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import open_case
from utilitydesk.cases.deadline_models import CaseDeadline, CaseEscalation
from utilitydesk.cases.models import Case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where to keep the pages' screenshots, when asked (DASHBOARD_SCREENS=/some/dir).
SCREENS = os.environ.get("DASHBOARD_SCREENS", "")


def overdue_case(people, customers):
    """A case received three days ago whose on-site deadline is breached and escalated."""
    now = timezone.now()
    case = open_case(people["agent"], customers["east"], now=now - timedelta(days=3))
    CaseDeadline.objects.filter(case=case).update(breached_at=now - timedelta(days=2))
    CaseEscalation.objects.create(case=case, level=1, position="station_head", at=now)
    return case


def screenshot(page, name: str) -> None:
    if SCREENS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENS) / f"{name}.png"), full_page=True)


def test_the_general_managers_home_and_the_overdue_door(people, customers, login, live_server):
    late = overdue_case(people, customers)
    fresh = open_case(people["agent"], customers["west"])
    Case.objects.filter(pk=fresh.pk).update(assignee=people["tech"])
    requests: list[str] = []
    page = login("gm")
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    assert page.url == f"{live_server.url}/"
    today = page.locator("#tile-today")
    assert "热力公司 今日概况" in today.inner_text()
    assert today.locator('[data-figure="received"]').inner_text() == "1"
    assert today.locator('[data-figure="open"]').inner_text() == "2"
    assert today.locator('[data-figure="overdue"]').inner_text() == "1"
    assert today.locator('[data-figure="escalated"]').inner_text() == "1"
    # ECharts draws the trend (a canvas in the chart's box), from this server only.
    page.locator("#tile-trend [data-chart] canvas").first.wait_for(state="visible")
    assert page.locator("#tile-trend [data-chart] canvas").first.bounding_box()["width"] > 300
    assert all(url.startswith(live_server.url) for url in requests), requests
    assert any(url.endswith("/static/vendor/echarts/echarts.min.js") for url in requests)
    assert "本月指标" in page.inner_text("#tile-kpis")
    assert "城东供热所" in page.inner_text("#tile-stations")
    screenshot(page, "gm-home")
    # The overdue count is a door: the list of exactly those cases.
    today.locator('a[data-measure="overdue"]').click()
    page.wait_for_url(lambda url: "/kpis/rows/" in url and "measure=overdue" in url)
    listed = page.inner_text("main")
    assert late.number in listed and fresh.number not in listed
    screenshot(page, "gm-overdue-list")


def test_the_station_heads_home(people, customers, login, live_server):
    overdue_case(people, customers)
    west = open_case(people["agent"], customers["west"])
    page = login("head_east")
    assert page.url == f"{live_server.url}/"
    queue = page.locator("#tile-queue")
    assert "城东供热所" in queue.inner_text()
    assert queue.locator('[data-figure="overdue"]').inner_text() == "1"
    main = page.inner_text("main")
    assert "城西供热所" not in main and west.number not in main
    page.locator("#tile-technicians [data-chart] canvas").first.wait_for(state="visible")
    assert "回访率" in page.inner_text("#tile-results")
    assert "室温合格率" in page.inner_text("#tile-results")
    screenshot(page, "station-head-home")
    # The queue is one click away.
    queue.locator("a.button").click()
    page.wait_for_url(f"{live_server.url}/cases/?view=unit")


def test_a_tile_refreshes_without_reloading_the_page(people, customers, login, live_server):
    overdue_case(people, customers)
    page = login("gm")
    page.locator("#tile-trend [data-chart] canvas").first.wait_for(state="visible")
    assert page.locator('#tile-today [data-figure="overdue"]').inner_text() == "1"
    overdue_case(people, customers)
    # What "every 60s" does, at once (the tile also listens to "refresh"): htmx fetches
    # the tile alone and swaps it in place; the page is not reloaded.
    with page.expect_response(lambda response: "/dashboard/today/" in response.url):
        page.locator("#tile-today").dispatch_event("refresh")
    page.locator('#tile-today [data-figure="overdue"]:text-is("2")').wait_for()
    assert page.locator("#tile-trend [data-chart] canvas").count() == 1
