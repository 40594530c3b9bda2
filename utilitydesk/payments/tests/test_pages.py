"""The clerk's pages: the counter finds the account, shows bills and balance, takes a
payment (a repeated submission is one payment) and shows the receipt; the PDF; a bank file
upload with its report; reconciliation and resolving; statistics and their workbook; other
positions are refused; the customer shown is access-logged."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from utilitydesk.audit.models import AccessLog
from utilitydesk.billing import services as billing
from utilitydesk.payments.models import IssueStatus, Payment, ReconciliationIssue

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(clerk):
    client = Client()
    client.force_login(clerk)
    return client


def test_the_counter_takes_a_payment_and_shows_the_receipt(desk, clerk, customers):
    billing.generate_bills(billing.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    account = customers["east"].account_no
    page = desk.get("/payments/counter/", {"account": account})
    text = page.content.decode()
    assert page.status_code == 200 and "李雷" in text and "2230.20" in text
    assert AccessLog.objects.filter(actor=clerk, customer=customers["east"]).exists()
    form = {"amount": "2230.20", "channel": "counter_cash", "key": "form-1"}
    response = desk.post(f"/payments/counter/?account={account}", form)
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/receipts/{payment.number}/"
    )
    desk.post(f"/payments/counter/?account={account}", form)
    assert Payment.objects.count() == 1
    receipt = desk.get(response["Location"]).content.decode()
    assert payment.receipt_no in receipt and "贰仟贰佰叁拾元贰角整" in receipt
    pdf = desk.get(f"/payments/receipts/{payment.number}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    balance = desk.get("/payments/counter/", {"account": account}).content.decode()
    assert "结清" in balance


def test_a_bad_amount_keeps_the_form(desk, customers):
    account = customers["east"].account_no
    form = {"amount": "12.345", "channel": "counter_cash", "key": "k"}
    page = desk.post(f"/payments/counter/?account={account}", form)
    assert page.status_code == 200 and "12.345" in page.content.decode()
    assert not Payment.objects.exists()


def test_bank_file_upload_report_and_reconciliation(desk, customers):
    account = customers["east"].account_no
    data = f"h\nT1,{account},李雷,100.00,20261203,成功\nT2,NOBODY,x,1.00,20261203,成功\n".encode(
        "gbk"
    )
    upload = io.BytesIO(data)
    upload.name = "icbc.csv"
    response = desk.post("/payments/bank-files/", {"layout": "ICBC-WH", "file": upload})
    report = desk.get(response["Location"]).content.decode()
    assert "NOBODY" in report and not Payment.objects.exists()
    response = desk.post("/payments/reconciliation/", {"day": "2026-12-03"})
    assert response.status_code == 302
    response = desk.post("/payments/reconciliation/", {"month": "2026-11"})
    assert response.status_code == 302


def test_an_issue_is_resolved_with_a_note(desk, clerk, customers):
    issue = ReconciliationIssue.objects.create(
        kind="totals",
        key="2026-12-03:totals:counter",
        description="x",
        found_at=NOW,
        day=NOW.date(),
    )
    assert "x" in desk.get("/payments/reconciliation/").content.decode()
    desk.post(f"/payments/reconciliation/issues/{issue.pk}/resolve/", {"note": "已核实"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED and issue.resolved_by == clerk


def test_statistics_and_their_workbook(desk, clerk, customers):
    billing.generate_bills(billing.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    from utilitydesk.payments import services

    services.take_counter_payment(customers["east"].pk, "1000", actor=clerk, now=NOW)
    page = desk.get("/payments/statistics/", {"month": "2026-12", "by": "station"}).content.decode()
    assert "城东供热所" in page and "1000.00" in page
    book = desk.get(
        "/payments/statistics/", {"month": "2026-12", "by": "customer_type", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(book.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == Decimal("4460.40") or float(rows[1][1]) == 4460.40


def test_other_positions_are_refused(people, customers):
    client = Client()
    client.force_login(people["tech"])
    assert client.get("/payments/counter/").status_code == 403
    assert client.get("/payments/bank-files/").status_code == 403
    assert client.get("/payments/reconciliation/").status_code == 403
