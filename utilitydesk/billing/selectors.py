"""Reads of bills and balances (docs/billing.md, "Pages, notices and interfaces"): limited
to the customers the user may see (`customers.selectors.visible_customers`: station staff
see their station's) and to people who may read bills (`billing.view_bill`).

The overdue amount of an account is what it owes beyond its current bills that are not yet
due: ``max(0, balance − totals of issued bills not yet due)`` (payments settle the oldest
first, so what is still owed of a bill past its due day is overdue)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    DecimalField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.customers.selectors import visible_customers

from . import ledger
from .models import (
    Bill,
    BillCorrection,
    BillLine,
    BillRun,
    BillStatus,
    CorrectionStatus,
    LedgerEntry,
)

VIEW = "billing.view_bill"
GENERATE = "billing.generate_bills"
CORRECT = "billing.correct_bill"
IMPORT_READINGS = "billing.add_meterreading"
ZERO = Decimal("0.00")


def may_view_bills(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW))


def today() -> date:
    return timezone.localdate()


def visible_bills(user: AnyUser) -> QuerySet[Bill]:
    if not may_view_bills(user):
        return Bill.objects.none()
    return Bill.objects.filter(customer__in=visible_customers(user))


@dataclass(frozen=True)
class BillFilters:
    season: int | None = None
    station: int | None = None
    status: str = ""
    account: str = ""
    premises: int | None = None


def search_bills(user: AnyUser, filters: BillFilters) -> QuerySet[Bill]:
    queryset = visible_bills(user)
    if filters.season is not None:
        queryset = queryset.filter(season=filters.season)
    if filters.station is not None:
        queryset = queryset.filter(premises__station_id=filters.station)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.account:
        queryset = queryset.filter(customer__account_no=filters.account)
    if filters.premises is not None:
        queryset = queryset.filter(premises_id=filters.premises)
    return queryset.select_related("customer", "premises", "premises__station", "rate").order_by(
        "-season", "number"
    )


def with_lines(queryset: QuerySet[Bill]) -> QuerySet[Bill]:
    return queryset.prefetch_related(
        Prefetch("lines", queryset=BillLine.objects.order_by("position"))
    )


@dataclass
class BillDetail:
    bill: Bill
    earlier: list[Bill] = field(default_factory=list)  # the bills it corrects, newest first
    later: Bill | None = None  # the bill that corrected it
    corrections: list[BillCorrection] = field(default_factory=list)


def bill_detail(user: AnyUser, number: str) -> BillDetail | None:
    bill = (
        with_lines(visible_bills(user))
        .select_related("customer", "premises", "premises__station", "rate", "schedule")
        .filter(number=number)
        .first()
    )
    if bill is None:
        return None
    detail = BillDetail(bill=bill)
    # The chain of a season's bills is short (one bill per correction).
    chain = {
        b.pk: b
        for b in Bill.objects.filter(premises_id=bill.premises_id, season=bill.season).order_by(
            "pk"
        )
    }
    previous = chain.get(bill.supersedes_id or 0)
    while previous is not None:
        detail.earlier.append(previous)
        previous = chain.get(previous.supersedes_id or 0)
    detail.later = next((b for b in chain.values() if b.supersedes_id == bill.pk), None)
    detail.corrections = list(
        BillCorrection.objects.filter(bill_id__in=list(chain))
        .select_related("bill", "new_bill", "requested_by", "decided_by")
        .order_by("-requested_at")
    )
    return detail


def current_bill(premises_id: int) -> Bill | None:
    """The premises' issued bill of its latest billed season."""
    return (
        with_lines(Bill.objects.filter(premises_id=premises_id, status=BillStatus.ISSUED))
        .select_related("rate", "schedule")
        .order_by("-season")
        .first()
    )


def pending_corrections(bill_ids: list[int]) -> list[BillCorrection]:
    return list(
        BillCorrection.objects.filter(bill_id__in=bill_ids, status=CorrectionStatus.PENDING)
        .select_related("bill", "requested_by")
        .order_by("requested_at")
    )


# --- balances ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    customer_id: int
    balance: Decimal  # owed (positive) or in credit (negative)
    overdue: Decimal  # of what is owed, the part whose due day has passed
    has_entries: bool = True

    @property
    def owes(self) -> bool:
        return self.balance > 0

    @property
    def credit(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO


def _not_yet_due(customer_ids: list[int], on: date) -> dict[int, Decimal]:
    rows = (
        Bill.objects.filter(customer_id__in=customer_ids, status=BillStatus.ISSUED, due_on__gte=on)
        .values("customer_id")
        .annotate(s=Sum("total"))
        .values_list("customer_id", "s")
    )
    return {customer_id: total or ZERO for customer_id, total in rows}


def overdue_of(balance: Decimal, not_yet_due: Decimal) -> Decimal:
    return max(balance - not_yet_due, ZERO)


def balances_of(customer_ids: list[int], on: date | None = None) -> dict[int, Balance]:
    """Balance and overdue amount per customer (two grouped reads)."""
    on = on or today()
    owed = ledger.balances(customer_ids)
    pending = _not_yet_due(customer_ids, on)
    with_entries = set(
        LedgerEntry.objects.filter(customer_id__in=customer_ids)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    cent = Decimal("0.01")
    return {
        customer_id: Balance(
            customer_id,
            Decimal(owed[customer_id]).quantize(cent),
            overdue_of(owed[customer_id], pending.get(customer_id, ZERO)).quantize(cent),
            customer_id in with_entries,
        )
        for customer_id in customer_ids
    }


def balance_for(customer: Customer, on: date | None = None) -> Balance:
    return balances_of([customer.pk], on)[customer.pk]


def premises_balances(premises_ids: list[int], on: date | None = None) -> dict[int, Balance]:
    """The screen-pop's read: per premises, its customer's balance and overdue amount, in
    one query (two correlated sums over the indexed customer columns)."""
    on = on or today()
    money = DecimalField(max_digits=14, decimal_places=2)
    owed = (
        LedgerEntry.objects.filter(customer_id=OuterRef("customer_id"))
        .order_by()
        .values("customer_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    pending = (
        Bill.objects.filter(
            customer_id=OuterRef("customer_id"), status=BillStatus.ISSUED, due_on__gte=on
        )
        .order_by()
        .values("customer_id")
        .annotate(s=Sum("total"))
        .values("s")
    )
    rows = (
        Premises.objects.filter(pk__in=premises_ids)
        .annotate(
            owed=Subquery(owed, output_field=money),
            pending=Coalesce(
                Subquery(pending, output_field=money), Value(ZERO), output_field=money
            ),
        )
        .values_list("pk", "customer_id", "owed", "pending")
    )
    return {
        pk: Balance(
            customer_id,
            Decimal(owed_sum or ZERO).quantize(Decimal("0.01")),
            overdue_of(Decimal(owed_sum or ZERO), Decimal(pending_sum or ZERO)).quantize(
                Decimal("0.01")
            ),
            owed_sum is not None,
        )
        for pk, customer_id, owed_sum, pending_sum in rows
    }


def customer_bills(customer: Customer, limit: int = 10) -> list[Bill]:
    return list(
        Bill.objects.filter(customer=customer)
        .select_related("premises")
        .order_by("-season", "-pk")[:limit]
    )


# --- runs ------------------------------------------------------------------------------------


def recent_runs(limit: int = 10) -> list[BillRun]:
    return list(BillRun.objects.select_related("started_by").order_by("-started_at")[:limit])


def premises_labels(ids: list[int]) -> dict[int, str]:
    """Address and account of the premises a run skipped, for its report."""
    return {
        pk: f"{address} · {account}"
        for pk, address, account in Premises.objects.filter(pk__in=ids).values_list(
            "pk", "address_text", "customer__account_no"
        )
    }
