"""The ledger every amount goes through (docs/billing.md): entries are only added, each
once (its ``reference``), never edited; a balance is a sum. Payments, refunds, reversals
and late fees are posted here by the apps that take them."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from utilitydesk.accounts.typing import Actor
from utilitydesk.kernel.bulk import insert_rows

from .models import Bill, BillStatus, EntryKind, LedgerEntry

ZERO = Decimal("0.00")

# Apps above billing react to new entries (arrears: a payment may settle an account and
# start restoring heat). Called inside the posting transaction with the new entry.
EntryReaction = Callable[[LedgerEntry], None]
_REACTIONS: list[EntryReaction] = []


def react_to_entries(reaction: EntryReaction) -> None:
    if reaction not in _REACTIONS:
        _REACTIONS.append(reaction)


def post_entry(
    customer_id: int,
    kind: EntryKind,
    amount: Decimal,
    reference: str,
    premises_id: int | None = None,
    bill: Bill | None = None,
    season: int | None = None,
    note: str = "",
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> tuple[LedgerEntry, bool]:
    """Add an entry unless one with this reference exists; returns (entry, created). Two
    posts of the same reference at once store one (the unique reference decides)."""
    now = now or timezone.now()
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError("ledger amounts are finite Decimals")
    existing = LedgerEntry.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    customer_id=customer_id,
                    premises_id=premises_id,
                    kind=kind,
                    amount=amount.quantize(Decimal("0.01")),
                    bill=bill,
                    season=season if season is not None else (bill.season if bill else None),
                    reference=reference,
                    booked_at=now,
                    note=note[:200],
                    created_by=actor,
                )
        except IntegrityError:
            return LedgerEntry.objects.get(reference=reference), False
        for reaction in _REACTIONS:
            reaction(entry)
    return entry, True


def balance_of(customer_id: int) -> Decimal:
    """What the customer owes (positive) or has in credit (negative)."""
    total = LedgerEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("amount"))["s"]
    # SQLite sums decimals as floats' text; the fen is what an account holds.
    return _fen(total)


def _fen(value: Decimal | None) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def balances(customer_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = list(customer_ids)
    rows = (
        LedgerEntry.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(s=Sum("amount"))
        .values_list("customer_id", "s")
    )
    found: dict[int, Decimal] = dict(rows)
    return {customer_id: _fen(found.get(customer_id)) for customer_id in ids}


def overdue_bills(on: date) -> QuerySet[Bill]:
    """Current bills whose due day has passed (whether paid is the balance's question)."""
    return Bill.objects.filter(status=BillStatus.ISSUED, due_on__lt=on)


def payments_total(customer_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(
        Q(kind=EntryKind.PAYMENT) | Q(kind=EntryKind.PAYMENT_REVERSAL), customer_id=customer_id
    ).aggregate(s=Sum("amount"))["s"]
    return -_fen(total)


# Reactions to a whole batch of new entries (a bank file of 200,000 payments): one call with
# every entry, inside the posting transaction. An app that reacts per entry and may see large
# batches registers a batch reaction too, so a file does not cost one query per line.
BatchReaction = Callable[[list[LedgerEntry]], None]
_BATCH_REACTIONS: list[BatchReaction] = []


def react_to_entry_batches(reaction: BatchReaction) -> None:
    if reaction not in _BATCH_REACTIONS:
        _BATCH_REACTIONS.append(reaction)


def post_new_entries(rows: list[dict[str, Any]]) -> int:
    """Set-wise ``post_entry`` for a large batch whose references the caller has checked are
    new, under a lock that keeps them so. ``rows`` are {attname: value} of ``LedgerEntry``;
    inserted by COPY on PostgreSQL. The batch reactions get every entry at once; the
    per-entry reactions then run for each (in the caller's transaction). A reference that
    exists after all fails the whole batch (the unique index). Returns the number posted."""
    for row in rows:
        amount = row["amount"]
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValueError("ledger amounts are finite Decimals")
        row["amount"] = amount.quantize(Decimal("0.01"))
    ids = insert_rows(LedgerEntry, rows)
    if _BATCH_REACTIONS or _REACTIONS:
        entries = [LedgerEntry(id=pk, **row) for pk, row in zip(ids, rows, strict=True)]
        for batch_reaction in _BATCH_REACTIONS:
            batch_reaction(entries)
        for entry in entries:
            for reaction in _REACTIONS:
                reaction(entry)
    return len(ids)
