"""Issue 11, item 15: leaders land on an overview of today's cases and the month's rates."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import open_case, staff
from utilitydesk.cases.models import CaseDeadline, CaseEscalation
from utilitydesk.org.models import DepartmentFunction, Position

pytestmark = pytest.mark.django_db


def figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', html).group(1))


@pytest.fixture
def leaders(org, people):
    return {
        "gm": people["gm"],
        "deputy": staff("deputy", Position.DEPUTY_GM, org["company"]),
        "sc_head": staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"]),
    }


def test_leaders_see_todays_figures_and_the_months_rates(people, customers, leaders, client):
    now = timezone.now()
    today = open_case(people["agent"], customers["east"], now=now)
    overdue = open_case(people["agent"], customers["west"], now=now - timedelta(days=3))
    CaseDeadline.objects.filter(case=overdue).update(breached_at=now - timedelta(days=2))
    CaseEscalation.objects.create(case=overdue, level=1, position="station_head", at=now)
    for who in ("gm", "deputy", "sc_head"):
        client.force_login(leaders[who])
        html = client.get("/").content.decode()
        assert "热力公司 今日概况" in html, who
        assert figure(html, "received") >= 1
        assert figure(html, "open") == 2
        assert figure(html, "overdue") == 1 and figure(html, "escalated") == 1
        # The month's KPIs are the company dashboard's; the service centre's head has the
        # intake instead (web/tests/test_dashboards.py).
        if who != "sc_head":
            assert "本月指标" in html and "回访率" in html
    assert today.number  # the case received today is counted above


def test_agents_keep_the_caller_search_hint(people, client):
    client.force_login(people["agent"])
    html = client.get("/").content.decode()
    assert "今日概况" not in html and "Alt+K" in html


def test_department_function_does_not_matter_for_the_company_overview(org, client):
    head = staff("repair_head", Position.DEPARTMENT_HEAD, org["office"])
    assert org["office"].function == DepartmentFunction.SERVICE_OFFICE
    client.force_login(head)
    assert "热力公司 今日概况" in client.get("/").content.decode()


def test_admin_greets_with_the_products_name(people, client):
    client.force_login(people["admin"])
    html = client.get("/admin/").content.decode()
    assert "客服工单系统 · 后台管理" in html and "管理员系统" not in html


def test_calendar_banner_opens_the_missing_year(people, client, monkeypatch):
    monkeypatch.setattr("utilitydesk.policy.services.missing_years", lambda now: [2027])
    client.force_login(people["admin"])
    html = client.get("/").content.decode()
    assert "/sla/calendar/?year=2027" in html
