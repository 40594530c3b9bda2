"""Hypothesis: money stays Decimal to the fen through payments, reversals and refunds; the
balance is always what the rows say; every payment is applied exactly once however often
its form is submitted."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utilitydesk.billing import ledger
from utilitydesk.billing.models import LedgerEntry
from utilitydesk.payments import services
from utilitydesk.payments.models import Payment, PaymentKind

from .conftest import NOW

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            amounts,
            st.integers(min_value=1, max_value=3),
            st.sampled_from(["keep", "reverse", "refund"]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_balance_is_the_rows_and_each_payment_counts_once(clerk, customers, steps):
    customer = customers["east"]
    LedgerEntry.objects.filter(customer=customer).delete()
    Payment.objects.filter(customer=customer, kind__in=["reversal", "refund"]).delete()
    Payment.objects.filter(customer=customer).delete()
    expected = Decimal("0.00")
    for index, (amount, repeats, then) in enumerate(steps):
        for _ in range(repeats):
            payment = services.take_counter_payment(
                customer.pk, amount, key=f"form-{index}", actor=clerk, now=NOW
            )
        expected -= amount
        if then == "reverse":
            services.reverse_payment(payment.number, "错收", actor=clerk, now=NOW)
            expected += amount
        elif then == "refund":
            half = (amount / 2).quantize(Decimal("0.01"))
            if half > 0:
                services.refund(payment.number, half, "退", key="r", actor=clerk, now=NOW)
                expected += half
    balance = ledger.balance_of(customer.pk)
    assert isinstance(balance, Decimal) and balance == expected
    assert balance == balance.quantize(Decimal("0.01"))
    assert Payment.objects.filter(customer=customer, kind=PaymentKind.PAYMENT).count() == len(steps)
    rows = sum(p.signed_amount for p in Payment.objects.filter(customer=customer))
    assert rows == expected
