"""The arrears list: a station head sees their station, clerks and leaders the company;
filters (station, district, customer type, amount range, step, days overdue) with the total
of the filtered rows; the Excel export (formulas neutralised, access-logged); the pages and
the 催缴通知书 PDF."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.factories import make_customer
from utilitydesk.arrears import selectors, services
from utilitydesk.arrears.models import ArrearsRecord, StepKind
from utilitydesk.audit.models import AccessLog
from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind
from utilitydesk.customers.models import Customer, CustomerType

from .conftest import at

pytestmark = pytest.mark.django_db
D = Decimal
F = selectors.Filters


def pay(customer, amount, ref, when):
    ledger.post_entry(
        customer.pk, EntryKind.PAYMENT, -D(amount), f"payment:test:{ref}", actor=None, now=when
    )


@pytest.fixture
def owing(billed, staffers):
    """Overdue on 2026-12-01 (each billed 2,230.20): 李雷 2,230.20 (notice given), 王五
    1,230.20, 赵六 30.20 (all east), 韩梅梅 2,230.20 (west)."""
    pay(billed["next_door"], "1000.00", "wang", at(11, 10))
    pay(billed["upstairs"], "2200.00", "zhao", at(11, 10))
    services.refresh(on=at(12, 1).date(), now=at(12, 1))
    record = ArrearsRecord.objects.get(customer=billed["east"])
    services.request_step(record.pk, StepKind.NOTICE, actor=staffers["clerk"], now=at(12, 1))
    return billed


def names(rows):
    return [r.customer.name for r in selectors.with_details(rows)]


def test_scope_filters_and_total(owing, staffers):
    clerk, head, head_west = staffers["clerk"], staffers["head_east"], staffers["head_west"]
    today = at(12, 1).date()
    everything = selectors.arrears_rows(clerk, F(), today)
    assert set(names(everything)) == {"李雷", "韩梅梅", "王五", "赵六"}
    assert selectors.totals(everything)[0] == 4
    east = selectors.arrears_rows(head, F(), today)
    assert names(east) == ["李雷", "王五", "赵六"]  # largest first
    assert selectors.totals(east) == (3, D("2230.20") + D("1230.20") + D("30.20"))
    assert "韩梅梅" not in names(
        selectors.arrears_rows(head, F(station_id=owing["west"].premises.first().station_id), today)
    )
    assert names(selectors.arrears_rows(head_west, F(), today)) == ["韩梅梅"]
    assert selectors.arrears_rows(staffers["tech"], F(), today).count() == 0  # no permission
    assert names(
        selectors.arrears_rows(clerk, F(min_amount=D("100"), max_amount=D("2000")), today)
    ) == ["王五"]
    assert names(selectors.arrears_rows(clerk, F(step=StepKind.NOTICE), today)) == ["李雷"]
    assert "李雷" not in names(selectors.arrears_rows(clerk, F(step="none"), today))
    # Due 2026-11-15: 16 days overdue on 12-01.
    assert selectors.totals(selectors.arrears_rows(clerk, F(min_days=16), today))[0] == 4
    assert selectors.totals(selectors.arrears_rows(clerk, F(min_days=17), today))[0] == 0
    Customer.objects.filter(pk=owing["west"].pk).update(customer_type=CustomerType.COMMERCIAL)
    ArrearsRecord.objects.filter(customer=owing["west"]).update(
        customer_type=CustomerType.COMMERCIAL
    )
    assert names(
        selectors.arrears_rows(clerk, F(customer_type=CustomerType.COMMERCIAL), today)
    ) == ["韩梅梅"]
    district = ArrearsRecord.objects.get(customer=owing["east"]).district_id
    assert district is not None
    assert selectors.totals(selectors.arrears_rows(clerk, F(district_id=district), today))[0] >= 3
    # Paid up: off the list.
    pay(owing["upstairs"], "30.20", "zhao-2", at(12, 2))
    assert "赵六" not in names(selectors.arrears_rows(head, F(), today))


def test_the_page_export_and_letter(client, owing, staffers, area):
    # A name that would run as a formula in Excel is written as text.
    evil = make_customer(area["east"], "301", phones=("13855556666",), name="=HYPERLINK(1)")
    from utilitydesk.billing import services as billing

    run = billing.start_run(2026, actor=None, now=at(10, 1))
    billing.generate_bills(run.pk, [evil.premises.first().pk], now=at(10, 1))
    services.refresh(on=at(12, 1).date(), now=at(12, 1))
    head = staffers["head_east"]
    client.force_login(head)
    page = client.get("/arrears/", {"min_amount": "1000"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "李雷" in text and "王五" in text and "赵六" not in text and "韩梅梅" not in text
    logged = set(AccessLog.objects.filter(actor=head).values_list("customer_id", flat=True))
    assert owing["east"].pk in logged and owing["west"].pk not in logged
    export = client.get("/arrears/", {"format": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 4  # header + the east's four
    assert "'=HYPERLINK(1)" in [r[1] for r in rows]
    assert AccessLog.objects.filter(actor=head, action="export").count() == 4
    record = ArrearsRecord.objects.get(customer=owing["east"])
    detail = client.get(f"/arrears/{record.pk}/")
    assert detail.status_code == 200
    letter = client.get(f"/arrears/{record.pk}/letter.pdf")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    # Another station's account is not there for the east's head.
    west = ArrearsRecord.objects.get(customer=owing["west"])
    assert client.get(f"/arrears/{west.pk}/").status_code == 404


def test_letter_text_names_the_amount_and_the_notice(owing, staffers):
    from utilitydesk.arrears.pdf import letter_lines

    record = ArrearsRecord.objects.get(customer=owing["next_door"])
    lines = "\n".join(letter_lines(record))
    assert "1,230.20" in lines and "催" not in lines.split("\n")[0]
    assert "王五" in lines and "2026年11月15日" in lines


def test_an_agent_records_an_application_on_the_page(client, staffers, customers):
    client.force_login(staffers["agent"])
    page = client.get("/arrears/applications/")
    assert page.status_code == 200
    response = client.post(
        "/arrears/applications/",
        {"account_no": customers["east"].account_no, "kind": "stop", "note": ""},
    )
    # The page acts on the clock: a work order when the window is open, else the reason.
    from utilitydesk.arrears.models import HeatApplication

    if response.status_code == 302:
        assert HeatApplication.objects.get().work_order
    else:
        assert "closed on" in response.content.decode() or "截止" in response.content.decode()
