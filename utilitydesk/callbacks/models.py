from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """R-604."""

    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


class CallbackTask(models.Model):
    class Purpose(models.TextChoices):
        FIRST = "first", _("Callback after resolution")
        SPOT_CHECK = "spot_check", _("Director's spot check")
        ACCOUNT = "account", _("Regular account callback")

    class Status(models.TextChoices):
        OPEN = "open", _("To call")
        DONE = "done", _("Done")
        UNREACHABLE = "unreachable", _("Closed as unreachable")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="callback_tasks"
    )
    # Regular callbacks of VIP and long-term accounts are about the customer, not a case.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callback_tasks",
    )
    period = models.CharField(_("period"), max_length=7, blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.FIRST
    )
    spot_check = models.ForeignKey(
        "callbacks.SpotCheck", on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("caller"),
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("callback task")
        verbose_name_plural = _("callback tasks")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(purpose="first", status="open"),
                name="callbacks_one_open_first_callback_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "spot_check"], name="callbacks_one_task_per_spot_check"
            ),
        ]
        permissions = [
            ("make_callback", _("Can make callbacks")),
            ("run_spot_check", _("Can run spot checks")),
            ("view_rates", _("Can read the service rates")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.purpose}"


class CallbackAttempt(models.Model):
    task = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome}"


class SpotCheck(models.Model):
    """R-602: a reproducible random share of a unit's resolved repairs in a quarter."""

    unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    seed = models.CharField(_("seed"), max_length=40)
    ratio = models.DecimalField(_("share"), max_digits=4, decimal_places=3)
    population = models.PositiveIntegerField(_("resolved repairs in the quarter"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "quarter", "seed"], name="callbacks_spot_check_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}Q{self.quarter}"
