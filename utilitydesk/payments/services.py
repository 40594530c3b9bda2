"""Writes of payments (docs/billing.md, "Payments, reconciliation"): counter payments with a
receipt, reversals and refunds as their own rows, online orders and the payments their
channel's notification confirms. Each reaches the account through the ledger once, under a
unique reference; the same request twice (a double click, a channel's retry) is one payment."""

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.kernel.bulk import IdBlock, reserve_ids

from .models import (
    COUNTER_CHANNELS,
    Channel,
    OrderState,
    Payment,
    PaymentKind,
    PaymentOrder,
    PaymentStatus,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000.00")


def _require(permission: str, *, actor: Actor) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You are not allowed to do this."))


def parse_amount(raw: object, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, as a Decimal (never a float)."""
    if isinstance(raw, float):
        raise ValidationError({field: [_("Enter the amount as text or a Decimal.")]})
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount in yuan, e.g. 2230.20.")]}) from None
    if not value.is_finite():
        raise ValidationError({field: [_("Enter an amount in yuan, e.g. 2230.20.")]})
    if value <= 0:
        raise ValidationError({field: [_("The amount must be more than zero.")]})
    if value > MAX_AMOUNT:
        raise ValidationError({field: [_("The amount is too large.")]})
    if value != value.quantize(CENT):
        raise ValidationError({field: [_("Enter an amount in yuan, e.g. 2230.20.")]})
    return value.quantize(CENT)


def payment_number(pk: int) -> str:
    return f"P{pk:010d}"


def receipt_number(pk: int, moment: datetime) -> str:
    return f"SJ{timezone.localtime(moment):%Y%m%d}{pk:08d}"


def new_ids(count: int) -> list[int]:
    """Primary keys for payments written set-wise: the sequence on PostgreSQL; elsewhere
    (SQLite, one writer at a time) counted on from the largest."""
    if connection.vendor == "postgresql":
        return reserve_ids(Payment, count)
    block = IdBlock(Payment)
    return [block.take() for _ in range(count)]


def default_premises_id(customer_id: int) -> int | None:
    """The premises a payment is booked against when none is named: the customer's first."""
    return (
        Premises.objects.filter(customer_id=customer_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _store(payment: Payment) -> Payment:
    """Saves a new payment with its number (from its id) in one transaction."""
    payment.pk = new_ids(1)[0]
    payment.number = payment_number(payment.pk)
    payment.save(force_insert=True)
    return payment


# --- counter payments ---------------------------------------------------------------------


def take_counter_payment(
    customer_id: int,
    amount: object,
    channel: str = Channel.COUNTER_CASH,
    premises_id: int | None = None,
    key: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Payment:
    """A payment taken at the counter, with its receipt number, booked on the ledger. ``key``
    (the form's one-time key) makes a repeated submission return the first payment."""
    now = now or timezone.now()
    _require("payments.take_payment", actor=actor)
    if channel not in COUNTER_CHANNELS:
        raise ValidationError({"channel": [_("Choose cash or bank card.")]})
    value = parse_amount(amount)
    key = (key or "").strip()[:64] or uuid.uuid4().hex
    existing = Payment.objects.filter(
        channel=channel, external_id=key, kind=PaymentKind.PAYMENT
    ).first()
    if existing is not None:
        return existing
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": [_("No such customer.")]})
    if premises_id is not None:
        if not Premises.objects.filter(pk=premises_id, customer_id=customer_id).exists():
            raise ValidationError({"premises": [_("The premises is not this customer's.")]})
    else:
        premises_id = default_premises_id(customer_id)
    try:
        with transaction.atomic():
            payment = _store(
                Payment(
                    kind=PaymentKind.PAYMENT,
                    customer_id=customer_id,
                    premises_id=premises_id,
                    channel=channel,
                    amount=value,
                    received_at=now,
                    external_id=key,
                    taken_by=actor,
                    ledger_reference=f"payment:{channel}:{key}",
                    created_at=now,
                )
            )
            payment.receipt_no = receipt_number(payment.pk, now)
            payment.save(update_fields=["receipt_no"])
            ledger.post_entry(
                customer_id,
                EntryKind.PAYMENT,
                -value,
                payment.ledger_reference,
                premises_id=premises_id,
                note=payment.number,
                actor=actor,
                now=now,
            )
    except IntegrityError:
        # The same key submitted twice at once: the unique index kept one.
        return Payment.objects.get(channel=channel, external_id=key, kind=PaymentKind.PAYMENT)
    return payment


# --- reversals and refunds ----------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    return reason[:200]


def refunded_total(payment: Payment) -> Decimal:
    total = Payment.objects.filter(original=payment, kind=PaymentKind.REFUND).aggregate(
        s=Sum("amount")
    )["s"]
    return total if total is not None else Decimal("0.00")


@transaction.atomic
def reverse_payment(
    number: str, reason: str, *, actor: Actor, now: datetime | None = None
) -> Payment:
    """Undoes a payment taken in error: a reversal row of the same amount and a ledger entry
    giving it back to the balance; the payment is marked reversed, its amount unchanged.
    Reversing it again returns the first reversal."""
    now = now or timezone.now()
    _require("payments.reverse_payment", actor=actor)
    reason = _reason(reason)
    original = (
        Payment.objects.select_for_update().filter(number=number, kind=PaymentKind.PAYMENT).first()
    )
    if original is None:
        raise ValidationError({"number": [_("No such payment.")]})
    done = Payment.objects.filter(original=original, kind=PaymentKind.REVERSAL).first()
    if done is not None:
        return done
    if refunded_total(original) > 0:
        raise ValidationError(
            {"number": [_("Part of this payment was refunded: refund the rest instead.")]}
        )
    reversal = _store(
        Payment(
            kind=PaymentKind.REVERSAL,
            original=original,
            customer_id=original.customer_id,
            premises_id=original.premises_id,
            channel=original.channel,
            amount=original.amount,
            received_at=now,
            taken_by=actor,
            status=PaymentStatus.BOOKED,
            reason=reason,
            ledger_reference=f"payment-reversal:{original.number}",
            created_at=now,
        )
    )
    ledger.post_entry(
        original.customer_id,
        EntryKind.PAYMENT_REVERSAL,
        original.amount,
        reversal.ledger_reference,
        premises_id=original.premises_id,
        note=f"{reversal.number} {reason}",
        actor=actor,
        now=now,
    )
    original.status = PaymentStatus.REVERSED
    original.save(update_fields=["status"])
    return reversal


@transaction.atomic
def refund(
    number: str,
    amount: object,
    reason: str,
    key: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Payment:
    """Pays money of a payment back to the customer (all or part, never more than is left):
    a refund row and a ledger entry of its own. ``key`` makes a repeat return the first."""
    now = now or timezone.now()
    _require("payments.reverse_payment", actor=actor)
    reason = _reason(reason)
    value = parse_amount(amount)
    original = (
        Payment.objects.select_for_update().filter(number=number, kind=PaymentKind.PAYMENT).first()
    )
    if original is None:
        raise ValidationError({"number": [_("No such payment.")]})
    key = (key or "").strip()[:40] or uuid.uuid4().hex
    reference = f"refund:{original.number}:{key}"
    done = Payment.objects.filter(ledger_reference=reference).first()
    if done is not None:
        return done
    if original.status == PaymentStatus.REVERSED:
        raise ValidationError({"number": [_("This payment was reversed.")]})
    left = original.amount - refunded_total(original)
    if value > left:
        raise ValidationError(
            {"amount": [_("At most %(left)s yuan of this payment is left.") % {"left": left}]}
        )
    row = _store(
        Payment(
            kind=PaymentKind.REFUND,
            original=original,
            customer_id=original.customer_id,
            premises_id=original.premises_id,
            channel=original.channel,
            amount=value,
            received_at=now,
            taken_by=actor,
            status=PaymentStatus.BOOKED,
            reason=reason,
            ledger_reference=reference,
            created_at=now,
        )
    )
    ledger.post_entry(
        original.customer_id,
        EntryKind.REFUND,
        value,
        reference,
        premises_id=original.premises_id,
        note=f"{row.number} {reason}",
        actor=actor,
        now=now,
    )
    return row


# --- online orders ------------------------------------------------------------------------


def create_online_order(
    customer_id: int,
    amount: object,
    channel: str = Channel.ALIPAY,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> PaymentOrder:
    """An order the customer pays online; its ``out_trade_no`` goes to the channel."""
    now = now or timezone.now()
    value = parse_amount(amount)
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("No such customer.")]})
    return PaymentOrder.objects.create(
        out_trade_no=f"UD{timezone.localtime(now):%Y%m%d%H%M%S}{uuid.uuid4().hex[:12]}",
        channel=channel,
        customer_id=customer_id,
        premises_id=default_premises_id(customer_id),
        amount=value,
        created_at=now,
    )


class OrderProblem(Exception):
    """A notification that cannot be applied (no such order, another amount)."""


@transaction.atomic
def apply_online_payment(
    channel: str,
    out_trade_no: str,
    trade_no: str,
    amount: Decimal,
    paid_at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> Payment:
    """The channel says the order was paid: one payment per ``trade_no``, however often and
    however concurrently it says so (the order row is locked; the unique index backs it)."""
    now = now or timezone.now()
    order = (
        PaymentOrder.objects.select_for_update()
        .filter(out_trade_no=out_trade_no, channel=channel)
        .first()
    )
    if order is None:
        raise OrderProblem("unknown out_trade_no")
    existing = Payment.objects.filter(
        channel=channel, external_id=trade_no, kind=PaymentKind.PAYMENT
    ).first()
    if existing is not None:
        return existing
    if order.payment_id is not None:
        raise OrderProblem("order already paid by another trade")
    if amount.quantize(CENT) != order.amount:
        raise OrderProblem("amount differs from the order")
    payment = _store(
        Payment(
            kind=PaymentKind.PAYMENT,
            customer_id=order.customer_id,
            premises_id=order.premises_id,
            channel=channel,
            amount=order.amount,
            received_at=paid_at or now,
            external_id=trade_no,
            ledger_reference=f"payment:{channel}:{trade_no}",
            created_at=now,
        )
    )
    ledger.post_entry(
        order.customer_id,
        EntryKind.PAYMENT,
        -order.amount,
        payment.ledger_reference,
        premises_id=order.premises_id,
        note=f"{payment.number} {out_trade_no}",
        actor=None,
        now=now,
    )
    order.state = OrderState.PAID
    order.trade_no = trade_no
    order.payment = payment
    order.paid_at = paid_at or now
    order.save(update_fields=["state", "trade_no", "payment", "paid_at"])
    return payment
