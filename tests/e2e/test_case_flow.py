"""The whole flow of issue 3 in a browser: a call for a known customer becomes a repair
case at the customer's station; the technician accepts, books, finds nobody home,
rebooks, arrives and resolves with a drawn signature; the slip PDF has the Chinese text."""

import subprocess

import pytest

from utilitydesk.cases.models import Case, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_call_to_signed_resolution(people, customers, login, live_server, browser, org):
    page = login("agent")
    page.keyboard.press("Alt+k")
    page.keyboard.type("13812345678")
    page.locator("#screenpop-results a.popup-action").first.click()
    page.wait_for_url("**/cases/new/?customer=*")
    page.select_option("#id_kind", "repair")
    page.fill("#id_content", "暖气片上面热下面凉")
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_url("**/cases/GD*/")
    assert "已派往城东供热所" in page.inner_text(".flash") or "城东供热所" in page.inner_text(
        ".flash"
    )
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    case = Case.objects.get(number=number)
    assert case.responsible_unit == org["east"] and case.status == Status.DISPATCHED

    tech_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    tech = tech_context.new_page()
    tech.set_default_timeout(10_000)
    tech.goto(f"{live_server.url}/accounts/login/")
    tech.fill("#id_username", "tech")
    tech.fill("#id_password", "pw-for-tests-1")
    tech.click("button[type=submit]")
    tech.goto(f"{live_server.url}/field/")
    tech.click(f"text={number}")
    tech.click("text=接单")
    tech.wait_for_selector("#book-form")
    tech.click("#book-form button")
    assert "预约上门：已完成" in tech.inner_text(".flash")
    tech.click("text=客户不在家")
    tech.fill("#not-home-form input[name=note]", "已在门上张贴留言条，请回电")
    tech.click("#not-home-form button")
    assert "客户不在家：已完成" in tech.inner_text(".flash")
    tech.click("#arrive")
    tech.fill("#resolve-form textarea[name=work_done]", "排气后恢复正常")
    tech.locator("canvas.signature-pad").scroll_into_view_if_needed()
    pad = tech.locator("canvas.signature-pad").bounding_box()
    tech.mouse.move(pad["x"] + 20, pad["y"] + 30)
    tech.mouse.down()
    for step in range(1, 12):
        tech.mouse.move(pad["x"] + 20 + step * 25, pad["y"] + 30 + (step % 3) * 15)
    tech.mouse.up()
    tech.click("#resolve-form button.big")
    assert "处理完毕：已完成" in tech.inner_text(".flash")
    tech_context.close()

    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "registered",
        "dispatched",
        "accept",
        "book",
        "not_home",
        "arrive",
        "resolve",
    ]

    page.goto(f"{live_server.url}/cases/{number}/")
    assert (
        "排气后恢复正常" in page.inner_text("main")
        and page.locator("img.signature-img").count() == 1
    )
    pdf = page.request.get(f"{live_server.url}/cases/{number}/slip.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    assert (
        "服务派单" in text
        and "暖气片上面热下面凉" in text
        and "城东供热所" in text
        and number in text
    )
