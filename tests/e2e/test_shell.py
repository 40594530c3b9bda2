"""The agent's day starts here: sign in, the phone rings, find the caller, open the 360."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_finds_the_caller_by_phone_and_opens_the_customer(
    people, customers, login, live_server
):
    page = login("agent")
    assert "王小明，您好" in page.content()
    page.keyboard.press("Alt+k")
    assert page.evaluate("document.activeElement.id") == "screenpop-q"
    page.keyboard.type("13812345678")
    result = page.locator("#screenpop-results a").first
    result.wait_for()
    assert "李雷" in result.inner_text()
    result.click()
    page.wait_for_url(f"{live_server.url}/customers/{customers['east'].pk}/")
    body = page.inner_text("main")
    assert (
        "城东供热所" in body and "东城区阳光花园1号楼1单元101室" in body and "13812345678" in body
    )


def test_technician_sees_masked_numbers_and_no_export(people, customers, login, live_server):
    page = login("tech")
    page.goto(f"{live_server.url}/customers/")
    table = page.inner_text("table")
    assert "138****5678" in table and "韩梅梅" not in table
    assert page.locator("text=导出 Excel").count() == 0


def test_office_edits_a_customer_and_sees_the_history(people, customers, login, live_server):
    page = login("office")
    page.goto(f"{live_server.url}/customers/{customers['east'].pk}/edit/")
    page.fill("#id_name", "李蕾")
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/customers/{customers['east'].pk}/")
    history = page.inner_text("main")
    assert "李雷" in history and "李蕾" in history and "已保存" in history


def test_failed_sign_in_shows_a_chinese_error(people, page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "正确的用户名和密码" in page.inner_text(".errors")
