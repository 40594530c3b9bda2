"""Issue 15 in a browser at 1440×900: the agent sees the caller's balance in the screen-pop
while the phone rings; a fee complaint's case page shows the bill, the tariff and the area,
a clerk asks for an area correction beyond their authority, the department head approves it
and the case page shows the re-issued bill's total."""

from decimal import Decimal

import pytest

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import open_case, staff
from utilitydesk.billing import services
from utilitydesk.billing.models import Bill, BillStatus
from utilitydesk.org.models import Position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billed(people, customers, org):
    services.generate_bills(services.start_run(2026, actor=None).pk)
    return customers


def test_the_agent_sees_the_balance_while_the_phone_rings(billed, page, live_server):
    sign_in_on(page, live_server, "agent")
    page.keyboard.press("Alt+k")
    page.keyboard.type("13812345678")
    result = page.locator("#screenpop-results li").first
    result.wait_for()
    assert "欠费 2,230.20 元" in result.inner_text()
    # The intake screen the popup opens shows it too.
    page.locator("#screenpop-results a.popup-action").first.click()
    page.wait_for_url("**/cases/new/?customer=*")
    assert "2230.20" in page.inner_text("#billing-intake")
    assert fits_width(page)


def test_a_fee_complaint_corrected_with_the_right_approval(billed, people, org, page, live_server):
    staff("billing", Position.BILLING_CLERK, org["centre"])
    staff("dept_head", Position.DEPARTMENT_HEAD, org["office"])
    case = open_case(
        people["agent"],
        billed["east"],
        kind="complaint",
        content="面积多算10平米",
        reaction_data={"complaint_category": "fee"},
    )
    sign_in_on(page, live_server, "billing")
    page.goto(f"{live_server.url}/cases/{case.number}/")
    section = page.locator("#billing")
    text = section.inner_text()
    assert "2230.20" in text and "88.50" in text and "25.20" in text
    section.locator("summary", has_text="更正此账单").click()
    section.locator("#id_area_m2").fill("78.50")
    section.locator("#id_reason").fill("面积多算10平米，经现场复核为78.50平米")
    section.locator("button", has_text="提交更正").click()
    page.wait_for_load_state()
    assert "超出您的权限" in page.inner_text(".flash")
    assert "待审批的更正" in page.inner_text("#billing")
    assert page.locator("#billing button", has_text="批准更正").count() == 0

    page.context.clear_cookies()
    sign_in_on(page, live_server, "dept_head")
    page.goto(f"{live_server.url}/cases/{case.number}/")
    page.locator("#billing button", has_text="批准更正").click()
    page.wait_for_load_state()
    assert "更正已批准" in page.inner_text(".flash")
    assert page.inner_text("#billing .bill-total") == "1978.20"
    bill = Bill.objects.get(premises__customer=billed["east"], status=BillStatus.ISSUED)
    assert bill.total == Decimal("1978.20") and bill.supersedes is not None
