"""Technicians and station heads on a phone (390 × 844, touch): they start at their work,
every page they open fits the screen (no sideways scrolling, cards instead of tables, a
usable search box, a menu behind a button), and a technician who forgets the customer's
signature loses nothing they typed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import open_case
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Status
from utilitydesk.cases.sweeper import sweep

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_fits(page, url: str) -> None:
    page.goto(url)
    assert fits_width(page), f"{url} scrolls sideways"


def test_technician_pages_fit_a_phone(people, customers, phone_page, live_server):
    base = live_server.url
    mine = open_case(people["agent"], customers["east"], now=timezone.now() - timedelta(hours=2))
    services.accept(mine.number, actor=people["tech"])
    waiting = open_case(people["agent"], customers["east"], content="楼道暖气管漏水，地面有积水")
    sweep(timezone.now())  # an overdue notice in the technician's inbox

    page = sign_in_on(phone_page, live_server, "tech")
    assert page.url == f"{base}/field/"  # their home is their work
    assert page.locator("#screenpop-q").bounding_box()["width"] > 300
    assert not page.locator("nav.sidebar").is_visible()
    page.click("button.menu-toggle")
    assert page.locator("nav.sidebar a", has_text="我的工单").is_visible()
    assert page.locator("button.link", has_text="退出").is_visible()
    page.locator("nav.sidebar a", has_text="工单").first.click()
    page.wait_for_url(f"{base}/cases/")
    assert not page.locator("table.table thead").is_visible()
    cell = page.locator(f"tr:has-text('{waiting.number}') td[data-label]").first
    assert cell.bounding_box()["width"] > 300  # a card, not a column one character wide
    assert fits_width(page)

    for path in [
        "/field/",
        f"/field/{mine.number}/",
        f"/field/{waiting.number}/",
        f"/cases/{mine.number}/",
        "/cases/?view=unit",
        "/cases/?view=due",
        "/customers/",
        f"/customers/{customers['east'].pk}/",
        "/inbox/",
        "/accounts/password/",
        "/accounts/tokens/",
    ]:
        assert_fits(page, base + path)
    page.goto(f"{base}/inbox/")
    assert mine.number in page.inner_text("main")


def test_station_head_starts_at_the_unit_queue_on_a_phone(
    people, customers, phone_page, live_server
):
    base = live_server.url
    case = open_case(people["agent"], customers["east"], now=timezone.now() - timedelta(hours=26))
    sweep(timezone.now())  # overdue notices and the first escalation: one group in the inbox
    page = sign_in_on(phone_page, live_server, "head_east")
    assert page.url == f"{base}/" and fits_width(page)  # the station's dashboard
    page.click("#tile-queue a.button")
    page.wait_for_url(f"{base}/cases/?view=unit")
    assert case.number in page.inner_text("main") and fits_width(page)
    for path in [
        f"/cases/{case.number}/",
        f"/field/{case.number}/",
        "/cases/faults/",
        f"/customers/{customers['east'].pk}/",
        "/inbox/",
    ]:
        assert_fits(page, base + path)
    group = page.locator(".inbox-item", has_text=case.number)
    assert group.count() == 1 and "条消息" in group.inner_text()


def draw(page) -> None:
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 30 + (step % 3) * 15)
    page.mouse.up()


def test_technician_who_forgets_the_signature_loses_nothing(
    people, customers, phone_page, live_server
):
    case = open_case(people["agent"], customers["east"])
    services.accept(case.number, actor=people["tech"])
    services.arrive(case.number, actor=people["tech"])
    page = sign_in_on(phone_page, live_server, "tech")
    page.goto(f"{live_server.url}/field/{case.number}/")
    form = page.locator("#resolve-form")
    form.locator("textarea[name=work_done]").fill("更换户内进水阀门，排气后恢复")
    form.locator("textarea[name=materials]").fill("阀门,1,个\n生料带,2,卷")
    form.locator("input[name=customer_side_fault]").check()

    # Forgot the signature: the page says so and keeps everything.
    form.locator("button.big").click()
    assert "客户尚未签字" in form.locator(".signature-missing").inner_text()
    assert form.locator("textarea[name=work_done]").input_value() == "更换户内进水阀门，排气后恢复"
    assert Case.objects.get(pk=case.pk).status == Status.ON_SITE

    # Signed, but the written explanation is missing: refused by the server, and the page
    # comes back with the text, the materials, the tick and the drawn signature.
    draw(page)
    form.locator("button.big").click()
    page.wait_for_selector("#resolve-form .errorlist")
    form = page.locator("#resolve-form")
    assert "书面说明" in form.inner_text()
    assert form.locator("textarea[name=work_done]").input_value() == "更换户内进水阀门，排气后恢复"
    assert form.locator("textarea[name=materials]").input_value() == "阀门,1,个\n生料带,2,卷"
    assert form.locator("input[name=customer_side_fault]").is_checked()
    assert form.locator("input.signature-data").input_value().startswith("data:image/png")
    # Polled from here: the page's CSP forbids the eval Playwright's own polling uses.
    drawn = "() => document.querySelector('canvas.signature-pad').getContext('2d').getImageData(0, 0, 600, 200).data.some(v => v > 0)"
    for _try in range(50):
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(drawn)
    assert fits_width(page)

    # Only the missing explanation is added; the kept signature goes with it.
    form.locator("textarea[name=explanation]").fill("户内阀门老化，属用户自有设施，已向客户说明")
    form.locator("button.big").click()
    assert "处理完毕：已完成" in page.inner_text(".flash")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"
    assert case.materials[1]["name"] == "生料带" and case.customer_side_fault
