"""Payments (issue 15, item 3) and the three-way reconciliation (item 4; docs/billing.md).

A payment is a row that is never edited in its amount: a reversal or a refund is a row of
its own pointing at the payment it undoes, and each reaches the account through the ledger
(``billing.ledger.post_entry``) under a unique reference."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    COUNTER_CASH = "counter_cash", _("Counter, cash")
    COUNTER_CARD = "counter_card", _("Counter, bank card")
    BANK_WITHHOLDING = "bank_withholding", _("Bank withholding")
    BANK_COLLECTION = "bank_collection", _("Bank collection")
    ALIPAY = "alipay", _("Alipay")
    TERMINAL = "terminal", _("Self-service terminal")


COUNTER_CHANNELS = (Channel.COUNTER_CASH, Channel.COUNTER_CARD)


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Reversal")
    REFUND = "refund", _("Refund")


class PaymentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    REVERSED = "reversed", _("Reversed")
    # Reversal and refund rows themselves.
    BOOKED = "booked", _("Booked")


class Payment(models.Model):
    """Money received from a customer (kind payment), or a reversal / refund of one (their
    own rows, ``original`` the payment). ``amount`` is always positive; the kind says which
    way it moves the balance."""

    number = models.CharField(_("payment number"), max_length=24, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("original payment"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("premises"),
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    received_at = models.DateTimeField(_("received at"))
    # The channel's transaction id (bank, Alipay trade_no) or the counter form's key: the
    # same transaction is applied once.
    external_id = models.CharField(_("transaction id"), max_length=64, blank=True)
    receipt_no = models.CharField(_("receipt number"), max_length=24, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    bank_import = models.ForeignKey(
        "BankFileImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    ledger_reference = models.CharField(_("ledger reference"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["received_at"], name="payments_received"),
            models.Index(fields=["customer", "received_at"], name="payments_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(kind="payment") & ~Q(external_id=""),
                name="payments_once_per_transaction",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_amount_positive"),
        ]
        permissions = [
            ("take_payment", _("Can take counter payments")),
            ("reverse_payment", _("Can reverse and refund payments")),
            ("import_bank_file", _("Can import bank files")),
            ("reconcile", _("Can reconcile payments")),
            ("view_payment_statistics", _("Can view payment statistics")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def signed_amount(self) -> Decimal:
        """The amount as the ledger books it (a payment lowers the balance)."""
        return -self.amount if self.kind == PaymentKind.PAYMENT else self.amount


class OrderState(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")


class PaymentOrder(models.Model):
    """An online payment we asked a channel to collect: ``out_trade_no`` is ours, the
    channel's notification names it and must carry the same amount."""

    out_trade_no = models.CharField(_("order number"), max_length=64, unique=True)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.ALIPAY
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=10, choices=OrderState.choices, default=OrderState.CREATED
    )
    trade_no = models.CharField(_("channel's trade number"), max_length=64, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment order")
        verbose_name_plural = _("online payment orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.out_trade_no


class LayoutPurpose(models.TextChoices):
    WITHHOLDING = "withholding", _("Withholding results")
    COLLECTION = "collection", _("Collection results")
    STATEMENT = "statement", _("Bank statement")


class FileFormat(models.TextChoices):
    CSV = "csv", _("Delimited (CSV)")
    FIXED = "fixed", _("Fixed width")


class AmountUnit(models.TextChoices):
    YUAN = "yuan", _("Yuan (12.34)")
    FEN = "fen", _("Fen (1234)")


class BankFileLayout(models.Model):
    """How one bank writes one kind of file, as data (docs/billing.md, "Bank file layouts").

    ``columns`` maps each field to a column: a 0-based index for CSV, ``[start, width]``
    (0-based character offsets) for fixed width. Result files name ``transaction_id``,
    ``account_no``, ``amount``, ``date`` and optionally ``status`` (a row is a payment when
    its status is one of ``success_values``); statements name ``date``, ``amount``,
    ``reference`` and optionally ``description``."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    bank = models.CharField(_("bank"), max_length=60)
    purpose = models.CharField(_("file kind"), max_length=12, choices=LayoutPurpose.choices)
    file_format = models.CharField(_("format"), max_length=6, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=20, default="utf-8")
    delimiter = models.CharField(_("delimiter"), max_length=4, default=",", blank=True)
    header_rows = models.PositiveSmallIntegerField(_("header rows"), default=1)
    columns = models.JSONField(_("columns"), default=dict)
    date_format = models.CharField(_("date format"), max_length=20, default="%Y-%m-%d")
    amount_unit = models.CharField(
        _("amount unit"), max_length=4, choices=AmountUnit.choices, default=AmountUnit.YUAN
    )
    success_values = models.JSONField(_("status values meaning paid"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank file layout")
        verbose_name_plural = _("bank file layouts")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.bank}"

    @property
    def channel(self) -> str:
        if self.purpose == LayoutPurpose.COLLECTION:
            return Channel.BANK_COLLECTION
        return Channel.BANK_WITHHOLDING


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    REFUSED = "refused", _("Refused: bad rows")


class BankFileImport(models.Model):
    """One bank file read: its counts and every bad row with its number and reason."""

    layout = models.ForeignKey(
        BankFileLayout, on_delete=models.PROTECT, related_name="+", verbose_name=_("layout")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("checksum"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    imported_rows = models.PositiveIntegerField(_("imported"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("already imported"), default=0)
    unpaid_rows = models.PositiveIntegerField(_("not paid by the bank"), default=0)
    rejected_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    imported_amount = models.DecimalField(
        _("amount imported"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    errors = models.JSONField(_("bad rows"), default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("bank file import")
        verbose_name_plural = _("bank file imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name


class BankStatementLine(models.Model):
    """Money the bank says reached the company's account (the 'money' of 三方一致)."""

    bank = models.CharField(_("bank"), max_length=60)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("bank reference"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    bank_import = models.ForeignKey(
        BankFileImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["booked_on", "reference"]
        indexes = [models.Index(fields=["booked_on"], name="payments_statement_day")]
        constraints = [
            models.UniqueConstraint(fields=["bank", "reference"], name="payments_statement_once")
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.reference} {self.amount}"


class IssueKind(models.TextChoices):
    NO_LEDGER_ENTRY = "no_ledger", _("Receipt without its ledger entry")
    LEDGER_AMOUNT = "ledger_amount", _("Ledger amount differs from the receipt")
    LEDGER_WITHOUT_RECEIPT = "ledger_orphan", _("Ledger payment without a receipt")
    NO_MONEY = "no_money", _("Receipt without money on the bank statement")
    MONEY_WITHOUT_RECEIPT = "money_orphan", _("Money on the statement without a receipt")
    MONEY_AMOUNT = "money_amount", _("Statement amount differs from the receipt")
    TOTALS = "totals", _("Totals differ")


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class ReconciliationRun(models.Model):
    """One reconciliation of a day or a month: the three totals and the issues found."""

    day = models.DateField(_("day"), null=True, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)
    receipts_total = models.DecimalField(_("receipts"), max_digits=14, decimal_places=2)
    money_total = models.DecimalField(_("money"), max_digits=14, decimal_places=2)
    ledger_total = models.DecimalField(_("ledger"), max_digits=14, decimal_places=2)
    issues_found = models.PositiveIntegerField(_("mismatches"), default=0)
    run_at = models.DateTimeField(_("run at"))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return str(self.day or self.month)


class ReconciliationIssue(models.Model):
    """A mismatch between receipts, money and the ledger, for a clerk to resolve. Found
    again by a later run it stays one issue (``key``)."""

    day = models.DateField(_("day"), null=True, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IssueKind.choices)
    key = models.CharField(_("key"), max_length=140)
    description = models.CharField(_("description"), max_length=300)
    receipt_amount = models.DecimalField(
        _("receipts"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    money_amount = models.DecimalField(
        _("money"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    ledger_amount = models.DecimalField(
        _("ledger"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN
    )
    found_at = models.DateTimeField(_("found at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
        db_index=False,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("reconciliation issue")
        verbose_name_plural = _("reconciliation issues")
        ordering = ["status", "day", "month", "kind"]
        indexes = [models.Index(fields=["status", "day"], name="payments_issue_open")]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="payments_issue_once"),
        ]

    def __str__(self) -> str:
        return self.key
