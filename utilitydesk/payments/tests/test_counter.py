"""The counter: a payment with its receipt booked on the ledger once (a double submission is
one payment); a reversal and refunds are rows of their own, never an edited amount."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind, LedgerEntry
from utilitydesk.payments import services
from utilitydesk.payments.models import Channel, Payment, PaymentKind, PaymentStatus

from .conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_counter_payment_lowers_the_balance_and_has_a_receipt(clerk, customers):
    customer = customers["east"]
    payment = services.take_counter_payment(customer.pk, "1000.50", actor=clerk, now=NOW)
    assert payment.amount == D("1000.50") and payment.channel == Channel.COUNTER_CASH
    assert payment.receipt_no == f"SJ20261203{payment.pk:08d}"
    assert payment.taken_by == clerk and payment.premises.customer_id == customer.pk
    assert ledger.balance_of(customer.pk) == D("-1000.50")
    entry = LedgerEntry.objects.get(customer=customer)
    assert entry.kind == EntryKind.PAYMENT and entry.reference == payment.ledger_reference


def test_the_same_form_submitted_twice_is_one_payment(clerk, customers):
    first = services.take_counter_payment(
        customers["east"].pk, "200", key="k-1", actor=clerk, now=NOW
    )
    again = services.take_counter_payment(
        customers["east"].pk, "200", key="k-1", actor=clerk, now=NOW
    )
    assert first.pk == again.pk
    assert Payment.objects.count() == 1 and ledger.balance_of(customers["east"].pk) == D("-200.00")


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", "NaN", "Infinity", "10000000", 12.5])
def test_bad_amounts_are_refused(clerk, customers, amount):
    with pytest.raises(ValidationError) as refused:
        services.take_counter_payment(customers["east"].pk, amount, actor=clerk, now=NOW)
    assert "amount" in refused.value.message_dict
    assert not Payment.objects.exists()


def test_only_billing_clerks_take_payments(people, customers, clerk):
    with pytest.raises(PermissionDenied):
        services.take_counter_payment(customers["east"].pk, "10", actor=people["agent"], now=NOW)
    with pytest.raises(ValidationError):
        services.take_counter_payment(
            customers["east"].pk, "10", channel=Channel.ALIPAY, actor=clerk, now=NOW
        )


def test_a_reversal_is_its_own_row_and_gives_the_amount_back(clerk, customers):
    payment = services.take_counter_payment(customers["east"].pk, "300", actor=clerk, now=NOW)
    reversal = services.reverse_payment(payment.number, "收错户", actor=clerk, now=NOW)
    again = services.reverse_payment(payment.number, "收错户", actor=clerk, now=NOW)
    assert reversal.pk == again.pk and reversal.kind == PaymentKind.REVERSAL
    assert reversal.original == payment and reversal.amount == D("300.00")
    payment.refresh_from_db()
    assert payment.amount == D("300.00") and payment.status == PaymentStatus.REVERSED
    assert ledger.balance_of(customers["east"].pk) == D("0.00")
    with pytest.raises(ValidationError):
        services.refund(payment.number, "10", "退款", actor=clerk, now=NOW)


def test_refunds_never_exceed_what_was_paid(clerk, customers):
    payment = services.take_counter_payment(customers["east"].pk, "300", actor=clerk, now=NOW)
    services.refund(payment.number, "100", "多缴", key="r1", actor=clerk, now=NOW)
    services.refund(payment.number, "100", "多缴", key="r1", actor=clerk, now=NOW)  # repeat
    services.refund(payment.number, "150", "多缴", key="r2", actor=clerk, now=NOW)
    with pytest.raises(ValidationError) as refused:
        services.refund(payment.number, "50.01", "多缴", key="r3", actor=clerk, now=NOW)
    assert "50.00" in str(refused.value)
    # -300 + 100 + 150 = -50: the customer keeps 50 in credit.
    assert ledger.balance_of(customers["east"].pk) == D("-50.00")
    kinds = sorted(LedgerEntry.objects.values_list("kind", "amount"))
    assert kinds == [
        (EntryKind.PAYMENT, D("-300.00")),
        (EntryKind.REFUND, D("100.00")),
        (EntryKind.REFUND, D("150.00")),
    ]
    with pytest.raises(ValidationError):
        services.reverse_payment(payment.number, "x", actor=clerk, now=NOW)
