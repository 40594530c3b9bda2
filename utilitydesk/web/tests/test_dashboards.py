"""Issue 16 item 3: each role lands on its dashboard; every figure is a door to the list
behind it; tiles refresh through their own URL; scripts only from this server."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from tests.factories import settled_deadline as deadline
from tests.factories import staff
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases.deadline_models import CaseEscalation
from utilitydesk.cases.models import Case, Channel, Contact, Kind, Status
from utilitydesk.kpis import selectors
from utilitydesk.kpis.periods import PeriodKind, period_containing
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db

NUMBER = iter(range(1, 10_000))


def make_case(unit, agent, *, received, status=Status.DISPATCHED, resolved=None, **kw):
    return Case.objects.create(
        number=f"DSH{next(NUMBER):06d}",
        kind=kw.pop("kind", Kind.REPAIR),
        channel=Channel.PHONE,
        content="暖气不热",
        received_at=received,
        resolved_at=resolved,
        status=status,
        responsible_unit=unit,
        first_responder=agent,
        **kw,
    )


@pytest.fixture
def world(org, people):
    """Today: two open cases at the east station (one an emergency, one three days old,
    overdue and escalated), at the west station one open and two resolved (one waiting for
    the agent's callback); four contacts today, one yesterday."""
    now = timezone.now()
    agent, tech, office = people["agent"], people["tech"], people["office"]
    a = make_case(org["east_team"], agent, received=now, assignee=tech, emergency=True)
    b = make_case(org["east"], agent, received=now - timedelta(days=3), assignee=tech)
    deadline(b, "on_site", breached=True)
    CaseEscalation.objects.create(case=b, level=1, position="station_head", at=now)
    c = make_case(org["west"], agent, received=now, status=Status.CALLBACK_DONE, resolved=now)
    deadline(c, "resolution")
    CallbackTask.objects.create(
        case=c,
        purpose=CallbackTask.Purpose.FIRST,
        caller=agent,
        due_at=now,
        status=CallbackTask.Status.DONE,
        outcome="satisfied",
    )
    d = make_case(org["west"], agent, received=now)
    e = make_case(org["west"], office, received=now, status=Status.RESOLVED, resolved=now)
    CallbackTask.objects.create(
        case=e, purpose=CallbackTask.Purpose.FIRST, caller=agent, due_at=now
    )
    day_start = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate(now), timezone.datetime.min.time())
    )
    for who, channel, at in [
        (agent, Channel.PHONE, day_start + timedelta(hours=8, minutes=5)),
        (agent, Channel.PHONE, day_start + timedelta(hours=8, minutes=40)),
        (agent, Channel.WECHAT, day_start + timedelta(hours=9)),
        (office, Channel.WALK_IN, day_start + timedelta(hours=9, minutes=30)),
        (agent, Channel.PHONE, day_start - timedelta(hours=2)),  # yesterday
    ]:
        Contact.objects.create(
            channel=channel,
            kind=Kind.REPAIR,
            content="暖气不热",
            received_at=at,
            first_responder=who,
        )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "now": now}


def figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', html).group(1))


def door_of(html: str, measure: str) -> dict[str, list[str]]:
    href = re.search(rf'href="([^"]+)" data-measure="{measure}"', html).group(1)
    url = urlparse(href.replace("&amp;", "&"))
    assert url.path == "/kpis/rows/"
    return parse_qs(url.query)


class Sources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []
        self.inline_scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.sources.append(attrs["src"])
            elif attrs.get("type") != "application/json":
                self.inline_scripts.append(str(attrs))
        if tag == "link" and attrs.get("href"):
            self.sources.append(attrs["href"])


def test_the_general_manager_sees_the_company_today(world, org, people, client):
    client.force_login(people["gm"])
    html = client.get("/").content.decode()
    assert "热力公司 今日概况" in html
    assert figure(html, "received") == 4
    assert figure(html, "open") == 3
    assert figure(html, "overdue") == 1
    assert figure(html, "escalated") == 1
    assert figure(html, "emergencies") == 1
    assert figure(html, "active_interruptions") == 0
    # Each count is its list: the door asks for exactly what was counted.
    overdue = door_of(html, "overdue")
    assert overdue["measure"] == ["overdue"] and overdue["unit"] == [str(org["company"].pk)]
    received = door_of(html, "received")
    today = period_containing(PeriodKind.DAY, timezone.localdate(world["now"]))
    assert received["period"] == [today.code]
    rows = selectors.measure_rows(people["gm"], "overdue", unit=org["company"]).values_list(
        "number", flat=True
    )
    assert list(rows) == [world["b"].number]


def test_the_general_managers_month_trend_and_ranking(world, org, people, client):
    client.force_login(people["gm"])
    html = client.get("/").content.decode()
    # The month's KPIs against their targets, with colours and doors.
    assert "本月指标" in html and "回访率" in html and "满意率" in html
    assert 'data-kpi="satisfaction_rate" data-colour="green"' in html
    # The trend: eight weeks, the current one holding today's resolved repairs (2 of 2).
    chart = json.loads(re.search(r'id="chart-trend"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert chart["type"] == "line" and len(chart["labels"]) == 8
    repair = next(s for s in chart["series"] if s["name"] == "报修及时率（修复）")
    assert repair["points"][-1]["value"] == 100.0 and repair["points"][-1]["detail"] == "2/2"
    assert "kpi=repair_resolution_timeliness" in repair["points"][-1]["url"]
    # Stations ranked by repair timeliness: the west (2 of 2) before the east (none).
    ranking = html[html.index('id="tile-stations"') :]
    assert ranking.index(f'data-station="{org["west"].pk}"') < ranking.index(
        f'data-station="{org["east"].pk}"'
    )
    assert "kpi-green" in ranking


def test_the_service_centre_head_sees_intake_agents_and_callbacks(world, org, people, client):
    head = staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"])
    client.force_login(head)
    html = client.get("/").content.decode()
    assert figure(html, "contacts_today") == 4
    assert door_of(html, "contacts")["measure"] == ["contacts"]
    assert figure(html, "received") == 4
    chart = json.loads(re.search(r'id="chart-hours"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert [p["value"] for p in chart["points"]][8:10] == [2, 2] and len(chart["points"]) == 24
    channels = json.loads(
        re.search(r'id="chart-channels"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert {p["name"]: p["value"] for p in channels["points"]} == {
        "热线电话": 2,
        "微信": 1,
        "来访": 1,
    }
    agents = html[html.index('id="tile-agents"') :]
    assert re.search(rf'data-person="{people["agent"].pk}"><td>[^<]+</td><td><a [^>]+>3<', agents)
    assert re.search(rf'data-person="{people["office"].pk}"><td>[^<]+</td><td><a [^>]+>1<', agents)
    # Each agent's count opens the contacts they took today: as many as it says.
    href = re.search(
        rf'data-person="{people["agent"].pk}"><td>[^<]+</td><td><a href="([^"]+)"', agents
    ).group(1)
    listed = client.get(href.replace("&amp;", "&")).content.decode()
    assert "measure=contacts" in href and "· 3 条 ·" in listed
    assert figure(html, "callbacks_due") == 1
    assert "本月指标" not in html  # the company's KPI table is the leaders'


def test_the_station_head_sees_their_station_only(world, org, people, client):
    client.force_login(people["head_east"])
    response = client.get("/")
    assert response.status_code == 200  # the dashboard, no longer a redirect to the queue
    html = response.content.decode()
    assert "城东供热所" in html and "城西供热所" not in html
    assert figure(html, "open") == 2 and figure(html, "overdue") == 1
    assert door_of(html, "open")["unit"] == [str(org["east"].pk)]
    assert "/cases/?view=unit" in html  # the queue is one click away
    load = html[html.index('id="tile-technicians"') :]
    assert re.search(
        rf'data-person="{people["tech"].pk}"><td>[^<]+</td><td><a href="([^"]+)">2<', load
    )
    assert "measure=open" in load and f"person={people['tech'].pk}" in load
    assert 'data-kpi="temperature_pass_rate"' in html and 'data-kpi="callback_rate"' in html
    # The company's tiles are not theirs.
    for name in ("today", "stations", "trend", "kpis", "intake", "agents"):
        assert client.get(f"/dashboard/{name}/").status_code == 403, name


def test_the_agent_sees_their_open_contacts_and_callbacks(world, org, people, client):
    client.force_login(people["agent"])
    html = client.get("/").content.decode()
    assert figure(html, "followed") == 3  # a, b, d open; c settled; e was the office's
    for case in (world["a"], world["b"], world["d"]):
        assert case.number in html
    assert world["c"].number not in html and world["e"].number not in html
    assert figure(html, "callbacks_due") == 1
    mine = door_of(html, "callbacks_due")
    assert mine["measure"] == ["callbacks_due"] and mine["person"] == [str(people["agent"].pk)]
    assert "Alt+K" in html
    # No company ranking or today's company figures for an agent.
    assert "tile-stations" not in html and "今日概况" not in html
    for name in ("stations", "today", "kpis", "trend", "queue", "technicians"):
        assert client.get(f"/dashboard/{name}/").status_code == 403, name


def test_field_roles_keep_their_work_list(people, org, client):
    leader = staff("leader", Position.TEAM_LEADER, org["east_team"])
    for user in (people["tech"], leader):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == "/field/"


def test_a_tile_alone_is_its_partial(world, people, client):
    client.force_login(people["gm"])
    for name in ("today", "kpis", "trend", "stations"):
        response = client.get(f"/dashboard/{name}/")
        html = response.content.decode()
        assert response.status_code == 200, name
        assert html.lstrip().startswith("<section") and "<html" not in html, name
        assert f'hx-get="/dashboard/{name}/"' in html and 'hx-trigger="every 60s, refresh"' in html
    assert figure(client.get("/dashboard/today/").content.decode(), "overdue") == 1
    assert client.get("/dashboard/nothing/").status_code == 404


def test_every_script_is_served_from_here(world, people, org, client):
    head = staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"])
    for user in (people["gm"], head, people["head_east"], people["agent"]):
        client.force_login(user)
        parser = Sources()
        parser.feed(client.get("/").content.decode())
        assert parser.sources and not parser.inline_scripts
        for source in parser.sources:
            assert source.startswith("/static/"), source
    assert finders.find("vendor/echarts/echarts.min.js")
    assert finders.find("js/dashboards.js")


def test_tiles_take_a_bounded_number_of_queries(
    world, org, people, client, django_assert_max_num_queries
):
    """More cases, contacts and people do not add queries (no query per row)."""
    client.force_login(people["gm"])
    client.get("/")  # warm per-user caches
    for extra in range(5):
        tech = staff(f"tech{extra}", Position.TECHNICIAN, org["east_team"])
        make_case(org["east"], people["agent"], received=world["now"], assignee=tech)
    # PostgreSQL adds two SET LOCAL statements per grouped KPI read (kpis.selectors._tuned).
    from django.db import connection

    with django_assert_max_num_queries(100 if connection.vendor == "postgresql" else 80):
        client.get("/")
    client.force_login(people["head_east"])
    with django_assert_max_num_queries(30):
        client.get("/dashboard/technicians/")


def test_query_count_per_tile(world, org, people, client):
    """Each tile alone is a few dozen small queries at most (most of them the session,
    the person's positions and scope); the counts themselves are one grouped query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"])
    for user, names in [
        (people["gm"], ("today", "kpis", "trend", "stations")),
        (head, ("intake", "agents", "callbacks")),
        (people["head_east"], ("queue", "technicians", "results")),
        (people["agent"], ("mine", "my_callbacks")),
    ]:
        client.force_login(user)
        for name in names:
            client.get(f"/dashboard/{name}/")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/dashboard/{name}/").status_code == 200
            assert len(queries) <= 45, (name, len(queries))
