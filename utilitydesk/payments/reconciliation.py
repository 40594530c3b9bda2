"""三方一致 (R-804; docs/billing.md, "Reconciliation"): for a day or a month, the receipts
(payments taken, reversals and refunds), the money (bank statement lines) and the ledger
(payment entries) must agree. Every mismatch is stored as an issue for a clerk to resolve;
running again finds the same mismatch as the same issue, and an open issue no longer found
is closed with a note saying so.

- receipts ↔ ledger: each payment row has its entry (same reference, the signed amount);
  a payment entry of the day without a payment row is listed too;
- receipts ↔ money, line by line for the channels the bank or Alipay settles one by one
  (withholding, collection, Alipay: the statement line's reference is the transaction id);
- the counter's cash and card takings (and terminals) are paid in as the day's deposit:
  the statement lines of the day matched to no transaction must add up to the day's net
  counter takings, else one "totals differ" issue names both sums."""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.billing.models import EntryKind, LedgerEntry

from .models import (
    BankStatementLine,
    Channel,
    IssueKind,
    IssueStatus,
    Payment,
    PaymentKind,
    ReconciliationIssue,
    ReconciliationRun,
)

ZERO = Decimal("0.00")
PAYMENT_ENTRY_KINDS = (EntryKind.PAYMENT, EntryKind.PAYMENT_REVERSAL, EntryKind.REFUND)
SETTLED_ONE_BY_ONE = (Channel.BANK_WITHHOLDING, Channel.BANK_COLLECTION, Channel.ALIPAY)


@dataclass
class Found:
    kind: str
    key: str
    description: str
    receipt: Decimal | None = None
    money: Decimal | None = None
    ledger: Decimal | None = None
    payment_id: int | None = None


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first, time(0, 0)))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time(0, 0)))
    return start, end


def _require(actor: Actor | None) -> None:
    if actor is not None and not actor.has_perm("payments.reconcile"):
        raise PermissionDenied(_("You are not allowed to do this."))


def _signed(kind: str, amount: Decimal) -> Decimal:
    return -amount if kind == PaymentKind.PAYMENT else amount


def _day_mismatches(day: date) -> tuple[list[Found], Decimal, Decimal, Decimal]:
    start, end = _bounds(day, day)
    payments = list(
        Payment.objects.filter(received_at__gte=start, received_at__lt=end).values_list(
            "pk", "number", "kind", "channel", "amount", "external_id", "ledger_reference"
        )
    )
    refs = Payment.objects.filter(received_at__gte=start, received_at__lt=end).values(
        "ledger_reference"
    )
    booked = dict(LedgerEntry.objects.filter(reference__in=refs).values_list("reference", "amount"))
    orphans = list(
        LedgerEntry.objects.filter(
            kind__in=PAYMENT_ENTRY_KINDS, booked_at__gte=start, booked_at__lt=end
        )
        .filter(~Exists(Payment.objects.filter(ledger_reference=OuterRef("reference"))))
        .values_list("reference", "amount")
    )
    lines = list(
        BankStatementLine.objects.filter(booked_on=day).values_list("reference", "amount", "bank")
    )
    found: list[Found] = []
    receipts_total = ZERO
    ledger_total = sum((amount for _ref, amount in orphans), ZERO)
    counter_net = ZERO
    settled: dict[str, tuple[int, str, Decimal]] = {}
    for pk, number, kind, channel, amount, external_id, reference in payments:
        signed = _signed(kind, amount)
        receipts_total += -signed
        entry = booked.get(reference)
        if entry is None:
            found.append(
                Found(
                    IssueKind.NO_LEDGER_ENTRY,
                    f"{day}:{IssueKind.NO_LEDGER_ENTRY}:{number}",
                    _("Payment %(n)s has no ledger entry.") % {"n": number},
                    receipt=amount,
                    payment_id=pk,
                )
            )
        else:
            ledger_total += entry
            if entry != signed:
                found.append(
                    Found(
                        IssueKind.LEDGER_AMOUNT,
                        f"{day}:{IssueKind.LEDGER_AMOUNT}:{number}",
                        _("Payment %(n)s: the ledger books %(l)s.") % {"n": number, "l": entry},
                        receipt=amount,
                        ledger=entry,
                        payment_id=pk,
                    )
                )
        if channel in SETTLED_ONE_BY_ONE and kind == PaymentKind.PAYMENT:
            settled[external_id] = (pk, number, amount)
        elif channel not in SETTLED_ONE_BY_ONE:
            counter_net += -signed
    for reference, amount in orphans:
        found.append(
            Found(
                IssueKind.LEDGER_WITHOUT_RECEIPT,
                f"{day}:{IssueKind.LEDGER_WITHOUT_RECEIPT}:{reference}",
                _("Ledger entry %(r)s has no payment.") % {"r": reference},
                ledger=amount,
            )
        )
    money_total = ZERO
    unmatched = ZERO
    matched: set[str] = set()
    for reference, amount, _bank in lines:
        money_total += amount
        hit = settled.get(reference)
        if hit is None:
            unmatched += amount
            continue
        matched.add(reference)
        pk, number, paid = hit
        if paid != amount:
            found.append(
                Found(
                    IssueKind.MONEY_AMOUNT,
                    f"{day}:{IssueKind.MONEY_AMOUNT}:{number}",
                    _("Payment %(n)s: the bank statement shows %(m)s.")
                    % {"n": number, "m": amount},
                    receipt=paid,
                    money=amount,
                    payment_id=pk,
                )
            )
    for external_id, (pk, number, paid) in settled.items():
        if external_id not in matched:
            found.append(
                Found(
                    IssueKind.NO_MONEY,
                    f"{day}:{IssueKind.NO_MONEY}:{number}",
                    _("Payment %(n)s (transaction %(t)s) is not on the bank statement.")
                    % {"n": number, "t": external_id},
                    receipt=paid,
                    payment_id=pk,
                )
            )
    if unmatched != counter_net:
        found.append(
            Found(
                IssueKind.TOTALS,
                f"{day}:{IssueKind.TOTALS}:counter",
                _("Counter takings %(c)s, money on the statement matched to no transaction %(m)s.")
                % {"c": counter_net, "m": unmatched},
                receipt=counter_net,
                money=unmatched,
            )
        )
    return found, receipts_total, money_total, -ledger_total


def _store(
    found: list[Found], *, day: date | None, month: date | None, prefix: str, now: datetime
) -> None:
    """Adds new issues, keeps known ones, closes open ones of the period not found again."""
    keys = {f.key for f in found}
    known = set(
        ReconciliationIssue.objects.filter(key__startswith=prefix).values_list("key", flat=True)
    )
    ReconciliationIssue.objects.bulk_create(
        [
            ReconciliationIssue(
                day=day,
                month=month,
                kind=f.kind,
                key=f.key,
                description=f.description[:300],
                receipt_amount=f.receipt,
                money_amount=f.money,
                ledger_amount=f.ledger,
                payment_id=f.payment_id,
                found_at=now,
            )
            for f in found
            if f.key not in known
        ],
        batch_size=2_000,
    )
    gone = known - keys
    if gone:
        ReconciliationIssue.objects.filter(key__in=gone, status=IssueStatus.OPEN).update(
            status=IssueStatus.RESOLVED,
            resolved_at=now,
            note=_("No longer found by the reconciliation of %(t)s.")
            % {"t": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
        )


@transaction.atomic
def reconcile(day: date, *, actor: Actor | None, now: datetime | None = None) -> ReconciliationRun:
    """The day's three-way reconciliation; its issues stored, its totals returned."""
    now = now or timezone.now()
    _require(actor)
    found, receipts, money, booked = _day_mismatches(day)
    _store(found, day=day, month=None, prefix=f"{day}:", now=now)
    return ReconciliationRun.objects.create(
        day=day,
        receipts_total=receipts,
        money_total=money,
        ledger_total=booked,
        issues_found=len(found),
        run_at=now,
        run_by=actor,
    )


def month_start(raw: date) -> date:
    return raw.replace(day=1)


@transaction.atomic
def reconcile_month(
    month: date, *, actor: Actor | None, now: datetime | None = None
) -> ReconciliationRun:
    """Every day of the month (up to today) reconciled, then the month's three totals:
    receipts (net of reversals and refunds), money on the statements, ledger payments."""
    now = now or timezone.now()
    _require(actor)
    first = month_start(month)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    today = timezone.localdate(now)
    if first > today:
        raise ValidationError({"month": [_("This month has not begun.")]})
    day = first
    while day <= min(last, today):
        found, _r, _m, _l = _day_mismatches(day)
        _store(found, day=day, month=None, prefix=f"{day}:", now=now)
        day += timedelta(days=1)
    start, end = _bounds(first, last)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, amount in (
        Payment.objects.filter(received_at__gte=start, received_at__lt=end)
        .values("kind")
        .annotate(s=Sum("amount"))
        .values_list("kind", "s")
    ):
        totals[kind] += amount
    receipts = (
        totals[PaymentKind.PAYMENT] - totals[PaymentKind.REVERSAL] - totals[PaymentKind.REFUND]
    )
    money = (
        BankStatementLine.objects.filter(booked_on__gte=first, booked_on__lte=last).aggregate(
            s=Sum("amount")
        )["s"]
        or ZERO
    )
    booked = -(
        LedgerEntry.objects.filter(
            kind__in=PAYMENT_ENTRY_KINDS, booked_at__gte=start, booked_at__lt=end
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    label = first.strftime("%Y-%m")
    found = []
    if not receipts == money == booked:
        found.append(
            Found(
                IssueKind.TOTALS,
                f"{label}:{IssueKind.TOTALS}",
                _("%(m)s: receipts %(r)s, money %(b)s, ledger %(l)s.")
                % {"m": label, "r": receipts, "b": money, "l": booked},
                receipt=receipts,
                money=money,
                ledger=booked,
            )
        )
    _store(found, day=None, month=first, prefix=f"{label}:", now=now)
    return ReconciliationRun.objects.create(
        month=first,
        receipts_total=receipts,
        money_total=money,
        ledger_total=booked,
        issues_found=len(found),
        run_at=now,
        run_by=actor,
    )


@transaction.atomic
def resolve_issue(
    pk: int, note: str, *, actor: Actor, now: datetime | None = None
) -> ReconciliationIssue:
    """A clerk explains a mismatch (what was done about it) and closes it."""
    now = now or timezone.now()
    _require(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say how the mismatch was resolved.")]})
    issue = ReconciliationIssue.objects.select_for_update().filter(pk=pk).first()
    if issue is None:
        raise ValidationError({"issue": [_("No such issue.")]})
    if issue.status == IssueStatus.RESOLVED:
        raise ValidationError({"issue": [_("This issue is already resolved.")]})
    issue.status = IssueStatus.RESOLVED
    issue.resolved_by = actor
    issue.resolved_at = now
    issue.note = note[:2000]
    issue.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    return issue
