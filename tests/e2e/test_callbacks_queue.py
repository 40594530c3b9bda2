"""Issue 11 in a desktop browser (1440 × 900), as the service desk meets it: the callback
list with filters and one outcome form beside it (item 12), a VIP account callback
recorded without a case (item 2), the complaint-ruling form that keeps what was typed and
picks the person held responsible from the unit's staff (item 5), the complaint register,
and the leaders' menu of rates and surveys."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import make_customer, open_case, staff
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case
from utilitydesk.complaints.models import Complaint
from utilitydesk.org.models import Position
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import PolicyVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, when UTILITYDESK_SCREENS names a folder."""
    folder = os.environ.get("UTILITYDESK_SCREENS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def any_hour(org):
    # Callbacks are only offered inside the policy's hours; the test may run at night.
    PolicyVersion.objects.update(callback_hours="00:00-23:59", callback_quiet="")
    sla.reset_caches()


def resolved(people, customer) -> Case:
    case = open_case(people["agent"], customer)
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="排气"), actor=people["tech"])
    return case


@pytest.fixture
def day_one(people, customers, area, any_hour):
    """The first morning's mix: most callbacks are VIP / long-term account callbacks."""
    repair = resolved(people, customers["east"])
    accounts = []
    for n in range(30):
        customer = make_customer(
            area["east"] if n % 2 else area["west"],
            f"3{n:02d}",
            phones=(f"1390000{n:04d}",),
            name=f"客户{n:02d}",
            grade="vip" if n % 3 else "general",
            long_term_since=None if n % 3 else timezone.localdate() - timedelta(days=800),
        )
        accounts.append(
            CallbackTask.objects.create(
                customer=customer,
                period="2026-11",
                purpose=CallbackTask.Purpose.ACCOUNT,
                due_at=timezone.now() + timedelta(hours=n - 2, minutes=30),
            )
        )
    return {"repair": repair, "accounts": accounts}


def test_agent_records_a_vip_callback_from_the_compact_list(page, live_server, people, day_one):
    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/callbacks/")
    rows = page.locator("tr.callback-row")
    assert rows.count() == 25  # one page, one line each
    assert page.locator("form.outcome-form").count() == 0  # no form until a row is chosen
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2200, height  # was 7,300 px with a form per callback
    assert fits_width(page)
    shot(page, "callbacks-list")

    vip = day_one["accounts"][1]  # 客户01, VIP
    row = page.locator("tr.callback-row", has_text="客户01")
    row.locator("td").first.click()  # anywhere on the row
    panel = page.locator("#callback-panel .callback-task")
    panel.wait_for()
    assert "客户01" in panel.inner_text() and "13900000001" in panel.inner_text()
    assert panel.locator("select[name=if_dissatisfied]").count() == 0  # no case to reopen
    assert page.locator("form.outcome-form").count() == 1
    assert fits_width(page)
    shot(page, "callbacks-panel")
    panel.locator("input[value=satisfied]").check()
    panel.locator("textarea[name=comment]").fill("供热正常")
    panel.locator("button.primary").click()
    page.wait_for_selector(".flash-success")
    assert "客户01" in page.inner_text(".flash")
    vip.refresh_from_db()
    assert vip.status == "done" and vip.called_by == people["agent"]
    assert "客户01" not in page.inner_text("table")


def test_filters_and_an_error_that_keeps_the_choice(page, live_server, people, day_one):
    sign_in_on(page, live_server, "agent")
    page.goto(f"{live_server.url}/callbacks/")
    page.select_option("select[name=type]", "case")
    page.click(".callback-filters button[type=submit]")
    page.wait_for_url("**type=case**")
    rows = page.locator("tr.callback-row")
    assert rows.count() == 1 and day_one["repair"].number in rows.first.inner_text()
    rows.first.locator("a.open-task").click()
    panel = page.locator("#callback-panel .callback-task")
    panel.wait_for()
    panel.locator("input[value=dissatisfied]").check()
    panel.locator("select[name=if_dissatisfied]").select_option("complaint")
    panel.locator("button.primary").click()  # no comment: refused, nothing lost
    page.wait_for_selector("#callback-panel .error")
    assert panel.locator("input[value=dissatisfied]").is_checked()
    assert panel.locator("select[name=if_dissatisfied]").input_value() == "complaint"
    assert "type=case" in page.url  # still the filtered list
    panel.locator("textarea[name=comment]").fill("维修工没有清理现场")
    panel.locator("button.primary").click()
    page.wait_for_selector(".flash-success")
    assert "type=case" in page.url
    complaint = Complaint.objects.get(source_case__number=day_one["repair"].number)
    assert complaint.case.kind == "complaint"

    page.goto(f"{live_server.url}/callbacks/?due=overdue&sort=-due")
    names = page.locator("tr.callback-row a.open-task").all_inner_texts()
    assert names == ["客户01", "客户00"]


def test_office_rules_a_complaint_without_losing_it(page, live_server, people, org, customers):
    staff("tech2", Position.TECHNICIAN, org["east_team"])
    case = open_case(people["agent"], customers["east"], kind="complaint", content="维修工态度差")
    cases.dispatch(
        case.number, actor=people["office"], unit_id=org["east"].pk, note="转城东", redispatch=True
    )
    sign_in_on(page, live_server, "office")
    page.goto(f"{live_server.url}/cases/{case.number}/")
    section = page.locator("#complaint")
    assert "尚未判定责任" in section.inner_text()
    assert section.locator("form[action$='/determine/']").count() == 0  # not handled yet

    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="已道歉"), actor=people["tech"])
    page.reload()
    determine = section.locator("details", has=page.locator("form[action$='/determine/']"))
    determine.locator("summary").click()
    determine.locator("select[name=responsibility]").select_option("negligence")
    determine.locator("select[name=responsible_unit]").select_option(str(org["east_team"].pk))
    staff_select = determine.locator("select[name=responsible_staff]")
    # Waits without evaluating a string (the page's CSP forbids eval while polling).
    expect(staff_select.locator("option")).to_have_count(3)
    options = staff_select.locator("option").all_inner_texts()
    assert [o.split("(")[-1] for o in options[1:]] == ["tech)", "tech2)"]  # the team's people
    staff_select.select_option(label="王小明 (tech)")
    determine.locator("button[type=submit]").click()  # no corrective actions: refused
    page.wait_for_selector("#complaint .error")
    shot(page, "complaint-error")
    form = page.locator("form[action$='/determine/']")
    assert form.locator("select[name=responsibility]").input_value() == "negligence"
    assert form.locator("select[name=responsible_staff]").input_value() == str(people["tech"].pk)
    form.locator("textarea[name=corrective_actions]").fill("批评教育，扣当月服务分")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert page.url.endswith(f"/cases/{case.number}/")
    complaint = Complaint.objects.get(case__number=case.number)
    assert complaint.responsible_staff == people["tech"] and complaint.counts

    page.goto(f"{live_server.url}/complaints/?valid=yes")
    assert case.number in page.inner_text("table")
    assert fits_width(page)
    shot(page, "complaint-register")
    with page.expect_download() as download:
        page.click("text=导出")
    assert download.value.suggested_filename == "complaints.xlsx"


def test_leaders_find_rates_and_surveys_in_their_menu(page, live_server, people, org, customers):
    from utilitydesk.surveys.services import create_survey

    staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"])
    create_survey("冬季满意度调查", 2, actor=people["office"])
    for username in ("gm", "sc_head"):
        sign_in_on(page, live_server, username)
        nav = page.locator("nav.sidebar")
        nav.locator("text=服务指标").click()
        assert "有效投诉率" in page.inner_text("main")
        shot(page, f"rates-{username}")
        nav.locator("text=满意度调查").click()
        assert "满意度调查" in page.inner_text("h1")
        page.click("text=冬季满意度调查")
        text = page.inner_text("main")
        assert "调查汇总" in text and "导入报告" not in text
        assert fits_width(page)
        shot(page, f"survey-{username}")
        page.context.clear_cookies()
