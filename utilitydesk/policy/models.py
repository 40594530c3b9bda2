from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .defaults import (
    DEFAULT_SELFSERVICE_REOPEN_DAYS,
    DEFAULT_WARNING_CAP_MINUTES,
    DEFAULT_WARNING_FLOOR_MINUTES,
    DEFAULT_WARNING_SHARE,
    SELFSERVICE_REOPEN_DAYS_MAX,
    default_assessment_deductions,
    default_assessment_weights,
    default_exchange_answer_days,
    default_kpi_targets,
    default_refund_bands,
)

LIMIT_NAMES = [
    ("first_response", _("First response")),
    ("on_site", _("Arrival on site")),
    ("resolution", _("Resolution")),
    ("callback", _("Callback")),
]
LIMIT_UNITS = [
    ("hours", _("clock hours")),
    ("natural_days", _("natural days")),
    ("working_days", _("working days")),
]


class CalendarYear(models.Model):
    """A year whose official holiday schedule is loaded (R-404)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=100)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a statutory holiday, or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class PolicyVersion(models.Model):
    """A version of the service policy. Drafts are edited; a published version never
    changes, and a case keeps the version it was created under."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    season_start = models.CharField(
        _("heating season starts (MM-DD)"), max_length=5, default="11-15"
    )
    season_end = models.CharField(_("heating season ends (MM-DD)"), max_length=5, default="03-20")
    # The owner is warned when a share of the limit is left (15 minutes before a one-hour
    # on-site limit), at least the floor and at most the cap before the deadline: a short
    # limit is not announced the moment the case is created.
    warn_share = models.DecimalField(
        _("warn owners when this share of a time limit is left"),
        max_digits=3,
        decimal_places=2,
        default=DEFAULT_WARNING_SHARE,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.5"))],
    )
    warn_floor_minutes = models.PositiveIntegerField(
        _("but at least this many minutes before the deadline"),
        default=DEFAULT_WARNING_FLOOR_MINUTES,
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("and at most this many minutes before the deadline"),
        default=DEFAULT_WARNING_CAP_MINUTES,
    )
    # staffed around the clock in the heating season, during these hours on working
    # days outside it.
    hotline_hours_off_season = models.CharField(
        _("hotline hours on working days outside the heating season (HH:MM-HH:MM)"),
        max_length=11,
        default="08:00-17:30",
        validators=[
            RegexValidator(
                r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
                _("Write the hours as 08:00-17:30."),
            )
        ],
    )
    duplicate_window_hours = models.PositiveIntegerField(
        _("likely-duplicate window (hours)"), default=72
    )
    # Callbacks, complaints.
    callback_ratios = models.JSONField(
        _("share of resolved cases called back, per kind"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"repair": 1, "complaint": 1, "*": 0.3}; "*" is every other kind.'),
    )
    callback_hours = models.CharField(
        _("callbacks allowed between (HH:MM-HH:MM)"), max_length=11, default="07:00-22:00"
    )
    callback_quiet = models.CharField(
        _("no callbacks during (meal and rest times)"),
        max_length=100,
        default="11:30-14:00,17:30-19:00",
    )
    callback_max_attempts = models.PositiveSmallIntegerField(
        _("unreachable after this many tries"), default=3
    )
    spot_check_ratio = models.DecimalField(
        _("spot-check sample share"), max_digits=4, decimal_places=3, default=0.2
    )
    complaint_retention_days = models.PositiveIntegerField(
        _("complaints kept at least (days)"), default=365
    )
    appeal_days = models.PositiveIntegerField(_("appeal period (days)"), default=7)
    # Supply interruptions (outages app; docs/outages.md).
    outage_notice_lead_hours = models.PositiveIntegerField(
        _("planned interruptions: notices at least this many hours before the start"), default=48
    )
    outage_unplanned_notice_hours = models.PositiveIntegerField(
        _("unplanned interruptions: notices due within (hours of recording)"), default=2
    )
    outage_restoration_hours = models.PositiveIntegerField(
        _("supply restored within (hours, the commitment)"), default=24
    )
    outage_reduction_hours = models.PositiveIntegerField(
        _("interruptions of at least this many hours entitle to a fee reduction"), default=24
    )
    outage_recheck_hours = models.PositiveIntegerField(
        _("after restoration, a no-heat call from the scope within (hours) flags it"), default=12
    )
    outage_callback_share = models.DecimalField(
        _("share of linked calls called back after restoration"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    # Seeing an incident from a burst of no-supply calls (outages/detection.py; 0: off).
    incident_calls_threshold = models.PositiveIntegerField(
        _("suspected incident: no-supply calls from one substation within the window (0: off)"),
        default=5,
    )
    incident_building_calls_threshold = models.PositiveIntegerField(
        _("suspected incident: no-supply calls from one building within the window (0: off)"),
        default=3,
    )
    incident_window_minutes = models.PositiveIntegerField(
        _("suspected incident: the window the calls are counted in (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    # Indoor temperature (temperature app, docs/temperature.md).
    temperature_target = models.DecimalField(
        _("indoor temperature target (°C)"), max_digits=4, decimal_places=1, default=Decimal("18.0")
    )
    temperature_tolerance_below = models.DecimalField(
        _("a home still passes this far below the target (°C)"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("0.0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    temperature_home_rule = models.CharField(
        _("the home's temperature is"),
        max_length=8,
        choices=[
            ("mean", _("the area-weighted mean of the counted rooms")),
            ("lowest", _("the coldest counted room")),
        ],
        default="mean",
    )
    temperature_counted_rooms = models.CharField(
        _("room types the home's result counts (comma separated)"),
        max_length=100,
        default="bedroom,living_room",
    )
    temperature_visit_within_hours = models.PositiveIntegerField(
        _("measurement visit within (hours of the request)"), default=24
    )
    temperature_visit_hours = models.CharField(
        _("measurement visits between (HH:MM-HH:MM)"),
        max_length=11,
        default="08:00-21:00",
        validators=[
            RegexValidator(
                r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
                _("Write the hours as 08:00-21:00."),
            )
        ],
    )
    temperature_daily_limit = models.PositiveSmallIntegerField(
        _("measurements per household per day at most"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    temperature_height_m = models.DecimalField(
        _("sensor height (m)"), max_digits=3, decimal_places=2, default=Decimal("1.20")
    )
    temperature_height_tolerance_m = models.DecimalField(
        _("sensor height tolerance (m)"), max_digits=3, decimal_places=2, default=Decimal("0.10")
    )
    temperature_instrument_accuracy = models.DecimalField(
        _("instruments must be accurate to (± °C)"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
    )
    temperature_refund_bands = models.JSONField(
        _("refund bands"),
        default=default_refund_bands,
        help_text=_(
            'Below each temperature, the share of the affected period\'s fee refunded, e.g. [{"below": "18.0", "share": "0.20"}, {"below": "16.0", "share": "0.50"}, {"below": "14.0", "share": "1.00"}]; the lowest band a reading is under wins.'
        ),
    )
    temperature_refund_approver = models.CharField(
        _("refunds approved by (position)"), max_length=20, default="service_office"
    )
    temperature_monitoring_days = models.PositiveSmallIntegerField(
        _("monitoring points visited every (days, in season)"),
        default=7,
        validators=[MinValueValidator(1)],
    )
    # The city's 12345 platform (exchange app; docs/exchange-12345.md): its limits for the
    # orders it transfers to us, on the working-day calendar.
    exchange_sign_hours = models.PositiveSmallIntegerField(
        _("12345 orders: signed for within (hours of transfer)"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    exchange_answer_days = models.JSONField(
        _("12345 orders: answered within (working days, by kind)"),
        default=default_exchange_answer_days,
        help_text=_(
            'Working days by case kind, e.g. {"consultation": 3, "fee": 3, "*": 13}; "*" is every other kind.'
        ),
    )
    exchange_extension_max_days = models.PositiveSmallIntegerField(
        _("12345 orders: an extension asks at most (working days)"),
        default=10,
        validators=[MinValueValidator(1)],
    )
    # The household's own pages (selfservice app; docs/selfservice.md).
    selfservice_reopen_days = models.PositiveSmallIntegerField(
        _("households may rate or reopen a finished case within (days)"),
        default=DEFAULT_SELFSERVICE_REOPEN_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(SELFSERVICE_REOPEN_DAYS_MAX)],
    )
    kpi_targets = models.JSONField(
        _("KPI targets"),
        default=default_kpi_targets,
        help_text=_(
            'Target of each KPI as a share, e.g. {"repair_on_site_timeliness": "0.90", "valid_complaint_rate": "0.01"}; whether a figure must be above or below it is the KPI\'s own.'
        ),
    )
    kpi_amber_margin = models.DecimalField(
        _("KPI amber margin"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.05"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("A figure missing its target by no more than this share is amber, not red."),
    )
    assessment_weights = models.JSONField(
        _("assessment weights"),
        default=default_assessment_weights,
        help_text=_("Points each KPI carries in the monthly assessment, by KPI code."),
    )
    assessment_deductions = models.JSONField(
        _("assessment deductions"),
        default=default_assessment_deductions,
        help_text=_(
            "Points taken off the monthly score per event: valid_complaint, breached_deadline, entry_error."
        ),
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
        verbose_name = _("service policy version")
        verbose_name_plural = _("service policy versions")
        ordering = ["-number"]
        permissions = [("publish_policy", _("Can publish a service policy"))]

    def __str__(self) -> str:
        return f"v{self.number} ({self.get_status_display()})"

    def warning_lead(self, amount, unit: str) -> timedelta:
        return warning_lead(self, amount, unit)


UNIT_HOURS = {"hours": 1, "natural_days": 24, "working_days": 24}


def warning_lead(policy: PolicyVersion | None, amount, unit: str) -> timedelta:
    """How long before a deadline of ``amount`` ``unit`` its owner is warned, under the
    policy version the case keeps: the share of the limit, at least the floor and at most
    the cap, and never more than half the limit (so never at creation)."""
    share = policy.warn_share if policy else DEFAULT_WARNING_SHARE
    floor = policy.warn_floor_minutes if policy else DEFAULT_WARNING_FLOOR_MINUTES
    cap = policy.warn_before_minutes if policy else DEFAULT_WARNING_CAP_MINUTES
    limit_minutes = Decimal(str(amount)) * UNIT_HOURS.get(unit, 1) * 60
    minutes = min(max(limit_minutes * Decimal(str(share)), floor), cap, limit_minutes / 2)
    return timedelta(minutes=float(minutes))  # type: ignore[arg-type]  # min/max of Decimal and int fields


class LimitRule(models.Model):
    """One time limit of a policy. Blank conditions match anything; for each limit name the
    most specific matching rule wins (R-401 – R-403, R-406)."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="limits")
    name = models.CharField(_("limit"), max_length=16, choices=LIMIT_NAMES)
    kind = models.CharField(_("case kind"), max_length=16, blank=True)
    grade = models.CharField(_("grade"), max_length=16, blank=True)
    emergency = models.BooleanField(_("emergency"), null=True, blank=True)
    attribute = models.CharField(_("attribute"), max_length=32, blank=True)
    value = models.CharField(_("equals"), max_length=32, blank=True)
    min_value = models.DecimalField(
        _("at least"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("below"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=LIMIT_UNITS)
    source = models.CharField(_("rule"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["policy", "name", "kind", "grade"]

    def __str__(self) -> str:
        return f"{self.name} {self.amount} {self.unit}"


class EscalationLevel(models.Model):
    """R-405: an open case of these kinds not resolved after N hours goes up to a position,
    resolved against the case's unit."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="escalation")
    level = models.PositiveSmallIntegerField(_("level"))
    after_hours = models.PositiveIntegerField(_("after hours"))
    position = models.CharField(_("position"), max_length=20)
    channel = models.CharField(_("channel"), max_length=16, default="inbox")
    kinds = models.CharField(
        _("case kinds (comma separated, empty: all)"), max_length=100, blank=True
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation ladder")
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="sla_escalation_level_unique")
        ]

    def __str__(self) -> str:
        return f"L{self.level} {self.after_hours}h → {self.position}"

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in {k.strip() for k in self.kinds.split(",")}
