"""Indoor temperature (R-701 – R-707): the instruments register, measurement records with
their rooms and readings, monitoring points (测温点) with their loggers' readings, and the
refund credits a failed home earns (docs/temperature.md)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InstrumentKind(models.TextChoices):
    CONTACT = "contact", _("Contact thermometer (probe)")
    LOGGER = "logger", _("Temperature data logger")
    INFRARED = "infrared", _("Infrared thermometer")
    LASER = "laser", _("Laser thermometer")


# infrared and laser thermometers measure a surface, not the air of the room.
REFUSED_INSTRUMENT_KINDS = {InstrumentKind.INFRARED, InstrumentKind.LASER}


class Instrument(models.Model):
    """A thermometer in the register: its accuracy and its calibration certificate."""

    serial_number = models.CharField(_("serial number"), max_length=40, unique=True)
    model_name = models.CharField(_("model"), max_length=60)
    kind = models.CharField(_("type"), max_length=10, choices=InstrumentKind.choices)
    accuracy = models.DecimalField(
        _("accuracy (± °C)"),
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    certificate_number = models.CharField(_("calibration certificate number"), max_length=60)
    certificate_expires = models.DateField(_("certificate valid until"))
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kept by"),
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("thermometer")
        verbose_name_plural = _("thermometers")
        ordering = ["serial_number"]

    def __str__(self) -> str:
        return f"{self.serial_number} {self.model_name}"


class Purpose(models.TextChoices):
    REQUEST = "request", _("Customer's request")
    REMEASURE = "remeasure", _("Re-measurement after adjustment")
    MONITORING = "monitoring", _("Monitoring point visit")


class RoomKind(models.TextChoices):
    BEDROOM = "bedroom", _("Bedroom")
    LIVING_ROOM = "living_room", _("Living room")
    STUDY = "study", _("Study")
    DINING_ROOM = "dining_room", _("Dining room")
    KITCHEN = "kitchen", _("Kitchen")
    BATHROOM = "bathroom", _("Bathroom")
    OTHER = "other", _("Other room")


class Measurement(models.Model):
    """One visit's measurement record (室温检测记录单). Valid only with the customer's
    drawn signature (R-303, R-703): the database refuses a valid record without one."""

    number = models.CharField(_("record number"), max_length=20, unique=True)
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("premises"),
    )
    # Denormalised from the premises for the reports.
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
        db_index=False,
    )
    substation = models.ForeignKey(
        "area.Substation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("substation"),
        db_index=False,
    )
    season = models.PositiveSmallIntegerField(_("heating season (its first year)"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    monitoring_point = models.ForeignKey(
        "temperature.MonitoringPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measurements",
        verbose_name=_("monitoring point"),
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    policy_version = models.ForeignKey(
        "sla.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service policy version"),
        db_index=False,
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="+", verbose_name=_("thermometer")
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technician"),
        db_index=False,
    )
    measured_at = models.DateTimeField(_("measured at"))
    outdoor_celsius = models.DecimalField(
        _("outdoor temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("-50")), MaxValueValidator(Decimal("45"))],
    )
    height_m = models.DecimalField(_("sensor height (m)"), max_digits=3, decimal_places=2)
    doors_windows_closed = models.BooleanField(_("doors and windows closed 30 minutes before"))
    no_heat_source = models.BooleanField(_("no heat source or sunlight on the sensor"))
    target_celsius = models.DecimalField(_("target (°C)"), max_digits=4, decimal_places=1)
    home_celsius = models.DecimalField(_("home (°C)"), max_digits=4, decimal_places=1)
    passed = models.BooleanField(_("passed"))
    valid = models.BooleanField(_("valid"), default=False)
    signature = models.ImageField(
        _("customer's signature"), upload_to="temperature/signatures/%Y/%m/", blank=True
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    # The measurement this one re-measures after adjustment (the failed one).
    remeasures = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remeasurements",
        verbose_name=_("re-measures"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("temperature measurement")
        verbose_name_plural = _("temperature measurements")
        ordering = ["-measured_at"]
        indexes = [
            models.Index(fields=["season", "station"], name="temp_meas_season_station"),
            # The pass rate counts valid records per station and verdict from the index alone.
            models.Index(
                fields=["season", "station", "passed"],
                condition=Q(valid=True),
                name="temp_meas_valid_pass",
            ),
            models.Index(fields=["premises", "measured_at"], name="temp_meas_premises_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid=False) | (~Q(signature="") & Q(signed_at__isnull=False)),
                name="temp_meas_valid_needs_signature",
            )
        ]
        permissions = [
            ("record_measurement", _("Can record a temperature measurement")),
            ("view_temperature_report", _("Can read the temperature reports")),
        ]

    def __str__(self) -> str:
        return self.number


class MeasuredRoom(models.Model):
    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="rooms")
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("room type"), max_length=12, choices=RoomKind.choices)
    name = models.CharField(_("room"), max_length=30, blank=True)
    area_m2 = models.DecimalField(
        _("area (m²)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    points_required = models.PositiveSmallIntegerField(_("points by the method"))
    celsius = models.DecimalField(_("room temperature (°C)"), max_digits=4, decimal_places=1)
    counted = models.BooleanField(_("counts for the home"))
    passed = models.BooleanField(_("passed"))

    class Meta:
        verbose_name = _("measured room")
        verbose_name_plural = _("measured rooms")
        ordering = ["measurement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["measurement", "position"], name="temp_room_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.celsius}"


class Reading(models.Model):
    room = models.ForeignKey(MeasuredRoom, on_delete=models.CASCADE, related_name="readings")
    point = models.PositiveSmallIntegerField(_("point"))
    celsius = models.DecimalField(_("reading (°C)"), max_digits=4, decimal_places=1)
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["room", "point"]
        constraints = [
            models.UniqueConstraint(fields=["room", "point"], name="temp_reading_point_unique")
        ]

    def __str__(self) -> str:
        return f"{self.point}: {self.celsius}"


class MonitoringPoint(models.Model):
    """A home a station keeps as a 测温点 (R-704), visited on the policy's schedule."""

    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("premises"),
    )
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("station"),
    )
    rooms = models.CharField(_("rooms measured"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    logger = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("data logger placed"),
    )
    last_visit_at = models.DateTimeField(_("last visited"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next visit due"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("monitoring point")
        verbose_name_plural = _("monitoring points")
        ordering = ["station", "next_due_at"]
        permissions = [("import_logger_readings", _("Can import data loggers' readings"))]
        constraints = [
            models.UniqueConstraint(
                fields=["premises"],
                condition=Q(active=True),
                name="temp_point_one_active_per_premises",
            )
        ]

    def __str__(self) -> str:
        return str(self.premises_id)


class LoggerReading(models.Model):
    """A reading a data logger took at a monitoring point, imported from its CSV. A series
    for watching the point; never a measurement record (it has no signature)."""

    point = models.ForeignKey(
        MonitoringPoint, on_delete=models.CASCADE, related_name="logger_readings"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("read at"))
    celsius = models.DecimalField(_("reading (°C)"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("logger reading")
        verbose_name_plural = _("logger readings")
        ordering = ["point", "read_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "read_at"], name="temp_logger_reading_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.read_at:%Y-%m-%d %H:%M} {self.celsius}"


class CreditStatus(models.TextChoices):
    OPEN = "open", _("Period running")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    APPLIED = "applied", _("Applied to a bill")


class RefundCredit(models.Model):
    """R-706: a failed home's share of the fee for the affected period, from the failed
    measurement until the next measurement of the home (a passing one ends it; a failing
    one starts its own band). Billing applies approved credits to the bill."""

    premises = models.ForeignKey(
        "customers.Premises", on_delete=models.PROTECT, related_name="+", verbose_name=_("premises")
    )
    measurement = models.OneToOneField(
        Measurement,
        on_delete=models.PROTECT,
        related_name="credit",
        verbose_name=_("failed measurement"),
    )
    ended_by = models.ForeignKey(
        Measurement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
        db_index=False,
    )
    season = models.PositiveSmallIntegerField(_("heating season"))
    celsius = models.DecimalField(_("measured (°C)"), max_digits=4, decimal_places=1)
    share = models.DecimalField(_("refund share of the fee"), max_digits=4, decimal_places=2)
    period_start = models.DateField(_("affected from"))
    period_end = models.DateField(_("affected until"), null=True, blank=True)
    days = models.PositiveIntegerField(_("affected days"), default=0)
    season_days = models.PositiveIntegerField(_("days in the season"))
    # share × days / season_days: the part of the season's fee credited.
    fee_fraction = models.DecimalField(
        _("fraction of the season's fee"), max_digits=8, decimal_places=6, default=Decimal("0")
    )
    heated_area = models.DecimalField(_("heated area (m²)"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=CreditStatus.choices, default=CreditStatus.OPEN
    )
    approver_position = models.CharField(_("approved by (position)"), max_length=20)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    policy_version = models.ForeignKey(
        "sla.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("temperature refund")
        verbose_name_plural = _("temperature refunds")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "season"], name="temp_credit_status_season")]
        permissions = [("decide_refund", _("Can approve or reject temperature refunds"))]

    def __str__(self) -> str:
        return f"{self.measurement_id}: {self.share}"
