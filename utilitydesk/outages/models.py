from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Utility


class MajorFault(models.Model):
    """重大故障 (R-306): reported at once, analysed afterwards; many cases link to it
    (`Case.major_fault`, `Contact.major_fault`).

    Born in `cases`: the tables keep their names (cases_majorfault and its three link
    tables), so that moving the model here moved no row (migration 0001)."""

    class State(models.TextChoices):
        OPEN = "open", _("Being handled")
        CLOSED = "closed", _("Closed with analysis")

    title = models.CharField(_("title"), max_length=200)
    occurred_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    symptoms = models.TextField(_("symptoms"))
    response_plan = models.TextField(_("response plan"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    units = models.ManyToManyField(
        "org.OrgUnit",
        related_name="major_faults",
        verbose_name=_("responsible units"),
        db_table="cases_majorfault_units",
    )
    # The affected area: premises in these buildings, or served by these substations.
    buildings = models.ManyToManyField(
        "area.Building",
        blank=True,
        related_name="major_faults",
        verbose_name=_("affected buildings"),
        db_table="cases_majorfault_buildings",
    )
    substations = models.ManyToManyField(
        "area.Substation",
        blank=True,
        related_name="major_faults",
        verbose_name=_("affected substations"),
        db_table="cases_majorfault_substations",
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    impact = models.TextField(_("impact"), blank=True)
    handling = models.TextField(_("handling"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    corrective_actions = models.TextField(_("corrective actions"), blank=True)
    preventive_actions = models.TextField(_("preventive actions"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    report_shared_at = models.DateTimeField(
        _("report shared with customers"), null=True, blank=True
    )

    class Meta:
        db_table = "cases_majorfault"
        verbose_name = _("major fault")
        verbose_name_plural = _("major faults")
        ordering = ["-occurred_at"]
        permissions = [("manage_major_fault", _("Can report and analyse major faults"))]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("outages:fault", args=[self.pk])


# --- Supply interruptions (停热 / 停气 / 停水) ---------------------------


class InterruptionKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Planned maintenance")
    PIPE_BURST = "pipe_burst", _("Pipe burst")
    SOURCE_FAILURE = "source_failure", _("Supply source failure")
    POWER_CUT = "power_cut", _("Power cut")
    WATER_CUT = "water_cut", _("Water cut")
    OTHER = "other", _("Other")


class InterruptionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    IN_PROGRESS = "in_progress", _("In progress")
    RESTORED = "restored", _("Restored")
    CLOSED = "closed", _("Closed")


# An interruption the hotline treats as current: callers inside it are told first.
ACTIVE_STATES = (InterruptionState.ANNOUNCED, InterruptionState.IN_PROGRESS)


class Interruption(models.Model):
    """A supply interruption, planned or not, over a scope of the network (sources,
    substations, buildings, units). Its lifecycle is draft → announced → in progress →
    restored → closed, each step an `InterruptionEvent`; when announced the scope is
    materialised into `AffectedPremises` and every phone of every affected customer gets a
    notice (docs/outages.md)."""

    Kind = InterruptionKind
    State = InterruptionState

    number = models.CharField(_("number"), max_length=20, unique=True)
    utility = models.CharField(
        _("utility"), max_length=8, choices=Utility.choices, default=Utility.HEAT
    )
    planned = models.BooleanField(_("planned"), default=False)
    kind = models.CharField(_("kind"), max_length=16, choices=InterruptionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("cause and description"), blank=True)
    # The station answering for it: the one its substations and buildings belong to.
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interruptions",
        verbose_name=_("heating station"),
    )
    major_fault = models.ForeignKey(
        MajorFault,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interruptions",
        verbose_name=_("major fault"),
    )
    sources = models.ManyToManyField(
        "area.Source", blank=True, related_name="interruptions", verbose_name=_("supply sources")
    )
    substations = models.ManyToManyField(
        "area.Substation", blank=True, related_name="interruptions", verbose_name=_("substations")
    )
    buildings = models.ManyToManyField(
        "area.Building", blank=True, related_name="interruptions", verbose_name=_("buildings")
    )
    start_at = models.DateTimeField(_("start"))
    expected_restoration_at = models.DateTimeField(_("expected restoration"))
    actual_restoration_at = models.DateTimeField(_("actual restoration"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=InterruptionState.choices,
        default=InterruptionState.DRAFT,
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # The policy version it was recorded under (lead, notice window, thresholds).
    policy = models.ForeignKey(
        "sla.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    notices_sent_at = models.DateTimeField(_("notices queued at"), null=True, blank=True)
    # Unplanned: notices due within the policy's hours of recording; the sweep escalates once.
    notice_due_at = models.DateTimeField(_("notices due by"), null=True, blank=True)
    notice_escalated_at = models.DateTimeField(
        _("late notices escalated at"), null=True, blank=True
    )
    # Planned, starting less than the policy's lead after its notices: an emergency override.
    override_reason = models.TextField(_("override reason"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("override by"),
    )
    override_at = models.DateTimeField(_("override at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    restoration_note = models.TextField(_("restoration note"), blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The scope snapshot's counts (written when it is materialised).
    premises_count = models.PositiveIntegerField(_("premises"), default=0)
    customers_count = models.PositiveIntegerField(_("customers"), default=0)
    special_care_count = models.PositiveIntegerField(_("special-care households"), default=0)
    notices_queued = models.PositiveIntegerField(_("notices queued"), default=0)
    linked_calls = models.PositiveIntegerField(_("linked calls"), default=0)
    # Calls about no supply from the scope after restoration (R-401 check): flagged.
    calls_after_restoration = models.PositiveIntegerField(_("calls after restoration"), default=0)
    flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True)
    # at least the policy's hours long; the affected premises carry the days.
    reduction_eligible = models.BooleanField(_("fee reduction eligible"), default=False)
    reduction_days = models.PositiveSmallIntegerField(_("days of reduction"), default=0)
    last_event_seq = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("supply interruption")
        verbose_name_plural = _("supply interruptions")
        ordering = ["-start_at", "-id"]
        indexes = [
            models.Index(fields=["state", "start_at"], name="interruption_state_start"),
            # The notice-deadline sweep: unplanned, not yet announced, due.
            models.Index(
                fields=["notice_due_at"],
                name="interruption_notice_due",
                condition=models.Q(notices_sent_at__isnull=True, notice_escalated_at__isnull=True),
            ),
        ]
        permissions = [
            ("manage_interruption", _("Can record and run supply interruptions")),
            ("export_reductions", _("Can export fee-reduction lists")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("outages:interruption", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class InterruptionUnit(models.Model):
    """One entrance (单元) of a building in an interruption's scope."""

    interruption = models.ForeignKey(
        Interruption, on_delete=models.CASCADE, related_name="units", verbose_name=_("interruption")
    )
    building = models.ForeignKey(
        "area.Building", on_delete=models.PROTECT, related_name="+", verbose_name=_("building")
    )
    unit_no = models.CharField(_("unit"), max_length=16)

    class Meta:
        verbose_name = _("unit in scope")
        verbose_name_plural = _("units in scope")
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "building", "unit_no"], name="outages_unit_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit_no}"


class InterruptionNumberCounter(models.Model):
    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class InterruptionAction(models.TextChoices):
    CREATED = "created", _("Recorded")
    SCOPE_CHANGED = "scope_changed", _("Scope changed")
    ANNOUNCED = "announced", _("Announced")
    OVERRIDE = "override", _("Short-notice override")
    STARTED = "started", _("Started")
    RESTORATION_MOVED = "restoration_moved", _("Restoration time changed")
    RESTORED = "restored", _("Restored")
    CLOSED = "closed", _("Closed")
    NOTICE_LATE = "notice_late", _("Notices late: escalated")
    CALL_LINKED = "call_linked", _("Call linked")
    CALL_AFTER_RESTORATION = "call_after_restoration", _("Call after restoration")
    CASES_CLOSED = "cases_closed", _("Linked cases closed")
    SPECIAL_CARE_CALL = "special_care_call", _("Special-care household phoned")


class InterruptionEvent(models.Model):
    """One step of an interruption's timeline, numbered per interruption."""

    interruption = models.ForeignKey(
        Interruption,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("interruption"),
    )
    seq = models.PositiveIntegerField(_("number"))
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=24, choices=InterruptionAction.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("interruption event")
        verbose_name_plural = _("interruption events")
        ordering = ["interruption", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["interruption", "seq"], name="outages_event_seq")
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id}#{self.seq} {self.action}"


class AffectedPremises(models.Model):
    """The scope snapshot: one row per premises, written set-wise (INSERT … SELECT) when the
    interruption is announced. The screen-pop and the 360 page find a customer's
    interruptions through the customer index; R-807 marks the days here."""

    interruption = models.ForeignKey(
        Interruption,
        on_delete=models.CASCADE,
        related_name="affected",
        verbose_name=_("interruption"),
        db_index=False,  # the unique constraint starts with it
    )
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.CASCADE,
        related_name="interruptions",
        verbose_name=_("premises"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="interruptions",
        verbose_name=_("customer"),
    )
    building = models.ForeignKey(
        "area.Building", on_delete=models.CASCADE, related_name="+", verbose_name=_("building")
    )
    special_care = models.BooleanField(_("special care"), default=False)
    reduction_days = models.PositiveSmallIntegerField(_("days of reduction"), default=0)

    class Meta:
        verbose_name = _("affected premises")
        verbose_name_plural = _("affected premises")
        # The customer and premises foreign keys are indexed (the screen-pop's one index).
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "premises"], name="outages_affected_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id}: {self.premises_id}"


class InterruptionLink(models.Model):
    """A call (and its case) about an interruption: linked at intake (the default for a
    no-supply call from inside the scope) or from the case page; or, after restoration,
    a call that opened a normal repair and flagged the interruption."""

    class Kind(models.TextChoices):
        LINKED = "linked", _("Linked to the interruption")
        AFTER_RESTORATION = "after_restoration", _("Call after restoration")

    interruption = models.ForeignKey(
        Interruption, on_delete=models.CASCADE, related_name="links", verbose_name=_("interruption")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LINKED)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interruption_links",
        verbose_name=_("case"),
    )
    contact = models.ForeignKey(
        "cases.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interruption_links",
        verbose_name=_("contact"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )

    class Meta:
        verbose_name = _("linked call")
        verbose_name_plural = _("linked calls")
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "case"],
                condition=models.Q(case__isnull=False),
                name="outages_case_linked_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id}: {self.case_id or self.contact_id}"


class SpecialCareCall(models.Model):
    """R-103: special-care households inside the scope are phoned, not only texted."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached and told")
        NOT_REACHED = "not_reached", _("Not reached")
        VISIT = "visit", _("Needs a visit")

    interruption = models.ForeignKey(
        Interruption,
        on_delete=models.CASCADE,
        related_name="care_calls",
        verbose_name=_("interruption"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("household"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    called_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("special-care call")
        verbose_name_plural = _("special-care calls")
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["interruption", "customer"], name="care_call_household")]

    def __str__(self) -> str:
        return f"{self.interruption_id}: {self.customer_id} {self.outcome}"


# The suspected incidents seen in the calls (detection.py) live in their own module.
from .detection_models import IncidentSignal, SignalPlace, SignalState  # noqa: E402

__all__ = [
    "ACTIVE_STATES",
    "AffectedPremises",
    "IncidentSignal",
    "Interruption",
    "InterruptionAction",
    "InterruptionEvent",
    "InterruptionKind",
    "InterruptionLink",
    "InterruptionNumberCounter",
    "InterruptionState",
    "InterruptionUnit",
    "MajorFault",
    "SignalPlace",
    "SignalState",
    "SpecialCareCall",
]
