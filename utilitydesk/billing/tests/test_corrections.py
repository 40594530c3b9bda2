"""A fee complaint ("面积多算10平米") corrected: the bill is re-issued with the right area,
within the corrector's authority at once, beyond it only with a leader's approval (R-902);
the ledger withdraws the old charge and books the new one, nothing is edited."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import staff
from utilitydesk.billing import corrections, ledger, services
from utilitydesk.billing.models import (
    Bill,
    BillStatus,
    CorrectionStatus,
    EntryKind,
    LedgerEntry,
)
from utilitydesk.customers.models import Premises
from utilitydesk.org.models import Position
from utilitydesk.outages.tests.conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billed(people, customers, org):
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    return {
        "clerk": staff("billing", Position.BILLING_CLERK, org["centre"]),
        "head": staff("dept_head", Position.DEPARTMENT_HEAD, org["office"]),
        "bill": Bill.objects.get(premises=Premises.objects.get(customer=customers["east"])),
    }


def test_a_small_adjustment_is_applied_at_once(billed, customers):
    correction = corrections.request_correction(
        billed["bill"].number, adjustment="-20", reason="抄表误差", actor=billed["clerk"], now=NOW
    )
    assert correction.status == CorrectionStatus.APPLIED
    new = correction.new_bill
    assert new.total == D("2210.20") and new.supersedes == billed["bill"]
    assert Bill.objects.get(pk=billed["bill"].pk).status == BillStatus.SUPERSEDED
    assert ledger.balance_of(customers["east"].pk) == D("2210.20")
    kinds = list(
        LedgerEntry.objects.filter(customer=customers["east"]).values_list("kind", "amount")
    )
    assert (EntryKind.CHARGE_REVERSAL, D("-2230.20")) in kinds


def test_ten_square_metres_too_many_needs_a_leader(billed, customers, people):
    # 78.50 m² × 25.20 = 1,978.20: 252.00 less, beyond the clerk's 50 yuan.
    correction = corrections.request_correction(
        billed["bill"].number,
        area_m2="78.50",
        reason="面积多算10平米",
        actor=billed["clerk"],
        now=NOW,
    )
    assert correction.status == CorrectionStatus.PENDING and correction.delta == D("-252.00")
    assert Bill.objects.get(pk=billed["bill"].pk).status == BillStatus.ISSUED
    with pytest.raises(PermissionDenied):
        corrections.decide_correction(correction.pk, True, actor=billed["clerk"], now=NOW)
    with pytest.raises(PermissionDenied):
        corrections.decide_correction(correction.pk, True, actor=people["tech"], now=NOW)
    decided = corrections.decide_correction(correction.pk, True, actor=billed["head"], now=NOW)
    assert decided.status == CorrectionStatus.APPLIED
    assert decided.new_bill.total == D("1978.20") and decided.new_bill.area_m2 == D("78.50")
    assert ledger.balance_of(customers["east"].pk) == D("1978.20")
    assert sum(line.amount for line in decided.new_bill.lines.all()) == D("1978.20")


def test_refusals_say_why(billed):
    for kwargs, field in [
        ({"reason": ""}, "reason"),
        ({"reason": "x", "area_m2": "abc"}, "area_m2"),
        ({"reason": "x", "adjustment": "NaN"}, "adjustment"),
        ({"reason": "x"}, "area_m2"),
    ]:
        with pytest.raises(ValidationError) as error:
            corrections.request_correction(
                billed["bill"].number, actor=billed["clerk"], now=NOW, **kwargs
            )
        assert field in error.value.message_dict
