"""Duty and handover (R-1001, R-1002, R-206; docs/duty.md).

Shifts are data (shipped defaults: day 08:00–20:00, night 20:00–08:00). A roster lists, for a
service centre and a period, who is on which shift of which day in which role; it is drafted,
then published once it passes R-1001 (a manager on every holiday) and R-206 (round-the-clock
agents in the heating season, the hotline hours on working days outside it). The duty log
records what happened on a shift; the handover is signed by both shifts (四不接).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MINUTES_PER_DAY = 24 * 60


class Shift(models.Model):
    """A shift pattern. A shift ending at or before its start runs past midnight: it belongs
    to the day it starts on (the night shift of 1 December ends on the morning of the 2nd)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=20)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["order", "starts"]

    def __str__(self) -> str:
        return f"{self.name} {self.hours}"

    @property
    def hours(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts

    def minutes(self) -> list[tuple[int, int]]:
        """The minutes of the clock the shift covers, as [start, end) intervals of one day."""
        start = self.starts.hour * 60 + self.starts.minute
        end = self.ends.hour * 60 + self.ends.minute
        if end > start:
            return [(start, end)]
        return [(start, MINUTES_PER_DAY), (0, end)] if end else [(start, MINUTES_PER_DAY)]

    def span(self, day: date) -> tuple[datetime, datetime]:
        """The shift of ``day`` as aware local datetimes [start, end)."""
        start = timezone.make_aware(datetime.combine(day, self.starts))
        end_day = day + timedelta(days=1) if self.overnight else day
        end = timezone.make_aware(datetime.combine(end_day, self.ends))
        return start, end


class RosterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DutyRole(models.TextChoices):
    AGENT = "agent", _("Agent on duty")
    SHIFT_LEADER = "shift_leader", _("Shift leader")
    MANAGER = "manager", _("Manager on duty")


class Roster(models.Model):
    """The duty roster of a service centre for a period (a month)."""

    unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=10, choices=RosterStatus.choices, default=RosterStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty roster")
        verbose_name_plural = _("duty rosters")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period_start"], name="duty_roster_unique"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="duty_roster_period",
            ),
        ]
        permissions = [("publish_roster", _("Can edit and publish duty rosters"))]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start:%Y-%m}"

    @property
    def is_draft(self) -> bool:
        return self.status == RosterStatus.DRAFT


class RosterEntry(models.Model):
    """One person on one shift of one day. A substitute takes the shift over; the person
    rostered stays on the entry, with who arranged it, when and why."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="entries")
    day = models.DateField(_("date"))
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    role = models.CharField(
        _("role on duty"), max_length=14, choices=DutyRole.choices, default=DutyRole.AGENT
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("substitute"),
    )
    substitute_reason = models.CharField(_("reason for the substitute"), max_length=200, blank=True)
    substituted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    substituted_at = models.DateTimeField(_("substituted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["day", "shift__order", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster", "day", "shift", "person"], name="duty_entry_unique"
            )
        ]
        indexes = [models.Index(fields=["day", "shift"])]

    def __str__(self) -> str:
        return f"{self.day} {self.shift.name} {self.person}"

    @property
    def on_duty(self):  # the person actually on the shift
        return self.substitute or self.person


class LogKind(models.TextChoices):
    CALL_PEAK = "call_peak", _("Call peak")
    MAJOR_EVENT = "major_event", _("Major event")
    EQUIPMENT = "equipment", _("Equipment")
    VISITOR = "visitor", _("Visitor")
    OTHER = "other", _("Other")


class DutyLogEntry(models.Model):
    """值班记录: what happened on a shift. Entries are never edited; a major event is reported
    to the service centre's director when it is written (R-1001)."""

    unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    kind = models.CharField(_("type"), max_length=12, choices=LogKind.choices)
    occurred_at = models.DateTimeField(_("time"))
    day = models.DateField(_("duty date"))
    shift = models.ForeignKey(
        Shift, on_delete=models.PROTECT, related_name="+", verbose_name=_("shift")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    text = models.TextField(_("what happened"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    director_notified_at = models.DateTimeField(_("director notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty log entry")
        verbose_name_plural = _("duty log entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["unit", "day", "shift"])]
        permissions = [("keep_duty_log", _("Can write the duty log and hand over shifts"))]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    @property
    def is_major_event(self) -> bool:
        return self.kind == LogKind.MAJOR_EVENT


class HandoverStatus(models.TextChoices):
    OPEN = "open", _("Being written")
    HANDED_OVER = "handed_over", _("Signed by the outgoing shift")
    ACCEPTED = "accepted", _("Taken over")
    REFUSED = "refused", _("Refused")


class RefusalCondition(models.TextChoices):
    """四不接 (seed 001-12, 交接班管理规定 六)."""

    RECORDS_UNCLEAR = "records_unclear", _("Records unclear")
    DESK_NOT_CLEAN = "desk_not_clean", _("Desk not clean")
    ITEMS_MISSING = "items_missing", _("Public items missing")
    REPAIR_UNFINISHED = "repair_unfinished", _("A major repair unfinished without handover notes")


class Handover(models.Model):
    """The handover at the end of one shift (R-1002). Signatures are signed-in confirmations
    (person and time), not drawn."""

    unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    day = models.DateField(_("duty date"))
    shift = models.ForeignKey(
        Shift, on_delete=models.PROTECT, related_name="+", verbose_name=_("outgoing shift")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=HandoverStatus.choices, default=HandoverStatus.OPEN
    )
    notes = models.TextField(_("handover notes"), blank=True)
    outgoing_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outgoing_signed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    incoming_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incoming_signed_at = models.DateTimeField(_("taken over at"), null=True, blank=True)
    # What was unfinished when the incoming shift took over: [{"kind", "ref", "title"}].
    open_items = models.JSONField(_("unfinished at handover"), default=list, blank=True)
    unfinished_confirmed = models.BooleanField(
        _("took over unfinished work without notes"), default=False
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-day", "-shift__order"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "day", "shift"], name="duty_handover_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.shift.name}"


class HandoverRefusal(models.Model):
    """One refusal by the incoming shift, kept when the handover is signed again."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="refusals")
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    refused_at = models.DateTimeField(_("refused at"))
    conditions = models.JSONField(_("conditions"), default=list)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("handover refusal")
        verbose_name_plural = _("handover refusals")
        ordering = ["refused_at", "id"]

    def __str__(self) -> str:
        return f"{self.handover} {self.refused_at:%Y-%m-%d %H:%M}"

    def condition_labels(self) -> list[str]:
        labels = dict(RefusalCondition.choices)
        return [str(labels.get(code, code)) for code in self.conditions]
