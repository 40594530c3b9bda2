"""Heating fees (R-802 – R-807; docs/billing.md): tariff schedules as versioned policy,
season bills with their lines, meter readings, heat stops, payments and the ledger every
amount goes through (an amount is never edited: a correction is a new entry)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.customers.models import CustomerType, FeeGroup

from .formula import LineKind as FormulaLineKind
from .formula import Method as FormulaMethod


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class TariffSchedule(models.Model):
    """A version of the published tariffs (R-802). Drafts are edited; a published schedule
    never changes, and a bill keeps the schedule and the rate it was computed with."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    usable_share = models.DecimalField(
        _("share of the building area billed where the usable area is unknown"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
    )
    due_month_day = models.CharField(
        _("bills due on (MM-DD, in the season's first year)"), max_length=5, default="11-15"
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder this many days before the due date"), default=15
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tariff schedule")
        verbose_name_plural = _("tariff schedules")
        ordering = ["-number"]
        permissions = [("publish_tariffs", _("Can publish tariffs"))]

    def __str__(self) -> str:
        return f"v{self.number} ({self.get_status_display()})"


class Method(models.TextChoices):
    AREA = FormulaMethod.AREA.value, _("By heated area")
    TWO_PART = FormulaMethod.TWO_PART.value, _("Two-part (base + metered energy)")


class Rounding(models.TextChoices):
    FEN = "0.01", _("to the fen (0.01)")
    JIAO = "0.1", _("to the jiao (0.1)")
    YUAN = "1", _("to the yuan")


class TariffRate(models.Model):
    """The price for one customer type (and reduced group) in a schedule (R-806). A metered
    premises is billed by its type's two-part rate where there is one, else by area."""

    schedule = models.ForeignKey(TariffSchedule, on_delete=models.CASCADE, related_name="rates")
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices
    )
    fee_group = models.CharField(
        _("tariff group"), max_length=16, choices=FeeGroup.choices, blank=True, default=""
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    price_per_m2 = models.DecimalField(
        _("area price (per m² per season)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    base_per_m2 = models.DecimalField(
        _("base price (per m² per season, two-part)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    energy_per_gj = models.DecimalField(
        _("energy price (per GJ, two-part)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    cap_at_area = models.BooleanField(_("two-part capped at the area-based amount"), default=True)
    stop_heat_share = models.DecimalField(
        _("share charged while heat is stopped"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    # Late fees are off by default: many cities forbid them for households.
    late_fee_permille = models.DecimalField(
        _("late fee per day (‰)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3"))],
    )
    rounding = models.CharField(
        _("rounding of each line"), max_length=4, choices=Rounding.choices, default=Rounding.FEN
    )

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["schedule", "customer_type", "fee_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "customer_type", "fee_group", "method"],
                name="billing_rate_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_type}/{self.fee_group or '-'} {self.method}"


class BillStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUPERSEDED = "superseded", _("Superseded by a corrected bill")
    CANCELLED = "cancelled", _("Cancelled")


class LineKind(models.TextChoices):
    AREA_FEE = FormulaLineKind.AREA_FEE.value, _("Heating fee by area")
    BASE_FEE = FormulaLineKind.BASE_FEE.value, _("Base fee")
    ENERGY_FEE = FormulaLineKind.ENERGY_FEE.value, _("Energy fee")
    CAP = FormulaLineKind.CAP.value, _("Capped at the area-based amount")
    STOP_HEAT = FormulaLineKind.STOP_HEAT.value, _("Share charged while heat is stopped")
    INTERRUPTION = FormulaLineKind.INTERRUPTION.value, _("Reduction for a supply interruption")
    TEMPERATURE_REFUND = FormulaLineKind.TEMPERATURE_REFUND.value, _("Indoor temperature refund")
    ADJUSTMENT = FormulaLineKind.ADJUSTMENT.value, _("Correction")
    FLOOR = FormulaLineKind.FLOOR.value, _("Credits beyond the charges, kept on the account")


class BillRun(models.Model):
    """One run of season billing: its progress for the page, its result."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    season = models.PositiveSmallIntegerField(_("heating season"))
    schedule = models.ForeignKey(TariffSchedule, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    total_premises = models.PositiveIntegerField(_("premises"), default=0)
    done_premises = models.PositiveIntegerField(_("done"), default=0)
    bills_issued = models.PositiveIntegerField(_("bills issued"), default=0)
    skipped = models.JSONField(_("skipped"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.season} {self.state}"


class Bill(models.Model):
    """A premises' bill for a season. Issued bills are never edited: a correction issues a
    new bill that supersedes this one (R-501, R-902)."""

    number = models.CharField(_("bill number"), max_length=24, unique=True)
    premises = models.ForeignKey(
        "customers.Premises", on_delete=models.PROTECT, related_name="+", verbose_name=_("premises")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
        db_index=False,
    )
    season = models.PositiveSmallIntegerField(_("heating season"))
    schedule = models.ForeignKey(
        TariffSchedule, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    rate = models.ForeignKey(
        TariffRate,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tariff"),
        db_index=False,
    )
    area_m2 = models.DecimalField(_("area billed (m²)"), max_digits=10, decimal_places=2)
    area_from_building = models.BooleanField(
        _("area from the building area (usable area unknown)"), default=False
    )
    season_days = models.PositiveSmallIntegerField(_("days in the season"))
    billed_days = models.PositiveSmallIntegerField(_("days billed"))
    stopped_days = models.PositiveSmallIntegerField(_("days with heat stopped"), default=0)
    energy_gj = models.DecimalField(
        _("metered energy (GJ)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=12, choices=BillStatus.choices, default=BillStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued at"))
    due_on = models.DateField(_("due on"))
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrects"),
    )
    reason = models.TextField(_("reason for the correction"), blank=True)
    run = models.ForeignKey(
        BillRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-season", "number"]
        indexes = [models.Index(fields=["customer", "season"], name="billing_bill_customer")]
        constraints = [
            models.UniqueConstraint(
                fields=["premises", "season"],
                condition=Q(status="issued"),
                name="billing_one_issued_bill_per_season",
            )
        ]
        permissions = [
            ("generate_bills", _("Can generate season bills")),
            ("correct_bill", _("Can correct a bill")),
        ]

    def __str__(self) -> str:
        return self.number


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("line"), max_length=20, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "position"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class MeterReading(models.Model):
    """A heat meter's cumulative reading (imported): a two-part bill's energy is the
    difference across the season."""

    premises = models.ForeignKey(
        "customers.Premises", on_delete=models.CASCADE, related_name="+", verbose_name=_("premises")
    )
    read_on = models.DateField(_("read on"))
    total_gj = models.DecimalField(_("meter total (GJ)"), max_digits=12, decimal_places=2)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["premises", "read_on"]
        constraints = [
            models.UniqueConstraint(fields=["premises", "read_on"], name="billing_meter_day")
        ]

    def __str__(self) -> str:
        return f"{self.read_on} {self.total_gj}"


class HeatStop(models.Model):
    """Heat stopped at a premises on application (报停) from a day, until resumed (复热)."""

    premises = models.ForeignKey(
        "customers.Premises", on_delete=models.PROTECT, related_name="+", verbose_name=_("premises")
    )
    season = models.PositiveSmallIntegerField(_("heating season"))
    stopped_on = models.DateField(_("stopped from"))
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("heat stop")
        verbose_name_plural = _("heat stops")
        ordering = ["premises", "stopped_on"]
        indexes = [models.Index(fields=["season", "premises"], name="billing_stop_season")]

    def __str__(self) -> str:
        return f"{self.premises_id} {self.stopped_on}"


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("Bill")
    CHARGE_REVERSAL = "charge_reversal", _("Bill withdrawn by a correction")
    PAYMENT = "payment", _("Payment")
    PAYMENT_REVERSAL = "payment_reversal", _("Payment reversed")
    REFUND = "refund", _("Refund paid out")
    CREDIT = "credit", _("Credit kept on the account")
    LATE_FEE = "late_fee", _("Late fee")


class LedgerEntry(models.Model):
    """Every amount an account owes or pays, signed: positive is owed by the customer,
    negative paid or credited. The balance is their sum. ``reference`` makes each entry
    happen once (a bill, a payment's channel and transaction id)."""

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
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    season = models.PositiveSmallIntegerField(_("heating season"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    booked_at = models.DateTimeField(_("booked at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["customer", "booked_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class AuthorityKind(models.TextChoices):
    """R-902's kinds of authority that move money."""

    BILL_CORRECTION = "bill_correction", _("Bill correction")
    FEE_WAIVER = "fee_waiver", _("Fee waiver")
    COMPENSATION = "compensation", _("Fee compensation")


class AuthorityLimit(models.Model):
    """The authorisation matrix (R-902) for money: up to which amount a position may act
    on its own. Kept with the tariff schedule it was published with."""

    schedule = models.ForeignKey(TariffSchedule, on_delete=models.CASCADE, related_name="authority")
    kind = models.CharField(_("kind"), max_length=20, choices=AuthorityKind.choices)
    position = models.CharField(_("position"), max_length=20)
    # None: no upper limit.
    max_amount = models.DecimalField(
        _("up to (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")
        ordering = ["schedule", "kind", "max_amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "kind", "position"], name="billing_authority_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.position} ≤ {self.max_amount}"


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class BillCorrection(models.Model):
    """A correction of an issued bill (a fee complaint: "the area is 10 m² too large"): the
    corrected figures, the change in the total, and who approved it within their authority.
    Applying it supersedes the bill with a new one; this record is the authorisation ledger
    of R-902 for bill corrections."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="corrections")
    case_number = models.CharField(_("case"), max_length=20, blank=True)
    area_m2 = models.DecimalField(
        _("corrected area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    adjustment = models.DecimalField(
        _("adjustment (yuan, negative reduces)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
    )
    reason = models.TextField(_("reason"))
    old_total = models.DecimalField(_("total before"), max_digits=12, decimal_places=2)
    new_total = models.DecimalField(_("total after"), max_digits=12, decimal_places=2)
    delta = models.DecimalField(_("change"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    new_bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("bill correction")
        verbose_name_plural = _("bill corrections")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.delta}"
