"""Late fees (R-805): off by default; where a tariff sets a daily ‰, each day after the due
day charges the unpaid principal once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from utilitydesk.billing import ledger, services
from utilitydesk.billing.late_fees import post_late_fees
from utilitydesk.billing.models import EntryKind, LedgerEntry, TariffRate
from utilitydesk.outages.tests.conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


def bill_season():
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)


def test_off_by_default(customers):
    bill_season()
    assert post_late_fees(date(2027, 1, 10), now=NOW) == 0
    assert not LedgerEntry.objects.filter(kind=EntryKind.LATE_FEE).exists()


def test_a_daily_rate_charges_the_unpaid_principal_once_a_day(customers):
    TariffRate.objects.update(late_fee_permille=D("1"))
    bill_season()
    east = customers["east"]
    # Due 2026-11-15: nothing on the due day itself.
    assert post_late_fees(date(2026, 11, 15), now=NOW) == 0
    # 2,230.20 × 1‰ = 2.23, once however often the job runs that day.
    day = date(2026, 11, 16)
    assert post_late_fees(day, now=NOW) == 2
    assert post_late_fees(day, now=NOW) == 0
    assert ledger.balance_of(east.pk) == D("2232.43")
    # Half paid: the next day charges 1,115.10 × 1‰ = 1.12 (late fees are not charged again).
    ledger.post_entry(
        east.pk, EntryKind.PAYMENT, D("-1115.10"), "payment:test:1", actor=None, now=NOW
    )
    post_late_fees(day + timedelta(days=1), now=NOW)
    fees = LedgerEntry.objects.filter(customer=east, kind=EntryKind.LATE_FEE)
    assert sorted(fees.values_list("amount", flat=True)) == [D("1.12"), D("2.23")]
