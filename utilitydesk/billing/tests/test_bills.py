"""Season bills generated for the premises of a small company, each checked against the
figure computed by hand (docs/billing.md): by area, a reduced group, a partial season, heat
stopped, two-part metered (under and over the cap), an interruption of 50 hours and an
approved temperature refund."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories import is_postgres, make_customer
from utilitydesk.billing import ledger, services
from utilitydesk.billing.models import (
    Bill,
    BillRun,
    EntryKind,
    HeatStop,
    LedgerEntry,
    MeterReading,
)
from utilitydesk.customers.models import FeeGroup, Premises
from utilitydesk.outages import interruptions
from utilitydesk.outages.tests.conftest import NOW, burst
from utilitydesk.temperature.models import CreditStatus, RefundCredit

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2026  # 2026-11-15 … 2027-03-20: 126 days


def premises_of(customer):
    return Premises.objects.get(customer=customer)


def run():
    started = services.start_run(YEAR, actor=None, now=NOW)
    return services.generate_bills(started.pk, now=NOW)


def total(customer):
    return Bill.objects.get(premises=premises_of(customer), season=YEAR).total


def test_hand_computed_bills(people, customers, area, org):
    plain = customers["east"]  # 88.50 m² resident: 88.50 × 25.20 = 2,230.20
    poor = make_customer(area["east"], "103", name="低保户", fee_group=FeeGroup.SUBSISTENCE)
    # 88.50 × 12.60 = 1,115.10
    late = make_customer(area["east"], "104", name="新住户")
    Premises.objects.filter(customer=late).update(billed_from=date(2027, 1, 18))
    # 2027-01-18 … 03-20 = 62 days: 2,230.20 × 62 / 126 = 1,097.40
    stopped = make_customer(area["east"], "105", name="报停户")
    HeatStop.objects.create(
        premises=premises_of(stopped), season=YEAR, stopped_on=date(2026, 11, 15)
    )
    # 30 % of 2,230.20 = 669.06
    metered = make_customer(area["east"], "106", name="计量户")
    Premises.objects.filter(customer=metered).update(metered=True, heated_area=D("100"))
    for day, gj in [(date(2026, 11, 15), D("1000")), (date(2027, 3, 20), D("1020"))]:
        MeterReading.objects.create(premises=premises_of(metered), read_on=day, total_gj=gj)
    # base 100 × 10.08 = 1,008.00 + 20 GJ × 48.00 = 960.00 → 1,968.00 (cap 2,520.00)
    heavy = make_customer(area["east"], "107", name="大用户")
    Premises.objects.filter(customer=heavy).update(metered=True, heated_area=D("100"))
    for day, gj in [(date(2026, 11, 15), D("0")), (date(2027, 3, 1), D("40"))]:
        MeterReading.objects.create(premises=premises_of(heavy), read_on=day, total_gj=gj)
    # 1,008.00 + 1,920.00 = 2,928.00, capped at 2,520.00
    unknown = make_customer(area["east"], "108", name="面积不详")
    Premises.objects.filter(customer=unknown).update(heated_area=D("0"), building_area=D("120"))
    # 75 % of 120 = 90 m² × 25.20 = 2,268.00

    run()
    assert total(plain) == D("2230.20")
    assert total(poor) == D("1115.10")
    assert total(late) == D("1097.40")
    assert total(stopped) == D("669.06")
    assert total(metered) == D("1968.00")
    assert total(heavy) == D("2520.00")
    assert total(unknown) == D("2268.00")
    bill = Bill.objects.get(premises=premises_of(unknown))
    assert bill.area_m2 == D("90.00") and bill.area_from_building
    # Each bill's lines sum to its total, and each is charged once on the ledger.
    for bill in Bill.objects.all():
        assert sum(line.amount for line in bill.lines.all()) == bill.total
        assert LedgerEntry.objects.get(bill=bill, kind=EntryKind.CHARGE).amount == bill.total
    assert ledger.balance_of(plain.pk) == D("2230.20")


def test_interruption_and_temperature_refund_come_off_the_bill(net, people, customers):
    interruption = burst(net, now=NOW)
    interruptions.announce(interruption.pk, actor=net["dispatcher"], now=NOW)
    interruptions.restore(
        interruption.pk, note="修复", actor=net["dispatcher"], now=NOW + timedelta(hours=50)
    )
    # 50 h → 3 days: 2,230.20 × 3 / 126 = 53.10
    from utilitydesk.temperature.models import Instrument, Measurement

    premises = premises_of(customers["east"])
    instrument = Instrument.objects.create(
        serial_number="T1",
        model_name="m",
        kind="contact",
        accuracy=D("0.2"),
        certificate_number="C1",
        certificate_expires=date(2027, 12, 31),
    )
    measurement = Measurement.objects.create(
        number="CW1",
        premises=premises,
        season=YEAR,
        purpose="request",
        instrument=instrument,
        technician=people["tech"],
        measured_at=NOW,
        outdoor_celsius=D("-5"),
        height_m=D("1.2"),
        doors_windows_closed=True,
        no_heat_source=True,
        target_celsius=D("18"),
        home_celsius=D("16.8"),
        passed=False,
        valid=False,
        created_by=people["tech"],
    )
    credit = RefundCredit.objects.create(
        premises=premises,
        measurement=measurement,
        season=YEAR,
        celsius=D("16.8"),
        share=D("0.20"),
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 5),
        days=4,
        season_days=126,
        fee_fraction=D("0.006349"),
        heated_area=D("88.50"),
        status=CreditStatus.APPROVED,
        approver_position="service_office",
    )
    # 0.006349 × 2,230.20 = 14.16
    started = services.start_run(YEAR, actor=None, now=NOW + timedelta(days=5))
    services.generate_bills(started.pk, actor=None, now=NOW + timedelta(days=5))
    bill = Bill.objects.get(premises=premises)
    lines = {line.kind: line.amount for line in bill.lines.all()}
    assert lines["interruption"] == D("-53.10")
    assert lines["temperature_refund"] == D("-14.16")
    assert bill.total == D("2162.94")
    credit.refresh_from_db()
    assert credit.status == CreditStatus.APPLIED


def test_a_second_run_bills_nobody_twice(customers):
    first = run()
    assert first.bills_issued == 2 and first.state == BillRun.State.DONE
    again = run()
    assert again.bills_issued == 0 and again.total_premises == 0
    assert Bill.objects.count() == 2 and LedgerEntry.objects.count() == 2


@pytest.mark.skipif(not is_postgres(), reason="the set-wise path runs on PostgreSQL")
def test_the_set_wise_bills_equal_the_formula(people, customers, area):
    """On PostgreSQL plain premises are billed by SQL: each bill, line and charge must be
    exactly what the Python formula gives."""
    kinds = [
        ("resident", FeeGroup.STANDARD, D("88.50")),
        ("resident", FeeGroup.LOW_INCOME, D("63.37")),
        ("non_resident", FeeGroup.STANDARD, D("120.05")),
        ("commercial", FeeGroup.STANDARD, D("0.33")),
        ("resident", FeeGroup.OTHER_REDUCED, D("101.11")),
    ]
    made = []
    for index, (customer_type, group, area_m2) in enumerate(kinds):
        customer = make_customer(
            area["west"],
            f"7{index}",
            name=f"户{index}",
            customer_type=customer_type,
            fee_group=group,
        )
        Premises.objects.filter(customer=customer).update(heated_area=area_m2)
        made.append(premises_of(customer))
    run()
    schedule = services.current_schedule()
    table = services.RateTable(list(schedule.rates.all()))
    period = services.season(YEAR)
    for premises in made:
        bill = Bill.objects.get(premises=premises, season=YEAR)
        premises = Premises.objects.select_related("customer").get(pk=premises.pk)
        expected = services.compute(
            services.billable(premises), table, schedule, period, services.Facts()
        )
        assert bill.total == sum(line.amount for line in expected.lines)
        stored = [
            (line.kind, line.description, line.quantity, line.unit, line.unit_price, line.amount)
            for line in bill.lines.all()
        ]
        assert stored == [
            (
                line.kind.value,
                line.description,
                line.quantity,
                line.unit,
                line.unit_price,
                line.amount,
            )
            for line in expected.lines
        ]
        assert bill.rate == expected.rate and bill.billed_days == period.days
        assert LedgerEntry.objects.get(bill=bill).reference == f"bill:{bill.number}"
