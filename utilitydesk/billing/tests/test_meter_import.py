"""Meter readings from the CSV: by account or meter number, bad rows reported with their row
number, the same file twice stores nothing twice, a corrected value replaces the day's."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.factories import make_customer, staff
from utilitydesk.billing.meter_import import import_readings
from utilitydesk.billing.models import MeterReading
from utilitydesk.customers.models import Premises
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk(org):
    return staff("billing", Position.BILLING_CLERK, org["centre"])


@pytest.fixture
def metered(customers, area):
    Premises.objects.filter(customer=customers["east"]).update(metered=True, meter_no="M-1")
    return customers


def csv_of(*rows: str) -> bytes:
    return ("户号,表号,抄表日期,累计热量\n" + "\n".join(rows) + "\n").encode()


def test_good_and_bad_rows(clerk, metered):
    east, west = metered["east"], metered["west"]
    raw = csv_of(
        ",M-1,2026-11-15,1000",
        f"{west.account_no},,2026/11/15,20.5",
        ",M-9,2026-11-15,1",
        f"{east.account_no},,2026-13-01,1",
        f"{east.account_no},,2026-11-20,-3",
        ",M-1,2026-11-15,1001",
        ",,2026-11-15,1",
    )
    report = import_readings(raw, actor=clerk, source="readings.csv")
    assert (report.rows, report.created) == (7, 2)
    assert [(r["row"], r["value"]) for r in report.rejected] == [
        (4, "M-9"),
        (5, "2026-13-01"),
        (6, "-3"),
        (7, "2026-11-15"),
        (8, ""),
    ]
    reading = MeterReading.objects.get(premises__customer=east)
    assert reading.read_on == date(2026, 11, 15) and reading.total_gj == D("1000.00")


def test_the_same_file_twice_and_a_corrected_value(clerk, metered):
    raw = csv_of(",M-1,2026-11-15,1000", ",M-1,2026-12-15,1010")
    first = import_readings(raw, actor=clerk)
    again = import_readings(raw, actor=clerk)
    assert (first.created, again.created, again.unchanged) == (2, 0, 2)
    fixed = import_readings(csv_of(",M-1,2026-12-15,1012.4"), actor=clerk)
    assert fixed.updated == 1
    assert list(MeterReading.objects.values_list("total_gj", flat=True)) == [
        D("1000.00"),
        D("1012.40"),
    ]


def test_an_account_with_two_premises_needs_the_meter(clerk, metered, area):
    east = metered["east"]
    second = make_customer(area["east"], "102")
    Premises.objects.filter(customer=second).update(customer=east)
    report = import_readings(csv_of(f"{east.account_no},,2026-11-15,5"), actor=clerk)
    # One of the two is metered: that one is read.
    assert report.created == 1 and not report.rejected
    Premises.objects.filter(customer=east).update(metered=True)
    report = import_readings(csv_of(f"{east.account_no},,2026-11-16,5"), actor=clerk)
    assert report.rejected[0]["row"] == 2


def test_a_file_without_the_columns_and_people_without_permission(clerk, people, metered):
    report = import_readings(b"a,b\n1,2\n", actor=clerk)
    assert report.file_error and report.rows == 0
    with pytest.raises(PermissionDenied):
        import_readings(csv_of(",M-1,2026-11-15,1"), actor=people["agent"])


def test_the_page_reports_rows(client, clerk, metered):
    client.force_login(clerk)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "r.csv", csv_of(",M-1,2026-11-15,1000", ",M-9,2026-11-15,1"), "text/csv"
    )
    page = client.post(reverse("billing:readings_import"), {"file": upload}).content.decode()
    assert 'id="import-report"' in page and "M-9" in page
