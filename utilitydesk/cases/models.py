from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """R-201."""

    PHONE = "phone", _("Hotline call")
    WALK_IN = "walk_in", _("Walk-in")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web")
    WECHAT = "wechat", _("WeChat")
    GOV_12345 = "gov_12345", _("12345 government hotline")
    # Work the company opens itself: the adjustment and re-measurement after a failed
    # indoor temperature (temperature app), not a customer's contact.
    INTERNAL = "internal", _("Opened by the company")


# The channels a person records a contact on (intake form, API): all but the company's own.
CONTACT_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.INTERNAL]

# Channels whose received time may lie before the moment of recording (a WeChat message
# is recorded when an agent answers it, docs/wechat.md).
BACKDATED_CHANNELS = {
    Channel.LETTER,
    Channel.EMAIL,
    Channel.GOV_12345,
    Channel.WALK_IN,
    Channel.WECHAT,
}

# Channels whose sender is known by the channel's own account (a WeChat follower's openid):
# a contact on them needs no phone number.
ACCOUNT_CHANNELS = {Channel.WECHAT}


class Kind(models.TextChoices):
    """R-202."""

    CONSULTATION = "consultation", _("Consultation")
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    TEMPERATURE = "temperature", _("Temperature measurement")
    FEE = "fee", _("Fee enquiry")


# Kinds whose work is done at the customer's home and needs the customer's sign-off.
FIELD_KINDS = {Kind.REPAIR, Kind.TEMPERATURE}


class Signoff(models.TextChoices):
    """How the customer confirmed the work at home (R-303)."""

    SIGNATURE = "signature", _("Signature")
    CODE = "code", _("Confirmation code")
    SUPERVISOR = "supervisor", _("Supervisor exemption")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    DISPATCHED = "dispatched", _("Dispatched")
    RETURNED = "returned", _("Returned for re-dispatch")
    ACCEPTED = "accepted", _("Accepted")
    BOOKED = "booked", _("Appointment booked")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    ON_SITE = "on_site", _("On site")
    RESOLVED = "resolved", _("Resolved")
    CALLBACK_DONE = "callback_done", _("Callback done")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = {
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.RETURNED,
    Status.ACCEPTED,
    Status.BOOKED,
    Status.WAITING_CUSTOMER,
    Status.ON_SITE,
    Status.REOPENED,
}


class Case(models.Model):
    # The attribute naming what holds a new call instead of a unit ("interruption:12"):
    # set at intake from a registered hold check (cases.hooks), read by the queues.
    HELD_BY = "held_by"

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    content = models.TextField(_("content"))
    received_at = models.DateTimeField(_("received at"))
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("customer"),
        db_index=False,
    )
    premises = models.ForeignKey(
        "customers.Premises",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("premises"),
        db_index=False,
    )
    # The building the case is about: the premises' building, or the one picked at intake
    # for a caller without a customer record (routing and the station follow it).
    building = models.ForeignKey(
        "area.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("building"),
        db_index=False,
    )
    caller_name = models.CharField(_("contact person"), max_length=100, blank=True)
    caller_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address_text = models.CharField(_("address"), max_length=300, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="first_responded_cases",
        verbose_name=_("first responder"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    emergency = models.BooleanField(_("emergency"), default=False)
    responsible_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("responsible unit"),
        db_index=False,
    )
    routing_rule = models.ForeignKey(
        "cases.RoutingRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("routing rule"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("technician"),
        db_index=False,
    )
    major_fault = models.ForeignKey(
        "outages.MajorFault",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("major fault"),
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on site from"), null=True, blank=True)
    work_ended_at = models.DateTimeField(_("work ended"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("work done / answer"), blank=True)
    materials = models.JSONField(_("materials"), default=list, blank=True)
    customer_side_fault = models.BooleanField(_("fault inside the home"), default=False)
    customer_side_explanation = models.TextField(_("written explanation to customer"), blank=True)
    paid_service_handover = models.BooleanField(_("handed to paid service"), default=False)
    signoff = models.CharField(
        _("customer sign-off"), max_length=16, choices=Signoff.choices, blank=True
    )
    signature = models.ImageField(_("signature"), upload_to="signatures/%Y/%m/", blank=True)
    signoff_note = models.TextField(_("sign-off note"), blank=True)
    signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sign-off exempted by"),
        db_index=False,
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    policy_version = models.ForeignKey(
        "sla.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("service policy version"),
        db_index=False,
    )
    # When the sweeper must next look at the case (a warning, a deadline, an escalation).
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=0)
    last_event_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        # Foreign keys carry no index of their own where a composite index below starts
        # with them, or where only a rare deletion would look (rule, policy, exemption):
        # every index is written again when the sweeper updates a case.
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["responsible_unit", "status"]),
            models.Index(fields=["assignee", "status", "appointment_at"]),
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["premises", "kind", "status"]),
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["caller_phone"], name="cases_case_caller_phone"),
            # The monthly rates read these ranges: covering indexes answer from the index.
            models.Index(
                fields=["resolved_at"],
                include=["id", "responsible_unit"],
                name="cases_case_resolved",
            ),
            models.Index(
                fields=["received_at"],
                include=["id", "responsible_unit"],
                name="cases_case_received",
            ),
            models.Index(
                fields=["kind", "resolved_at"],
                include=["id", "responsible_unit"],
                name="cases_case_kind_resolved",
            ),
            # Seeing an incident (outages/detection.py): the no-supply calls of a building
            # (or of a substation's buildings) in the last minutes, answered from the index.
            models.Index(
                fields=["building", "received_at"],
                include=["id", "premises"],
                condition=models.Q(kind__in=[Kind.REPAIR, Kind.TEMPERATURE]),
                name="cases_case_supply_calls",
            ),
        ]
        permissions = [
            ("dispatch_case", _("Can dispatch and re-dispatch cases")),
            ("handle_case", _("Can work on cases of own unit")),
            ("supervise_case", _("Can supervise cases (assign, exempt sign-off)")),
            ("close_case", _("Can record callbacks and close cases")),
            ("reopen_case", _("Can reopen cases")),
            ("cancel_case", _("Can cancel cases")),
            (
                "settle_case",
                _("Can close cases whose cause was dealt with elsewhere (an interruption)"),
            ),
            ("export_case", _("Can export case lists")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_signoff(self) -> bool:
        return self.kind in FIELD_KINDS

    @property
    def held_by(self) -> str:
        """What holds this registered call instead of a unit, or "" (dispatched as usual)."""
        if self.status != Status.REGISTERED:
            return ""
        return str((self.attributes or {}).get(self.HELD_BY, ""))


class Contact(models.Model):
    """One incoming call, visit, letter, message (R-201, R-203). A contact either closes on
    the spot or belongs to a case (a new one, or an existing one the customer calls about)."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    content = models.TextField(_("content"))
    received_at = models.DateTimeField(_("received at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("customer"),
    )
    caller_name = models.CharField(_("caller name"), max_length=100, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=20, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("first responder"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("case"),
    )
    closed_on_spot = models.BooleanField(_("answered on the spot"), default=False)
    answer = models.TextField(_("answer"), blank=True)
    knowledge_entry = models.ForeignKey(
        "knowledge.Entry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("knowledge entry used"),
    )
    # The call was about this major fault (answered on the spot or not).
    major_fault = models.ForeignKey(
        "outages.MajorFault",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("major fault"),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["customer", "received_at"]),
            models.Index(fields=["caller_phone"]),
            # Today's intake by hour, channel and agent (the dashboards).
            models.Index(fields=["received_at"], name="contact_received"),
            # The cases a person took a contact on (followed_cases), from the index alone.
            models.Index(fields=["first_responder", "case"], name="contact_responder_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.received_at:%Y-%m-%d %H:%M}"


class CaseEvent(models.Model):
    """The case timeline: every transition and note, numbered without gaps per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case timeline")
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="cases_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class RoutingRule(models.Model):
    """Routing as data (R-302): the first active rule, by priority, that matches a case's
    kind and its premises' station/grid chooses the responsible unit."""

    class Target(models.TextChoices):
        PREMISES_STATION = "premises_station", _("The station serving the premises")
        FUNCTION = "function", _("The department with a function")
        UNIT = "unit", _("A fixed unit")

    priority = models.PositiveIntegerField(_("priority"), default=100)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("case kind"), max_length=16, choices=Kind.choices, blank=True)
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for premises of station"),
    )
    grid = models.ForeignKey(
        "area.Grid",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for premises in grid"),
    )
    target = models.CharField(_("send to"), max_length=20, choices=Target.choices)
    target_function = models.CharField(_("department function"), max_length=20, blank=True)
    target_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class CaseNumberCounter(models.Model):
    day = models.CharField(max_length=8, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class IdempotencyRecord(models.Model):
    """A create request retried with the same Idempotency-Key returns the first result."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="cases_idempotency_unique")
        ]

    def __str__(self) -> str:
        return self.key


class SignoffCode(models.Model):
    """A confirmation code sent to the customer's phone as the sign-off (R-303)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signoff_codes")
    code_hash = models.CharField(max_length=128)
    phone = models.CharField(max_length=20)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} {self.sent_at:%Y-%m-%d %H:%M}"


from .deadline_models import CaseDeadline, CaseEscalation, CasePause  # noqa: E402, F401
