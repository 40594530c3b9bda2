"""The main journey of each remaining role, in Chinese, in a browser: the dispatcher
places an unrouted case, the station head gives a case to a technician from the unit's
queue, the service office reads every unit's rates, the general manager is told of an
escalation, the administrator reads the deadline policy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import open_case, staff
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Status
from utilitydesk.org.models import Position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def act(page, select_name: str, value: str) -> None:
    """Open the action whose form has ``select_name``, choose ``value`` and submit."""
    action = page.locator("details.action", has=page.locator(f"select[name={select_name}]"))
    action.locator("summary").click()
    action.locator(f"select[name={select_name}]").select_option(value)
    action.locator("button[type=submit]").click()


def test_dispatcher_places_a_case_nobody_could_route(people, org, login):
    staff("dispatcher", Position.DISPATCHER, org["centre"])
    contact = services.create_contact(
        services.ContactInput(
            channel="phone",
            kind="repair",
            content="路边井盖冒热气",
            caller_name="路人",
            caller_phone="13900001111",
        ),
        actor=people["agent"],
    )
    number = contact.case.number
    assert contact.case.status == Status.REGISTERED
    page = login("dispatcher")
    page.goto(page.url + "cases/?view=dispatch")
    page.click(f"text={number}")
    act(page, "unit", str(org["east"].pk))
    page.wait_for_selector(".flash")
    case = Case.objects.get(number=number)
    assert case.status == Status.DISPATCHED and case.responsible_unit == org["east"]
    assert "城东" in page.inner_text("main") or org["east"].name in page.inner_text("main")


def test_station_head_assigns_from_the_unit_queue(people, customers, login, live_server):
    case = open_case(people["agent"], customers["east"])
    page = login("head_east")  # a station head starts at the station's dashboard
    page.click("#tile-queue a.button")  # the unit's queue, one click away
    page.wait_for_url(f"{live_server.url}/cases/?view=unit")
    assert case.number in page.inner_text("main")
    page.click(f"text={case.number}")
    act(page, "assignee", str(people["tech"].pk))
    page.wait_for_selector(".flash")
    case.refresh_from_db()
    assert case.assignee == people["tech"]


def test_service_office_reads_every_units_rates(people, customers, login, org):
    open_case(people["agent"], customers["east"])
    page = login("office")
    page.goto(page.url + "kpis/rates/")
    text = page.inner_text("main")
    assert "服务指标" in text or "回访率" in text
    assert org["east"].name in text and org["company"].name in text


def test_general_manager_is_told_of_an_escalation(people, customers, login, org):
    from utilitydesk.cases.sweeper import sweep

    long_ago = timezone.now() - timedelta(hours=80)
    case = open_case(people["agent"], customers["east"], now=long_ago)
    sweep(timezone.now())
    assert case.escalations.exists()
    page = login("gm")
    page.goto(page.url + "inbox/")
    assert case.number in page.inner_text("main")


def test_administrator_reads_the_deadline_policy(people, login):
    page = login("admin")
    page.goto(page.url + "sla/policy/")
    text = page.inner_text("main")
    assert "R-401" in text or "小时" in text
