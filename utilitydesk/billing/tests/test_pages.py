"""The billing pages as people use them: a clerk runs the season and watches its progress
(skipped premises with the reason); bills listed, opened (lines, tariff, area) and written
to the access log; the balance on the 360 page, in the screen-pop box and on intake; a fee
complaint's case page with the bill and the correction that needs a leader's approval."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_customer, open_case, staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.billing import services
from utilitydesk.billing.models import Bill, BillRun, BillStatus, CorrectionStatus
from utilitydesk.billing.sections import lookup_notes
from utilitydesk.customers.models import CustomerType, Premises
from utilitydesk.org.models import Position
from utilitydesk.outages.tests.conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billing(org, people):
    return {
        "clerk": staff("billing", Position.BILLING_CLERK, org["centre"]),
        "head": staff("dept_head", Position.DEPARTMENT_HEAD, org["office"]),
    }


def bill_of(customer):
    return Bill.objects.get(
        premises=Premises.objects.get(customer=customer), status=BillStatus.ISSUED
    )


def billed():
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)


def test_a_clerk_runs_the_season_and_sees_progress_and_skipped_premises(
    client, billing, customers, area, django_capture_on_commit_callbacks
):
    odd = make_customer(area["east"], "777", name="无费率户")
    type(odd).objects.filter(pk=odd.pk).update(customer_type="nobody")
    client.force_login(billing["clerk"])
    page = client.get(reverse("billing:runs"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:runs"), {"season": "2026"})
    run = BillRun.objects.get()
    assert response["Location"] == reverse("billing:run", args=[run.pk])
    # The background run is inline in tests: done, two bills, the odd premises skipped.
    progress = client.get(reverse("billing:run", args=[run.pk]), HTTP_HX_REQUEST="true")
    text = progress.content.decode()
    run.refresh_from_db()
    assert run.state == BillRun.State.DONE and run.bills_issued == 2
    assert "hx-get" not in text  # finished: no more polling
    assert odd.account_no in text  # listed among the premises not billed, with the reason
    assert "没有适用的热价" in text


def test_the_page_is_refused_to_an_agent(client, people):
    client.force_login(people["agent"])
    assert client.get(reverse("billing:runs")).status_code == 403


def test_the_command_prints_progress_and_bills_nobody_twice(customers, org, capsys):
    call_command("generate_bills", "--season", "2026", "--now", "2026-11-01T08:00:00+08:00")
    out = capsys.readouterr().out
    assert "2/2 premises" in out and "2 bill(s) issued" in out
    call_command("generate_bills", "--season", "2026")
    assert "0/0 premises" in capsys.readouterr().out
    assert Bill.objects.count() == 2
    run = BillRun.objects.order_by("started_at").first()
    assert run.state == BillRun.State.DONE and run.done_premises == run.total_premises == 2


def test_bills_listed_and_opened_are_access_logged(client, billing, customers):
    billed()
    client.force_login(billing["clerk"])
    listing = client.get(reverse("billing:bills"), {"season": "2026"})
    assert listing.status_code == 200
    bill = bill_of(customers["east"])
    assert bill.number in listing.content.decode()
    detail = client.get(reverse("billing:bill", args=[bill.number]))
    text = detail.content.decode()
    assert "2230.20" in text and "88.50" in text and "25.20" in text
    logged = AccessLog.objects.filter(actor=billing["clerk"], customer=customers["east"])
    assert logged.filter(action=AccessLog.Action.LIST).exists()
    assert logged.filter(action=AccessLog.Action.VIEW, detail__bill=bill.number).exists()
    pdf = client.get(reverse("billing:bill_notice", args=[bill.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert logged.filter(action=AccessLog.Action.PRINT).exists()


def test_station_staff_see_only_their_station_s_bills(client, people, customers):
    billed()
    client.force_login(people["head_east"])
    text = client.get(reverse("billing:bills")).content.decode()
    assert bill_of(customers["east"]).number in text
    assert bill_of(customers["west"]).number not in text
    west = bill_of(customers["west"]).number
    assert client.get(reverse("billing:bill", args=[west])).status_code == 404


def test_the_balance_on_the_360_page_intake_and_screen_pop(client, people, customers):
    billed()
    agent = people["agent"]
    client.force_login(agent)
    page = client.get(reverse("customers:detail", args=[customers["east"].pk])).content.decode()
    assert "2230.20" in page
    intake = client.get(reverse("cases:new"), {"customer": customers["east"].pk}).content.decode()
    assert "billing-intake" in intake and "2230.20" in intake
    popup = client.post(reverse("customers:lookup"), {"q": "13812345678"}).content.decode()
    assert "2,230.20" in popup
    # The pages log the customer's view once each, balance included (no second row).
    views = AccessLog.objects.filter(
        actor=agent, customer=customers["east"], action=AccessLog.Action.VIEW
    )
    assert views.count() == 2


def test_the_screen_pop_note_is_one_query(people, customers, django_assert_num_queries):
    billed()
    ids = list(Premises.objects.values_list("pk", flat=True))
    agent = people["agent"]
    agent.has_perm("billing.view_bill")  # permissions cached, as in a request
    with django_assert_num_queries(1):
        notes = lookup_notes(agent, ids)
    assert len(notes) == 2


def test_a_technician_sees_no_balance(people, customers):
    billed()
    assert lookup_notes(people["tech"], list(Premises.objects.values_list("pk", flat=True))) == {}


def test_a_fee_complaint_corrected_with_a_leaders_approval(client, billing, people, customers):
    billed()
    case = open_case(
        people["agent"],
        customers["east"],
        kind="complaint",
        content="面积多算10平米",
        reaction_data={"complaint_category": "fee"},
    )
    bill = bill_of(customers["east"])
    client.force_login(billing["clerk"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'id="billing"' in page and "2230.20" in page and "25.20" in page and "88.50" in page
    response = client.post(
        reverse("billing:correct", args=[bill.number]),
        {
            "area_m2": "78.50",
            "reason": "面积多算10平米",
            "case": case.number,
            "next": reverse("cases:detail", args=[case.number]),
        },
    )
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    correction = bill.corrections.get()
    assert correction.status == CorrectionStatus.PENDING and correction.case_number == case.number
    # The clerk may not approve their own; the department head may.
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "Approve the correction" not in page and "批准更正" not in page
    client.force_login(billing["head"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert reverse("billing:decide", args=[correction.pk]) in page
    client.post(
        reverse("billing:decide", args=[correction.pk]),
        {"decision": "approve", "next": reverse("cases:detail", args=[case.number])},
    )
    new = bill_of(customers["east"])
    assert new.total == D("1978.20") and new.supersedes_id == bill.pk
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "1978.20" in page


def test_a_repair_case_has_no_bill_section(client, billing, people, customers):
    billed()
    case = open_case(people["agent"], customers["east"])
    client.force_login(billing["clerk"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'id="billing"' not in page


def test_a_fee_enquiry_shows_the_bill(client, billing, people, customers):
    billed()
    case = open_case(people["agent"], customers["east"], kind="fee", content="问热费")
    client.force_login(people["agent"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'id="billing"' in page and "2230.20" in page
    # An agent sees the bill but has no correction form.
    assert reverse("billing:correct", args=[bill_of(customers["east"]).number]) not in page


def test_commercial_premises_billed_at_its_rate(client, billing, area):
    shop = make_customer(area["east"], "201", name="商铺", customer_type=CustomerType.COMMERCIAL)
    billed()
    assert bill_of(shop).total == D("3982.50")  # 88.50 × 45.00


def test_a_running_run_is_polled_and_shows_its_progress(client, billing, org):
    run = services.start_run(2026, actor=billing["clerk"], now=NOW)
    BillRun.objects.filter(pk=run.pk).update(total_premises=10, done_premises=4)
    client.force_login(billing["clerk"])
    text = client.get(reverse("billing:run", args=[run.pk])).content.decode()
    assert "hx-get" in text and 'value="40"' in text
    assert "已处理 4 / 10 户" in text
