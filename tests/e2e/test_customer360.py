"""Issue 11, items 7 and 14 and the premises page, in a desktop browser (1440 × 900): the
office reports a major fault with its affected substation; the hotline agent sees it on
the customer 360 view, records the caller's question about it from there and finds the
call at the top of the contact history; the agent stops the heating of the premises."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import open_case
from utilitydesk.cases.models import Contact
from utilitydesk.customers.models import SupplyStatus
from utilitydesk.outages import services as outages
from utilitydesk.outages.models import MajorFault

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("UTILITYDESK_VAR_DIR", "/tmp")) / "screens"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_office_reports_a_fault_with_its_area_and_agents_find_it(
    people, org, area, live_server, page
):
    sign_in_on(page, live_server, "office")
    page.goto(f"{live_server.url}/cases/faults/")
    page.fill("#id_title", "城东主管网爆管")
    page.fill(
        "#id_occurred_at", (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.fill("#id_place", "建设路与人民路口")
    page.select_option("#id_substations", str(area["east"].substation.pk))
    page.fill("#id_symptoms", "主管网漏水，压力下降")
    page.fill("#id_response_plan", "关阀抢修，预计今晚22:00恢复供热")
    page.select_option("#id_units", str(org["east"].pk))
    shot(page, "office-fault-form")
    page.click("text=报告并通知")
    page.wait_for_selector(".flash")
    shot(page, "office-fault-detail")
    fault = MajorFault.objects.get()
    assert list(fault.substations.all()) == [area["east"].substation]
    assert area["east"].substation.name in page.inner_text("main")

    page.context.clear_cookies()
    sign_in_on(page, live_server, "agent")
    page.click("nav >> text=重大故障")
    assert "城东主管网爆管" in page.inner_text("main")
    shot(page, "agent-faults")
    assert fits_width(page)


def test_agent_takes_a_call_about_a_fault_from_the_360_view(
    people, org, area, customers, live_server, page
):
    customer = customers["east"]
    outages.report_major_fault(
        actor=people["office"],
        title="城东主管网爆管",
        occurred_at=timezone.now() - timedelta(hours=1),
        place="建设路与人民路口",
        symptoms="主管网漏水",
        response_plan="关阀抢修，预计今晚22:00恢复供热",
        unit_ids=[org["east"].pk],
        substation_ids=[area["east"].substation.pk],
    )
    earlier = timezone.now() - timedelta(days=2)
    case = open_case(people["agent"], customer, content="卫生间暖气片漏水", now=earlier)

    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    banner = page.locator("#panel-major_faults")
    assert "城东主管网爆管" in banner.inner_text() and "关阀抢修" in banner.inner_text()
    assert "受故障影响" in page.inner_text("main")
    history = page.locator("#contact-history")
    assert case.number in history.inner_text() and "新建工单" in history.inner_text()
    cases_panel = page.locator("#panel-cases")
    assert cases_panel.locator(".due").count() >= 1  # the nearest deadline is filled
    shot(page, "agent-customer-360-fault")
    assert fits_width(page)

    banner.locator("text=就此故障记录来电").click()
    page.wait_for_selector("#intake-form")
    assert page.is_checked(f"input[name=major_fault][value='{MajorFault.objects.get().pk}']")
    assert "来电用户所在楼栋受重大故障影响" in page.inner_text("main")
    shot(page, "agent-intake-fault")
    page.select_option("#id_kind", "consultation")
    page.fill("#id_content", "问什么时候恢复供热")
    page.fill("#id_answer", "正在抢修，预计今晚22:00恢复供热。")
    page.click("#intake-form button.primary")
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    first = page.locator("#contact-history li").first.inner_text()
    assert "当场答复" in first and "问什么时候恢复供热" in first and "城东主管网爆管" in first
    contact = Contact.objects.get(closed_on_spot=True)
    assert contact.major_fault is not None


def test_agent_stops_the_heating_of_the_premises(people, customers, live_server, page):
    customer = customers["east"]
    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click("text=修改供热状态、面积、表号")
    page.select_option("#id_status", SupplyStatus.SUSPENDED)
    page.fill("#id_heated_area", "-5")
    page.fill("#id_meter_no", "M-2026")
    page.click("form.form button.primary")
    # The browser's own check or the server's: either way the typed values stay.
    assert page.input_value("#id_meter_no") == "M-2026"
    assert page.input_value("#id_status") == SupplyStatus.SUSPENDED
    shot(page, "agent-premises-edit")
    page.fill("#id_heated_area", "92.5")
    page.click("form.form button.primary")
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    text = page.inner_text("main")
    assert "停热" in text and "92.50" in text and "M-2026" in text
    premises = customer.premises.get()
    assert premises.status == SupplyStatus.SUSPENDED and premises.meter_no == "M-2026"
    shot(page, "agent-customer-360-suspended")
