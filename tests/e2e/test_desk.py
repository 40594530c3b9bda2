"""Issue 11 at the desk, in a browser at 1440×900: the overdue view keeps late cases red,
Ctrl+Enter after a duplicate warning creates a new case (merging is a click), an unknown
caller's address is picked district › community › building, the dispatcher keeps the
routing rules and re-dispatches to a team from a grouped list, filters and exports."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import open_case, staff
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Contact, RoutingRule, Status
from utilitydesk.org.models import Position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/desk")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def dispatcher(org):
    return staff("dispatcher", Position.DISPATCHER, org["centre"])


def late_transfer(people, customer):
    return services.create_contact(
        services.ContactInput(
            channel="gov_12345",
            kind="repair",
            content="12345转办：整栋楼暖气不热",
            customer_id=customer.pk,
            received_at=timezone.now() - timedelta(days=1, hours=1),
            allow_duplicate=True,
        ),
        actor=people["agent"],
    ).case


def test_an_overdue_transfer_stays_red_in_the_overdue_view(
    people, customers, dispatcher, page, live_server
):
    from utilitydesk.cases.sweeper import sweep

    late = late_transfer(people, customers["east"])
    cancelled = late_transfer(people, customers["west"])
    sweep(timezone.now())
    services.cancel(cancelled.number, "重复转办", actor=people["agent"])
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/")
    page.click("text=即将到期/超时")
    row = page.locator("tr", has=page.locator(f"text={late.number}"))
    assert "超时" in row.locator(".due-over").inner_text()
    assert cancelled.number not in page.inner_text("main")
    shot(page, "due-view")
    page.goto(f"{live_server.url}/cases/")
    cancelled_row = page.locator("tr", has=page.locator(f"text={cancelled.number}"))
    assert cancelled_row.locator(".due").count() == 0
    assert (
        page.locator("tr", has=page.locator(f"text={late.number}")).locator(".due-over").count()
        == 1
    )
    assert fits_width(page)


def test_ctrl_enter_after_a_duplicate_warning_creates_a_new_case(
    people, customers, page, live_server
):
    first = open_case(people["agent"], customers["east"], content="卫生间暖气片漏水")
    sign_in_on(page, live_server, "agent")
    intake = f"{live_server.url}/cases/new/?customer={customers['east'].pk}"
    page.goto(intake)
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "客厅暖气片也不热了")
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_selector(".warning >> text=可能重复")
    shot(page, "intake-duplicate")
    assert page.input_value("#id_content") == "客厅暖气片也不热了"
    # The keyboard path: Ctrl+Enter in the text creates what the default button says.
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_url("**/cases/GD*/")
    assert "已创建" in page.inner_text(".flash") or "创建" in page.inner_text(".flash")
    assert Case.objects.count() == 2 and Contact.objects.filter(case=first).count() == 1

    # Enter on the focused "create anyway" button creates as well.
    page.goto(intake)
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "第三次来电：阳台暖气片不热")
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_selector(".warning")
    page.locator(".warning button[name=allow_duplicate]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/GD*/")
    assert Case.objects.count() == 3

    # Merging is the explicit button.
    page.goto(intake)
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "还是卫生间那个漏水")
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_selector(".warning")
    page.locator(f".warning li:has-text('{first.number}') button[name=link_case]").click()
    page.wait_for_url(f"**/cases/{first.number}/")
    assert Case.objects.count() == 3 and Contact.objects.filter(case=first).count() == 2


def test_unknown_caller_address_from_the_picker_routes_to_the_station(
    people, area, org, page, live_server
):
    building = area["west"]
    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/cases/new/")
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "楼道里的暖气管在滴水")
    page.fill("#id_caller_name", "租户刘女士")
    page.fill("#id_caller_phone", "13911112222")
    page.select_option("#id_district", str(building.community.district_id))
    page.wait_for_selector(
        f"#id_community option[value='{building.community_id}']", state="attached"
    )
    page.select_option("#id_community", str(building.community_id))
    page.wait_for_selector(f"#id_building option[value='{building.pk}']", state="attached")
    page.select_option("#id_building", str(building.pk))
    expect(page.locator("#id_building")).to_have_value(str(building.pk))
    page.fill("#id_unit_no", "2")
    page.fill("#id_room_no", "302")
    shot(page, "intake-picker")
    assert fits_width(page)
    page.locator("#id_room_no").press("Control+Enter")
    page.wait_for_url("**/cases/GD*/")
    text = page.inner_text("main")
    assert "城西供热所" in text and "东城区阳光花园9号楼2单元302室" in text
    case = Case.objects.get()
    assert case.responsible_unit == org["west"] and case.status == Status.DISPATCHED


def test_dispatcher_keeps_the_routing_rules_with_a_preview(
    people, area, org, dispatcher, page, live_server
):
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/")
    page.click("text=派单规则")
    page.wait_for_url("**/cases/routing/")
    building = area["west"]
    page.select_option("#id_district", str(building.community.district_id))
    page.wait_for_selector(
        f"#id_community option[value='{building.community_id}']", state="attached"
    )
    page.select_option("#id_community", str(building.community_id))
    page.wait_for_selector(f"#id_building option[value='{building.pk}']", state="attached")
    page.select_option("#id_building", str(building.pk))
    page.select_option("#id_kind", "repair")
    page.click("text=查看派往单位")
    assert "城西供热所" in page.inner_text(".preview-result")
    shot(page, "routing-preview")

    page.click("text=新增规则")
    page.fill("#id_priority", "5")
    page.fill("#id_name", "城西报修 → 城东维修班")
    page.select_option("#id_kind", "repair")
    page.select_option("#id_station", str(org["west"].pk))
    page.select_option("#id_target", "unit")
    page.select_option("#id_target_unit", str(org["east_team"].pk))
    page.click("button:has-text('保存')")
    page.wait_for_url("**/cases/routing/")
    assert "已保存" in page.inner_text(".flash")
    rule = RoutingRule.objects.get(name="城西报修 → 城东维修班")
    assert rule.priority == 5 and rule.target_unit == org["east_team"]
    row = page.locator("tr", has=page.locator("text=城西报修 → 城东维修班"))
    row.locator("button:has-text('停用')").click()
    page.wait_for_selector(".flash")
    rule.refresh_from_db()
    assert not rule.is_active
    shot(page, "routing-rules")
    assert fits_width(page)


def test_dispatcher_redispatches_to_a_team_from_the_grouped_list(
    people, customers, org, dispatcher, page, live_server
):
    case = open_case(people["agent"], customers["east"])
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/{case.number}/")
    action = page.locator("details.action", has=page.locator("summary:has-text('改派')"))
    action.locator("summary").click()
    select = action.locator("select[name=unit]")
    assert "责任单位/班组" in action.inner_text()
    labels = select.locator("optgroup").evaluate_all("els => els.map(e => e.label)")
    assert labels[:2] == ["城东供热所", "城西供热所"]
    shot(page, "redispatch")
    select.select_option(str(org["east_team"].pk))
    action.locator("textarea[name=note]").fill("直接派给维修班")
    action.locator("button[type=submit]").click()
    page.wait_for_selector(".flash")
    case.refresh_from_db()
    assert case.responsible_unit == org["east_team"]


def test_dispatcher_filters_the_list_and_exports_it(
    people, customers, org, dispatcher, page, live_server
):
    from openpyxl import load_workbook

    east = open_case(people["agent"], customers["east"], content="东区：暖气片不热")
    west = open_case(people["agent"], customers["west"], kind="fee", content="西区：热费咨询")
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/")
    page.select_option("#id_unit", str(org["east"].pk))
    page.select_option("#id_period", "today")
    page.click("#case-filters button[type=submit]")
    page.wait_for_url("**unit=*")
    text = page.inner_text("main")
    assert east.number in text and west.number not in text and "东区：暖气片不热" in text
    shot(page, "case-list-filtered")
    assert fits_width(page)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    content = io.BytesIO(Path(download.value.path()).read_bytes())
    rows = list(load_workbook(content).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [east.number]


def test_a_customer_calling_about_another_place_picks_the_building(
    people, customers, area, org, page, live_server
):
    building = area["west"]
    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/cases/new/?customer={customers['east'].pk}")
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "替母亲报修：她家暖气不热")
    page.select_option("#id_district", str(building.community.district_id))
    page.wait_for_selector(
        f"#id_community option[value='{building.community_id}']", state="attached"
    )
    page.select_option("#id_community", str(building.community_id))
    page.wait_for_selector(f"#id_building option[value='{building.pk}']", state="attached")
    page.select_option("#id_building", str(building.pk))
    assert page.input_value("#id_premises") == ""
    page.fill("#id_room_no", "702")
    page.locator("#id_room_no").press("Control+Enter")
    page.wait_for_url("**/cases/GD*/")
    case = Case.objects.get()
    assert case.responsible_unit == org["west"] and case.customer == customers["east"]
    assert case.address_text.endswith("9号楼702室")
