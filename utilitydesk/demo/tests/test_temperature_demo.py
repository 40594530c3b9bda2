"""The demo's indoor temperature work: the register with its refused instruments, records
that passed and failed, monitoring points, one refund waiting for the office."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from utilitydesk.temperature.models import (
    CreditStatus,
    Instrument,
    InstrumentKind,
    Measurement,
    MonitoringPoint,
    Purpose,
    RefundCredit,
)
from utilitydesk.temperature.services import instrument_problem, policy_for

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_season_story_and_a_second_load_adds_nothing():
    call_command("load_demo", "--customers", "300", verbosity=0)
    policy = policy_for(None)
    today = timezone.localdate()
    refused = {
        i.serial_number for i in Instrument.objects.all() if instrument_problem(i, today, policy)
    }
    assert {"HW-E01", "WD-E09"} <= refused and "WD-E01" not in refused
    assert Instrument.objects.filter(kind=InstrumentKind.INFRARED).exists()
    records = Measurement.objects.all()
    assert records.count() == 5 and all(m.valid and m.signature for m in records)
    assert records.filter(passed=True).count() == 3 and records.filter(passed=False).count() == 2
    assert records.filter(purpose=Purpose.REMEASURE, passed=True).count() == 1
    assert records.filter(purpose=Purpose.MONITORING).count() == 1
    assert MonitoringPoint.objects.filter(active=True).count() == 2
    assert MonitoringPoint.objects.filter(logger__serial_number="LOG-E01").count() == 1
    pending = RefundCredit.objects.get(status=CreditStatus.PENDING)
    assert pending.days == 2 and pending.approver_position == "service_office"
    assert RefundCredit.objects.filter(status=CreditStatus.OPEN).count() == 1

    counts = (Instrument.objects.count(), Measurement.objects.count())
    call_command("load_demo", "--customers", "300", verbosity=0)
    assert (Instrument.objects.count(), Measurement.objects.count()) == counts
