"""The arrears path and stop / resume heat (R-803, R-805; docs/billing.md): the path as
versioned policy data (steps in order, their waiting days, the written advance notice
before limiting or stopping heat, the approving position), one arrears record per account
and season kept up to date by ledger reactions (the list reads it, never the ledger), each
step as an approved and logged action, and applications to stop or resume heat (报停 / 复热)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.customers.models import CustomerType
from utilitydesk.org.models import Position


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ArrearsPolicy(models.Model):
    """A version of the arrears path and the stop / resume heat rules. Drafts are edited in
    the admin; a published version never changes; a record keeps the version it was
    opened under."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    application_close_days = models.PositiveSmallIntegerField(
        _("stop / resume applications close this many days before the season"), default=30
    )
    restore_hours = models.PositiveSmallIntegerField(
        _("heat restored within this many hours of payment"), default=24
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrears policy")
        verbose_name_plural = _("arrears policies")
        ordering = ["-number"]
        permissions = [("publish_arrears_policy", _("Can publish the arrears policy"))]

    def __str__(self) -> str:
        return f"v{self.number} ({self.get_status_display()})"


class StepKind(models.TextChoices):
    NOTICE = "notice", _("Payment notice")
    REMINDER = "reminder", _("Reminder")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Payment demand letter")
    LIMIT = "limit", _("Limit heat")
    STOP = "stop", _("Stop heat")


SUPPLY_STEPS = (StepKind.LIMIT, StepKind.STOP)


class PathStep(models.Model):
    """One step of the path: taken ``wait_days`` after the previous step taken; limiting or
    stopping heat also needs a written notice ``advance_notice_days`` before; approved by a
    holder of ``approver_position``. An optional step may be skipped."""

    policy = models.ForeignKey(ArrearsPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("step"), max_length=10, choices=StepKind.choices)
    required = models.BooleanField(_("required"), default=True)
    wait_days = models.PositiveSmallIntegerField(_("days after the previous step"), default=0)
    advance_notice_days = models.PositiveSmallIntegerField(
        _("written notice this many days before acting"), default=0
    )
    approver_position = models.CharField(_("approved by"), max_length=20, choices=Position.choices)

    class Meta:
        verbose_name = _("arrears step")
        verbose_name_plural = _("arrears path")
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind"], name="arrears_step_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_kind_display()}"


class Supply(models.TextChoices):
    NORMAL = "", _("Normal")
    LIMITED = "limited", _("Heat limited")
    STOPPED = "stopped", _("Heat stopped")
    RESTORING = "restoring", _("Restoration ordered")


LIST_FILTER_COLUMNS = ["season", "district", "customer_type", "step", "due_on"]


class ArrearsRecord(models.Model):
    """An account's arrears for a season: the overdue amount (balance on the ledger, up to
    the bills past their due day), the step reached and the supply state. Maintained by the
    daily refresh and by reactions to ledger entries, so the list reads one indexed row per
    account. Station, district and customer type are copied here for the list's filters."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("premises"),
        db_index=False,
    )
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("heating station"),
        db_index=False,
    )
    district = models.ForeignKey(
        "area.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
        db_index=False,
    )
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices
    )
    season = models.PositiveSmallIntegerField(_("heating season"))
    policy = models.ForeignKey(
        ArrearsPolicy, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    due_on = models.DateField(_("due on"))
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2)
    overdue_amount = models.DecimalField(
        _("overdue amount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    step = models.CharField(
        _("step reached"), max_length=10, choices=StepKind.choices, blank=True, default=""
    )
    step_at = models.DateTimeField(_("step taken at"), null=True, blank=True)
    supply = models.CharField(
        _("supply"), max_length=10, choices=Supply.choices, blank=True, default=Supply.NORMAL
    )
    restoration_case = models.CharField(_("restoration work order"), max_length=20, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("arrears record")
        verbose_name_plural = _("arrears records")
        ordering = ["-overdue_amount", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "season"], name="arrears_one_per_season")
        ]
        indexes = [
            # The list: a station's open arrears, largest first, walked in order for the
            # first page; count and total of the filtered rows from the index alone (the
            # filter columns are included).
            models.Index(
                fields=["station", "-overdue_amount", "id"],
                include=LIST_FILTER_COLUMNS,
                condition=Q(overdue_amount__gt=0),
                name="arrears_station_list",
            ),
            models.Index(
                fields=["-overdue_amount", "id"],
                include=LIST_FILTER_COLUMNS,
                condition=Q(overdue_amount__gt=0),
                name="arrears_open_list",
            ),
        ]
        permissions = [
            ("export_arrears", _("Can export arrears lists")),
            ("work_arrears", _("Can record arrears steps")),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.season} {self.overdue_amount}"


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DONE = "done", _("Carried out")


class ArrearsAction(models.Model):
    """One step taken on a record: who asked, who approved (a holder of the position the
    policy names), when, the note. Limiting or stopping heat: the approval is the written
    notice given to the customer; the valve work order to the station is opened from
    ``acts_from`` on and the premises' supply changes when it is resolved."""

    record = models.ForeignKey(ArrearsRecord, on_delete=models.CASCADE, related_name="actions")
    step = models.CharField(_("step"), max_length=10, choices=StepKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING
    )
    approver_position = models.CharField(_("approved by"), max_length=20)
    note = models.TextField(_("note"), blank=True)
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
    acts_from = models.DateTimeField(_("acts from"), null=True, blank=True)
    work_order = models.CharField(_("work order"), max_length=20, blank=True, db_index=True)
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrears step taken")
        verbose_name_plural = _("arrears steps taken")
        ordering = ["record", "requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.record_id} {self.step} {self.status}"


class ApplicationKind(models.TextChoices):
    STOP = "stop", _("Stop heat (报停)")
    RESUME = "resume", _("Resume heat (复热)")


class ApplicationStatus(models.TextChoices):
    OPEN = "open", _("Work order open")
    DONE = "done", _("Done")


class HeatApplication(models.Model):
    """A customer's application to stop or resume heat for a season, recorded by an agent
    or a billing clerk; the station's work order closes and seals (施封) or opens the
    valve, and its resolution changes the supply and the bill."""

    premises = models.ForeignKey(
        "customers.Premises", on_delete=models.PROTECT, related_name="+", verbose_name=_("premises")
    )
    season = models.PositiveSmallIntegerField(_("heating season"))
    kind = models.CharField(_("application"), max_length=10, choices=ApplicationKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.OPEN,
    )
    policy = models.ForeignKey(
        ArrearsPolicy, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    requested_at = models.DateTimeField(_("requested at"))
    work_order = models.CharField(_("work order"), max_length=20, blank=True, db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    heat_stop = models.ForeignKey(
        "billing.HeatStop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    correction = models.ForeignKey(
        "billing.BillCorrection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    bill_note = models.CharField(_("bill"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stop / resume heat application")
        verbose_name_plural = _("stop / resume heat applications")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["premises"],
                condition=Q(status="open"),
                name="arrears_one_open_application",
            )
        ]
        permissions = [("record_heat_application", _("Can record stop / resume applications"))]

    def __str__(self) -> str:
        return f"{self.premises_id} {self.kind} {self.season}"
