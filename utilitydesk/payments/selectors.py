"""Reads of payments: the counter's customer (bills, balance, payments), bank imports,
reconciliation issues, and the month's billing statistics per station, district and customer
type (billed, paid, outstanding), limited to the customers the user may see."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.billing import ledger
from utilitydesk.billing.models import Bill, BillStatus, EntryKind, LedgerEntry
from utilitydesk.customers.models import Customer, CustomerType
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.org.selectors import station_scope

from .models import (
    BankFileImport,
    IssueStatus,
    Payment,
    ReconciliationIssue,
    ReconciliationRun,
)

ZERO = Decimal("0.00")
BILLED_KINDS = (EntryKind.CHARGE, EntryKind.CHARGE_REVERSAL, EntryKind.LATE_FEE, EntryKind.CREDIT)
PAID_KINDS = (EntryKind.PAYMENT, EntryKind.PAYMENT_REVERSAL, EntryKind.REFUND)
GROUPINGS = {
    "station": "premises__station__name",
    "district": "premises__building__community__district__name",
    "customer_type": "customer__customer_type",
}


def counter_customer(user: AnyUser, account_no: str) -> Customer | None:
    """The customer with this account number, if the user may see them."""
    account_no = (account_no or "").strip()
    if not account_no:
        return None
    return visible_customers(user).filter(account_no=account_no).first()


@dataclass
class Account:
    customer: Customer
    balance: Decimal
    bills: list[Bill]
    payments: list[Payment]


def account_of(customer: Customer) -> Account:
    bills = list(
        Bill.objects.filter(customer=customer, status=BillStatus.ISSUED)
        .select_related("premises")
        .order_by("-season", "number")
    )
    payments = list(
        Payment.objects.filter(customer=customer)
        .select_related("taken_by")
        .order_by("-received_at")[:20]
    )
    return Account(customer, ledger.balance_of(customer.pk), bills, payments)


def visible_payment(user: AnyUser, number: str) -> Payment | None:
    return (
        Payment.objects.filter(number=number, customer__in=visible_customers(user))
        .select_related("customer", "premises", "taken_by", "original")
        .first()
    )


def recent_imports(limit: int = 20) -> QuerySet[BankFileImport]:
    return BankFileImport.objects.select_related("layout", "imported_by").order_by("-imported_at")[
        :limit
    ]


def issues(
    status: str = IssueStatus.OPEN, day: date | None = None
) -> QuerySet[ReconciliationIssue]:
    queryset = ReconciliationIssue.objects.select_related("payment", "resolved_by")
    if status:
        queryset = queryset.filter(status=status)
    if day is not None:
        queryset = queryset.filter(Q(day=day) | Q(month=day.replace(day=1)))
    return queryset.order_by("status", "day", "month", "kind", "key")


def last_runs(limit: int = 10) -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-run_at")[:limit]


@dataclass
class StatRow:
    label: str
    billed: Decimal
    paid: Decimal
    outstanding: Decimal


def _label(grouping: str, value: object) -> str:
    if value in (None, ""):
        return _("(none)")
    if grouping == "customer_type" and value in CustomerType.values:
        return str(CustomerType(str(value)).label)
    return str(value)


def monthly_statistics(user: AnyUser, month: date, grouping: str = "station") -> list[StatRow]:
    """For the month: billed (bills and their corrections booked in it), paid (payments net
    of reversals and refunds booked in it) and outstanding (the balance at the month's
    end), per station, district or customer type of the entry's premises; one grouped query
    each."""
    if grouping not in GROUPINGS:
        raise ValueError(grouping)
    column = GROUPINGS[grouping]
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start = timezone.make_aware(datetime.combine(first, time(0, 0)))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time(0, 0)))
    entries = LedgerEntry.objects.all()
    scope = station_scope(user)
    if scope is not None:
        entries = entries.filter(premises__station_id__in=scope)
    rows = (
        entries.filter(booked_at__lt=end)
        .values(column)
        .annotate(
            billed=Sum("amount", filter=Q(kind__in=BILLED_KINDS, booked_at__gte=start)),
            paid=Sum("amount", filter=Q(kind__in=PAID_KINDS, booked_at__gte=start)),
            outstanding=Sum("amount"),
        )
        .order_by(column)
    )
    return [
        StatRow(
            _label(grouping, row[column]),
            row["billed"] or ZERO,
            -(row["paid"] or ZERO),
            row["outstanding"] or ZERO,
        )
        for row in rows
    ]
