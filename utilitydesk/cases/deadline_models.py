"""The deadlines, pauses and escalations of cases (imported by cases/models.py).

They moved here from the policy app (Django label ``sla``) without moving a row: the
tables keep their names (``db_table``), and so do the indexes and constraints
(docs/decisions/0003-policy-keeps-the-sla-label.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import Position
from utilitydesk.policy.models import LIMIT_NAMES, LIMIT_UNITS


class CaseDeadline(models.Model):
    """A concrete deadline a case was given; kept even when the policy changes."""

    class State(models.TextChoices):
        PENDING = "pending", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="deadlines")
    name = models.CharField(_("limit"), max_length=16, choices=LIMIT_NAMES)
    due_at = models.DateTimeField(_("due"))
    original_due_at = models.DateTimeField(_("originally due"))
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=16, choices=LIMIT_UNITS)
    provisional = models.BooleanField(_("provisional"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sla_casedeadline"
        verbose_name = _("case deadline")
        verbose_name_plural = _("case deadlines")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="sla_case_deadline_unique")
        ]
        indexes = [
            models.Index(fields=["provisional", "state"], name="sla_casedea_provisi_d1a8a8_idx"),
            # A case's nearest running deadline (queues sort by it) from the index alone.
            models.Index(
                fields=["case", "due_at"],
                condition=models.Q(state="pending"),
                name="sla_deadline_pending_due",
            ),
            # Lists count a deadline until it is met (running or missed: deadline_selectors
            # LIVE_DEADLINE); the same lookup for those, from the index alone.
            models.Index(
                fields=["case", "due_at"],
                condition=models.Q(met_at__isnull=True, state__in=["pending", "breached"]),
                name="case_deadline_live_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.name} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def late(self) -> bool:
        return self.breached_at is not None


class CasePause(models.Model):
    """Waiting for the customer (R-407): visible in reports, never hides earlier lateness."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()

    class Meta:
        db_table = "sla_casepause"
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_at:%Y-%m-%d %H:%M}"


class CaseEscalation(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"))
    position = models.CharField(_("position"), max_length=20)
    at = models.DateTimeField(_("at"))
    targets = models.JSONField(_("notified"), default=list)

    class Meta:
        db_table = "sla_caseescalation"
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["case", "level"]
        constraints = [
            models.UniqueConstraint(fields=["case", "level"], name="sla_case_escalation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} L{self.level}"

    @property
    def position_label(self) -> str:
        return (
            str(Position(self.position).label)
            if self.position in Position.values
            else self.position
        )
