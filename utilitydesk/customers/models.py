from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CustomerType(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    NON_RESIDENT = "non_resident", _("Non-resident")
    COMMERCIAL = "commercial", _("Commercial")


class Grade(models.TextChoices):
    GENERAL = "general", _("General")
    VIP = "vip", _("VIP")


class SpecialCare(models.TextChoices):
    """老弱病残 (R-103)."""

    NONE = "", _("None")
    ELDERLY = "elderly", _("Elderly")
    SICK = "sick", _("Sick")
    DISABLED = "disabled", _("Disabled")


class FeeGroup(models.TextChoices):
    """Reduced tariffs (R-806): households the tariff charges less."""

    STANDARD = "", _("Standard")
    LOW_INCOME = "low_income", _("Low-income household")
    SUBSISTENCE = "subsistence", _("Subsistence allowance (低保)")
    OTHER_REDUCED = "reduced", _("Other reduced group")


class SupplyStatus(models.TextChoices):
    SUPPLIED = "supplied", _("Supplied")
    SUSPENDED = "suspended", _("Heating suspended")
    CLOSED = "closed", _("Closed")


class Customer(models.Model):
    """The customer master record (R-101)."""

    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    customer_type = models.CharField(
        _("customer type"),
        max_length=16,
        choices=CustomerType.choices,
        default=CustomerType.RESIDENT,
    )
    grade = models.CharField(
        _("grade"), max_length=16, choices=Grade.choices, default=Grade.GENERAL
    )
    special_care = models.CharField(
        _("special care"), max_length=16, choices=SpecialCare.choices, blank=True, default=""
    )
    fee_group = models.CharField(
        _("tariff group"),
        max_length=16,
        choices=FeeGroup.choices,
        blank=True,
        default="",
        db_default="",
    )
    notes = models.TextField(_("notes"), blank=True)
    long_term_since = models.DateField(
        _("project / long-term account since"),
        null=True,
        blank=True,
        help_text=_("Called back monthly in the first year, quarterly after (R-606)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["account_no"]
        permissions = [
            ("view_full_phone", _("Can see customers' full phone numbers")),
            ("export_customers", _("Can export customer personal data")),
            ("import_customers", _("Can import customers")),
            ("request_grade_change", _("Can request a grade change")),
            ("approve_grade_change", _("Can approve a grade change")),
            ("record_entry_error", _("Can record data-entry errors")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_no})"


class CustomerPhone(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="phones", verbose_name=_("customer")
    )
    number = models.CharField(_("phone number"), max_length=20, db_index=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customers_phone_unique")
        ]

    def __str__(self) -> str:
        return self.number


class Premises(models.Model):
    """The room a customer is supplied at: the join between a customer and the network."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="premises", verbose_name=_("customer")
    )
    building = models.ForeignKey(
        "area.Building",
        on_delete=models.PROTECT,
        related_name="premises",
        verbose_name=_("building"),
    )
    unit_no = models.CharField(_("unit"), max_length=16, blank=True)
    room_no = models.CharField(_("room"), max_length=16)
    # Denormalised from the building's substation so scope filters and routing use one index.
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="premises",
        verbose_name=_("heating station"),
    )
    address_text = models.CharField(_("address"), max_length=300, db_index=True)
    heated_area = models.DecimalField(_("heated area (m²)"), max_digits=10, decimal_places=2)
    # Billing (docs/billing.md): where the usable heated area is unknown (heated_area 0) the
    # bill uses the tariff's share of the building area; a premises connected or moved into
    # during a season is billed from that day.
    building_area = models.DecimalField(
        _("building area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    billed_from = models.DateField(_("billed from"), null=True, blank=True)
    status = models.CharField(
        _("supply status"),
        max_length=16,
        choices=SupplyStatus.choices,
        default=SupplyStatus.SUPPLIED,
    )
    metered = models.BooleanField(_("metered"), default=False)
    meter_no = models.CharField(_("meter number"), max_length=32, blank=True)
    equipment = models.TextField(_("equipment"), blank=True)

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["address_text"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit_no", "room_no"], name="customers_premises_unique"
            )
        ]

    def __str__(self) -> str:
        return self.address_text


class GradeChangeRequest(models.Model):
    """A grade change waits for a leader's approval (R-102)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="grade_requests",
        verbose_name=_("customer"),
    )
    from_grade = models.CharField(_("current grade"), max_length=16, choices=Grade.choices)
    to_grade = models.CharField(_("requested grade"), max_length=16, choices=Grade.choices)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("grade change request")
        verbose_name_plural = _("grade change requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="pending"),
                name="customers_one_pending_grade_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_grade} → {self.to_grade}"


class EntryError(models.Model):
    """A data-entry mistake attributed to the clerk who made it (R-104 assessment)."""

    class Kind(models.TextChoices):
        WRONG_VALUE = "wrong_value", _("Wrong value")
        MISSING_VALUE = "missing_value", _("Missing value")
        DUPLICATE = "duplicate", _("Duplicate record")
        LATE = "late", _("Entered late")

    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="entry_errors",
        verbose_name=_("clerk"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entry_errors",
        verbose_name=_("customer"),
    )
    field = models.CharField(_("field"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("noted by"),
    )
    noted_at = models.DateTimeField(_("noted at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("data-entry error")
        verbose_name_plural = _("data-entry errors")
        indexes = [models.Index(fields=["clerk", "noted_at"])]

    def __str__(self) -> str:
        return f"{self.clerk}: {self.get_kind_display()} {self.field}"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Emptied when the file is deleted after settings.IMPORT_FILE_RETENTION_DAYS.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only (dry run)"), default=False)
    create_buildings = models.BooleanField(_("create missing buildings"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    # A running job belongs to the worker whose claim (attempt) holds an unexpired lease;
    # the worker renews it with every chunk. A job whose lease ran out (its worker died)
    # is claimed again and continues from its checkpoint: the last committed chunk's row
    # and the report so far, written in that chunk's transaction.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    checkpoint = models.JSONField(_("checkpoint"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))
