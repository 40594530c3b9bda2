"""Late fees (R-805): where the tariff sets a daily rate (‰; 0 by default — many cities
forbid late fees for households), each day after the due day an unpaid bill's remaining
principal is charged that share, posted once per bill and day (docs/billing.md)."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from .ledger import post_entry
from .models import Bill, BillStatus, EntryKind, LedgerEntry

THOUSAND = Decimal("1000")


def unpaid_principal(bill: Bill) -> Decimal:
    """What is left of the bill: the account's balance without late fees, at most the
    bill's total (older debts and credits count first)."""
    owed = (
        LedgerEntry.objects.filter(customer_id=bill.customer_id)
        .exclude(kind=EntryKind.LATE_FEE)
        .aggregate(s=Sum("amount"))["s"]
    )
    owed = Decimal(owed or 0).quantize(Decimal("0.01"))
    return max(Decimal("0.00"), min(owed, bill.total))


def post_late_fees(day: date, *, now: datetime | None = None) -> int:
    """Charge the day's late fee on every bill past its due day whose rate has one. A day
    the job did not run is not charged afterwards (in the customer's favour)."""
    now = now or timezone.now()
    posted = 0
    bills = Bill.objects.filter(
        status=BillStatus.ISSUED, due_on__lt=day, rate__late_fee_permille__gt=0
    ).select_related("rate")
    for bill in bills.iterator(chunk_size=2_000):
        principal = unpaid_principal(bill)
        fee = (principal * bill.rate.late_fee_permille / THOUSAND).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if fee <= 0:
            continue
        _entry, created = post_entry(
            bill.customer_id,
            EntryKind.LATE_FEE,
            fee,
            f"late-fee:{bill.number}:{day.isoformat()}",
            premises_id=bill.premises_id,
            bill=bill,
            note=f"{principal} × {bill.rate.late_fee_permille}‰",
            actor=None,
            now=now,
        )
        posted += int(created)
    return posted
