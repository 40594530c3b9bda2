"""Issue 13 ("Done when", first bullet) in a desktop browser (1440 × 900), through the real
pages: the dispatcher records an unplanned pipe burst at one substation, watches the scope
preview count who is affected and announces it — a notice is queued for every phone of
every customer of the substation's buildings within seconds; an agent taking a call from
one of those customers finds the interruption first on intake with the link checked, and
the saved call is held by it (not dispatched) and counted; the dispatcher restores the
supply: the linked case is closed with its cause and the restoration notice is queued. A
planned outage starting less than 48 h ahead is refused without an emergency override
and accepted with one."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import BuildingFactory, make_customer, staff
from utilitydesk.cases.models import Case, Status
from utilitydesk.customers.models import SpecialCare
from utilitydesk.notifications.defaults import install_default_templates
from utilitydesk.notifications.models import Message, NoticeTemplate
from utilitydesk.notifications.services import notice_status
from utilitydesk.org.models import Position
from utilitydesk.outages.interruption_selectors import reference_of
from utilitydesk.outages.models import Interruption, InterruptionLink, InterruptionState

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def network(org, people, area, customers):
    """The east substation with three buildings and five households (李雷 of the shared
    fixture with a mobile and a landline, a special-care household, a family with two
    mobiles); 韩梅梅 lives on the west substation, outside any scope here."""
    # A transactional test starts from an empty database: the shipped notice texts again.
    install_default_templates(NoticeTemplate)
    substation = area["east"].substation
    second = BuildingFactory(name="2号楼", substation=substation)
    third = BuildingFactory(name="3号楼", substation=substation)
    granny = make_customer(area["east"], "102", phones=("13700000001",), name="王奶奶")
    granny.special_care = SpecialCare.ELDERLY
    granny.save()
    inside = [
        customers["east"],
        granny,
        make_customer(second, "301", phones=("13700000002", "13700000003"), name="赵先生"),
        make_customer(second, "302", phones=("13700000004",), unit="2", name="钱女士"),
        make_customer(third, "501", phones=("13700000005",), name="孙先生"),
    ]
    return {
        "substation": substation,
        "buildings": [area["east"], second, third],
        "inside": inside,
        "outside": customers["west"],
        "dispatcher": staff("dispatcher", Position.DISPATCHER, org["centre"]),
    }


def phones_of(customers) -> set[str]:
    return {phone.number for c in customers for phone in c.phones.all()}


def notices_for(interruption: Interruption, event: str) -> dict[str, str]:
    """{phone: status} of the customer notices of one event of the interruption."""
    prefix = f"{reference_of(interruption)}:{event}:"
    return dict(
        Message.objects.filter(
            reference=reference_of(interruption), dedupe_key__startswith=prefix
        ).values_list("address", "status")
    )


def wait_for_notices(interruption: Interruption, event: str, count: int, seconds: float = 5):
    """The notices of ``event``, once ``count`` of them are there (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        found = notices_for(interruption, event)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def fact(page, label: str, within: str = "main") -> str:
    """The value beside a label of a facts list (<dt>label</dt><dd>value</dd>)."""
    term = page.locator(f"{within} dt", has_text=label).first
    return term.locator("xpath=following-sibling::dd[1]").inner_text().strip()


def preview_number(page, label: str) -> str:
    return fact(page, label, within="#scope-preview")


def test_a_pipe_burst_from_recording_to_restoration(network, people, live_server, page):
    inside_phones = phones_of(network["inside"])
    assert len(inside_phones) == 7

    # 1. The dispatcher records the burst at the substation and previews who is affected.
    sign_in_on(page, live_server, "dispatcher")
    page.click("nav >> text=停供事件")
    page.click("main >> text=登记停供事件")
    page.wait_for_selector("#interruption-form")
    assert "查看受影响的用户" in page.inner_text("#scope-preview")
    now = timezone.localtime()
    page.select_option("#id_planned", "0")
    page.select_option("#id_utility", "heat")
    page.select_option("#id_kind", "pipe_burst")
    page.fill("#id_title", "城东换热站二次网爆管")
    page.fill("#id_description", "二次网主管道爆管，已关阀抢修")
    page.fill("#id_start_at", (now - timedelta(minutes=10)).strftime(LOCAL))
    page.fill("#id_expected_restoration_at", (now + timedelta(hours=6)).strftime(LOCAL))
    page.select_option("#id_substations", str(network["substation"].pk))
    # The live preview (htmx) counts the scope: 3 buildings, 5 premises and customers, 1 in care.
    page.wait_for_selector("#scope-preview dl.facts")
    assert preview_number(page, "楼栋") == "3"
    assert preview_number(page, "房屋") == "5"
    assert preview_number(page, "客户档案") == "5"
    assert preview_number(page, "特殊关怀户") == "1"
    assert fits_width(page)
    page.click("#interruption-form button.primary")
    page.wait_for_url("**/cases/interruptions/*/")
    assert "已保存为草稿" in page.inner_text(".flash")
    interruption = Interruption.objects.get()
    assert interruption.state == InterruptionState.DRAFT and not interruption.planned
    assert list(interruption.substations.all()) == [network["substation"]]

    # Announcing: every phone of every customer of the three buildings gets the notice.
    page.click("text=发布并发送通知")
    page.wait_for_selector(".flash")
    assert "已完成" in page.inner_text(".flash")
    interruption.refresh_from_db()
    assert interruption.state == InterruptionState.IN_PROGRESS  # under way: started at once
    assert (interruption.premises_count, interruption.customers_count) == (5, 5)
    announced = wait_for_notices(interruption, "announced", len(inside_phones))
    assert set(announced) == inside_phones
    assert not phones_of([network["outside"]]) & set(announced)
    assert interruption.notices_queued == len(inside_phones)
    assert sum(notice_status(reference_of(interruption)).values()) == len(inside_phones)
    body = Message.objects.filter(reference=reference_of(interruption)).first().body
    assert "热" in body
    assert "停供中" in page.inner_text("h1") and "城东换热站二次网爆管" in page.inner_text("h1")
    assert fact(page, "已排队通知") == str(len(inside_phones))
    assert fact(page, "受影响") == "5 户房屋，5 位用户，1 户特殊关怀"

    # 2. An agent takes a call from a customer of the second building.
    caller = network["inside"][2]
    page.context.clear_cookies()
    sign_in_on(page, live_server, "agent")
    page.keyboard.press("Alt+k")
    page.keyboard.type("13700000003")
    page.locator("#screenpop-results a.popup-action").first.click()
    page.wait_for_url(f"**/cases/new/?customer={caller.pk}*")
    banner = page.locator("fieldset.interruption-choice")
    headline = banner.locator("strong").first.inner_text()
    assert headline.startswith("您所在楼宇 突发停热 至"), headline
    assert interruption.number in banner.inner_text()
    # Shown first: above everything the agent types.
    assert banner.bounding_box()["y"] < page.locator("#id_content").bounding_box()["y"]
    link = page.locator(f"input[name=interruption][value='{interruption.pk}']")
    assert link.is_checked()
    assert "关联到该停供事件" in banner.inner_text()
    assert fits_width(page)
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "家里暖气不热了")
    page.click("#intake-form button.primary")
    page.wait_for_url("**/cases/GD*/")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    case = Case.objects.get(number=number)
    # Held by the interruption, not dispatched: no unit, a 'held' step on the timeline.
    assert case.status == Status.REGISTERED and case.responsible_unit is None
    assert case.attributes.get("held_by") == reference_of(interruption)
    assert list(case.events.order_by("seq").values_list("action", flat=True)) == [
        "registered",
        "held",
    ]
    case_page = page.inner_text("main")
    assert "停供事件挂起" in case_page and interruption.number in case_page
    assert "由停供事件挂起" in page.content()  # the agent is told, not "sent to the dispatcher"
    assert InterruptionLink.objects.get(case=case).interruption == interruption
    interruption.refresh_from_db()
    assert interruption.linked_calls == 1
    page.click(f"main >> text={interruption.number}")
    page.wait_for_url(f"**/cases/interruptions/{interruption.pk}/")
    calls = page.locator("#calls + table").inner_text()
    assert number in calls and caller.name in calls
    assert fact(page, "关联来电") == "1"

    # 3. The dispatcher restores the supply: the linked case closes, the final notice goes.
    page.context.clear_cookies()
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/interruptions/{interruption.pk}/")
    page.fill("textarea[name=note]", "管道已焊补，恢复供热")
    page.click("text=恢复：通知用户并办结关联工单")
    page.wait_for_selector(".flash")
    interruption.refresh_from_db()
    assert interruption.state == InterruptionState.RESTORED
    assert interruption.restoration_note == "管道已焊补，恢复供热"
    restored = wait_for_notices(interruption, "restored", len(inside_phones))
    assert set(restored) == inside_phones
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_at is not None
    assert case.events.order_by("-seq").first().action == "settle"
    timeline = page.inner_text("main")
    assert "已恢复" in timeline and number in timeline
    page.goto(f"{live_server.url}/cases/{number}/")
    assert "随停供恢复关闭" in page.inner_text("main")
    assert "管道已焊补，恢复供热" in page.inner_text("main")


def test_a_planned_outage_less_than_48_hours_ahead_needs_an_override(network, live_server, page):
    sign_in_on(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/interruptions/new/")
    now = timezone.localtime()
    start = (now + timedelta(hours=5)).strftime(LOCAL)
    end = (now + timedelta(hours=9)).strftime(LOCAL)
    page.select_option("#id_planned", "1")
    page.select_option("#id_kind", "maintenance")
    page.fill("#id_title", "3号楼阀门更换")
    page.fill("#id_start_at", start)
    page.fill("#id_expected_restoration_at", end)
    page.select_option("#id_buildings", str(network["buildings"][2].pk))
    page.wait_for_selector("#scope-preview dl.facts")
    assert preview_number(page, "房屋") == "1"
    page.click("#interruption-form button.primary")
    page.wait_for_url("**/cases/interruptions/*/")
    draft = Interruption.objects.get()

    # Without an override: refused, with the earliest allowed start; the draft is kept.
    page.click("text=发布并发送通知")
    page.wait_for_selector(".flash")
    assert "计划停供须在通知发出至少 48 小时后开始" in page.inner_text(".flash")
    draft.refresh_from_db()
    assert draft.state == InterruptionState.DRAFT and draft.notices_queued == 0
    assert not Message.objects.filter(reference=reference_of(draft)).exists()
    main = page.inner_text("main")
    assert "3号楼阀门更换" in main and start.replace("T", " ") in main
    assert page.locator("textarea[name=override_reason]").is_visible()

    # With the reason for an emergency override: announced, the override on record.
    page.fill("textarea[name=override_reason]", "阀门漏水严重，须立即更换")
    page.click("text=发布并发送通知")
    page.wait_for_selector(".flash")
    draft.refresh_from_db()
    assert draft.state == InterruptionState.ANNOUNCED
    assert draft.override_reason == "阀门漏水严重，须立即更换" and draft.override_by is not None
    assert "紧急提前" in page.inner_text("h1")
    assert set(wait_for_notices(draft, "announced", 1)) == {"13700000005"}
    page.goto(f"{live_server.url}/cases/interruptions/?override=on")
    assert draft.number in page.inner_text("main")
