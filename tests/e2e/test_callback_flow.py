"""Issue 5's browser path: a dissatisfied callback reopens the case, which goes back to
the station's queue with its history."""

import pytest

from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, Status
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import PolicyVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_dissatisfied_callback_reopens_the_case(people, customers, login, live_server, browser):
    # Callbacks are only offered inside the policy's hours; this test may run at night.
    PolicyVersion.objects.update(callback_hours="00:00-23:59", callback_quiet="")
    sla.reset_caches()
    case = cases.create_contact(
        cases.ContactInput(
            channel="phone", kind="repair", content="暖气不热", customer_id=customers["east"].pk
        ),
        actor=people["agent"],
    ).case
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="排气"), actor=people["tech"])

    page = login("agent")
    page.goto(f"{live_server.url}/callbacks/")
    # One line per callback; choosing it opens its form beside the list (issue 11).
    page.locator("tr.callback-row", has_text=case.number).locator("a.open-task").click()
    card = page.locator("#callback-panel .callback-task")
    card.wait_for()
    card.locator("input[value=dissatisfied]").check()
    card.locator("textarea[name=comment]").fill("还是不热，卧室只有15度")
    card.locator("select[name=if_dissatisfied]").select_option("reopen")
    card.locator("button.primary").click()
    page.wait_for_selector(".flash")
    assert "已登记" in page.inner_text(".flash") or case.number in page.inner_text(".flash")
    case.refresh_from_db()
    assert case.status == Status.REOPENED

    tech_page = browser.new_context(locale="zh-CN").new_page()
    tech_page.goto(f"{live_server.url}/accounts/login/")
    tech_page.fill("#id_username", "tech")
    tech_page.fill("#id_password", "pw-for-tests-1")
    tech_page.click("button[type=submit]")
    tech_page.goto(f"{live_server.url}/field/")
    assert case.number in tech_page.inner_text("main")  # back in the station's queue
    tech_page.goto(f"{live_server.url}/cases/{case.number}/")
    timeline = tech_page.inner_text(".timeline")
    assert "处理完毕" in timeline and "重新打开" in timeline and "还是不热" in timeline
    assert Case.objects.get(pk=case.pk).callback_tasks.get().outcome == "dissatisfied"
