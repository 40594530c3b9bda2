"""Correcting an issued bill (R-501 fee complaints, R-902 authority; docs/billing.md).

A correction recomputes the bill with the corrected area and an adjustment line; the change
in the total needs a person whose position may move that much money (the authority
matrix kept with the tariff schedule). Within the requester's authority it is applied at
once; beyond it, it waits for someone with enough. Applying supersedes the bill: the old
charge is withdrawn on the ledger and the new bill charged, nothing edited."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers.models import Premises
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.kernel.bulk import insert_rows
from utilitydesk.org.selectors import positions_of
from utilitydesk.temperature.models import CreditStatus, RefundCredit

from . import formula
from .models import (
    AuthorityKind,
    AuthorityLimit,
    Bill,
    BillCorrection,
    BillStatus,
    CorrectionStatus,
    EntryKind,
    LedgerEntry,
)
from .services import (
    Computed,
    RateTable,
    _facts,
    _store_lines_and_charges,
    as_formula_rate,
    bill_row,
    billable,
    compute,
    season,
)

MAX_ADJUSTMENT = Decimal("1000000")


def authority_of(
    actor: Actor, schedule_id: int, kind: str = AuthorityKind.BILL_CORRECTION
) -> Decimal | None:
    """The largest amount the actor's positions may approve (None: no limit; 0: none)."""
    if actor.is_superuser:
        return None
    positions = {a.position for a in positions_of(actor)}
    limits = list(
        AuthorityLimit.objects.filter(schedule_id=schedule_id, kind=kind, position__in=positions)
    )
    if not limits:
        return Decimal("0")
    if any(limit.max_amount is None for limit in limits):
        return None
    return max(limit.max_amount or Decimal("0") for limit in limits)


def within_authority(actor: Actor, schedule_id: int, amount: Decimal) -> bool:
    limit = authority_of(actor, schedule_id)
    return limit is None or abs(amount) <= limit


def _number(value: Any, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [message]}) from None
    if not number.is_finite():
        raise ValidationError({field: [message]})
    return number


def _recompute(bill: Bill, area_m2: Decimal | None, adjustment: Decimal, reason: str) -> Computed:
    premises = Premises.objects.select_related("customer").get(pk=bill.premises_id)
    period = season(bill.season)
    facts = _facts(premises.pk, premises.pk, period)
    # Refunds the old bill already applied stay on the corrected one.
    applied = [
        int(line.reference.split(":", 1)[1])
        for line in bill.lines.filter(reference__startswith="temperature:")
    ]
    for credit_id, fraction, record in RefundCredit.objects.filter(
        pk__in=applied, status=CreditStatus.APPLIED
    ).values_list("pk", "fee_fraction", "measurement__number"):
        facts.refunds.setdefault(premises.pk, []).append((credit_id, fraction, record))
    adjustments = (
        [formula.Credit(formula.LineKind.ADJUSTMENT, reason[:200], amount=adjustment)]
        if adjustment
        else []
    )
    result = compute(
        billable(premises), RateTable([bill.rate]), bill.schedule, period, facts, adjustments
    )
    if area_m2 is not None and area_m2 != result.area:
        lines = formula.bill_lines(
            as_formula_rate(bill.rate),
            area_m2,
            result.days,
            result.energy_gj,
            _credits_of(result.lines) + adjustments,
        )
        result = replace(result, area=area_m2, area_from_building=False, lines=lines)
    return result


def _credits_of(lines: list[formula.Line]) -> list[formula.Credit]:
    """The interruption and refund credits of computed lines, to recompute on a new area."""
    credits = []
    for line in lines:
        if line.kind == formula.LineKind.INTERRUPTION:
            credits.append(
                formula.Credit(line.kind, line.description, line.reference, days=int(line.quantity))
            )
        elif line.kind == formula.LineKind.TEMPERATURE_REFUND:
            credits.append(
                formula.Credit(line.kind, line.description, line.reference, fraction=line.quantity)
            )
    return credits


def request_correction(
    bill_number: str,
    area_m2: Any = None,
    adjustment: Any = "0",
    reason: str = "",
    case_number: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> BillCorrection:
    """Ask for a corrected bill; applied at once when the change is within the actor's
    authority, else left for someone with enough."""
    now = now or timezone.now()
    if not actor.has_perm("billing.correct_bill"):
        raise PermissionDenied(_("You are not allowed to correct bills."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the bill is corrected.")]})
    area = None
    if area_m2 not in (None, ""):
        area = _number(area_m2, "area_m2", _("Give the corrected area in m²."))
        if not Decimal("0.01") <= area <= Decimal("100000"):
            raise ValidationError({"area_m2": [_("Give the corrected area in m².")]})
        area = area.quantize(Decimal("0.01"))
    amount = _number(adjustment or "0", "adjustment", _("Give the adjustment in yuan."))
    if abs(amount) > MAX_ADJUSTMENT:
        raise ValidationError({"adjustment": [_("Give the adjustment in yuan.")]})
    amount = amount.quantize(Decimal("0.01"))
    if area is None and not amount:
        raise ValidationError({"area_m2": [_("Correct the area or give an adjustment.")]})
    with transaction.atomic():
        bill = (
            Bill.objects.select_for_update(of=("self",))
            .select_related("rate", "schedule")
            .filter(number=bill_number, customer__in=visible_customers(actor))
            .first()
        )
        if bill is None:
            raise ValidationError({"bill": [_("Unknown bill.")]})
        if bill.status != BillStatus.ISSUED:
            raise ValidationError({"bill": [_("Only the current bill can be corrected.")]})
        if BillCorrection.objects.filter(bill=bill, status=CorrectionStatus.PENDING).exists():
            raise ValidationError({"bill": [_("A correction of this bill awaits approval.")]})
        result = _recompute(bill, area, amount, reason)
        new_total = formula.total_of(result.lines)
        correction = BillCorrection.objects.create(
            bill=bill,
            case_number=case_number[:20],
            area_m2=area,
            adjustment=amount,
            reason=reason,
            old_total=bill.total,
            new_total=new_total,
            delta=new_total - bill.total,
            requested_by=actor,
            requested_at=now,
        )
        if within_authority(actor, bill.schedule_id, correction.delta):
            _apply(correction, bill, result, actor=actor, now=now)
    return correction


def decide_correction(
    correction_id: int,
    approve: bool,
    note: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> BillCorrection:
    now = now or timezone.now()
    with transaction.atomic():
        correction = BillCorrection.objects.select_for_update().filter(pk=correction_id).first()
        if correction is None:
            raise ValidationError({"correction": [_("Unknown correction.")]})
        if correction.status != CorrectionStatus.PENDING:
            raise ValidationError({"status": [_("This correction has been decided.")]})
        bill = (
            Bill.objects.select_for_update(of=("self",))
            .select_related("rate", "schedule")
            .get(pk=correction.bill_id)
        )
        if not within_authority(actor, bill.schedule_id, correction.delta):
            raise PermissionDenied(
                _("A change of %(amount)s yuan is beyond your authority.")
                % {"amount": correction.delta}
            )
        if correction.requested_by_id == actor.pk:
            raise PermissionDenied(_("Someone else approves your own correction."))
        if not approve:
            if not note.strip():
                raise ValidationError({"note": [_("Say why the correction is rejected.")]})
            correction.status = CorrectionStatus.REJECTED
            correction.decided_by, correction.decided_at = actor, now
            correction.decision_note = note.strip()
            correction.save()
            return correction
        result = _recompute(bill, correction.area_m2, correction.adjustment, correction.reason)
        correction.decision_note = note.strip()
        _apply(correction, bill, result, actor=actor, now=now)
    return correction


def _apply(
    correction: BillCorrection, bill: Bill, result: Computed, *, actor: Actor, now: datetime
) -> None:
    revision = Bill.objects.filter(premises_id=bill.premises_id, season=bill.season).count()
    bill.status = BillStatus.SUPERSEDED
    bill.save(update_fields=["status"])
    premises = Premises.objects.select_related("customer").get(pk=bill.premises_id)
    period = season(bill.season)
    row = bill_row(
        billable(premises),
        result,
        bill.schedule,
        period,
        bill.due_on,
        now,
        number=f"{bill.number.split('-')[0]}-{revision}",
        supersedes_id=bill.pk,
        reason=correction.reason,
        actor_id=actor.pk,
    )
    LedgerEntry.objects.create(
        customer_id=bill.customer_id,
        premises_id=bill.premises_id,
        kind=EntryKind.CHARGE_REVERSAL,
        amount=-bill.total,
        bill=bill,
        season=bill.season,
        reference=f"bill-reversal:{bill.number}",
        booked_at=now,
        note=correction.reason[:200],
        created_by=actor,
    )
    for credit in LedgerEntry.objects.filter(bill=bill, kind=EntryKind.CREDIT):
        LedgerEntry.objects.create(
            customer_id=credit.customer_id,
            premises_id=credit.premises_id,
            kind=EntryKind.CHARGE_REVERSAL,
            amount=-credit.amount,
            bill=bill,
            season=bill.season,
            reference=f"bill-credit-reversal:{bill.number}",
            booked_at=now,
            created_by=actor,
        )
    # The refunds stay applied (they move to the new bill): none are re-marked.
    ids = insert_rows(Bill, [row])
    _store_lines_and_charges([row], ids, [replace(result, refund_ids=[])], now)
    new = Bill.objects.get(pk=ids[0])
    correction.status = CorrectionStatus.APPLIED
    correction.new_total = new.total
    correction.delta = new.total - bill.total
    correction.new_bill = new
    correction.decided_by = actor
    correction.decided_at = now
    correction.save()
