from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """R-501, each with its handling path (docs/complaints.md)."""

    REPAIR = "repair", _("Repair")
    HEATING_QUALITY = "heating_quality", _("Heating quality")
    FEE = "fee", _("Fee")
    CONDUCT = "conduct", _("Service attitude / staff conduct")
    OTHER = "other", _("Other")


HANDLING_PATHS: dict[str, str | Promise] = {
    Category.REPAIR: _("Site visit and repair by the station (R-501)."),
    Category.HEATING_QUALITY: _(
        "Measure the indoor temperature and adjust the heating (R-501, R-7)."
    ),
    Category.FEE: _("Check the bill against the tariff and correct errors (R-501)."),
    Category.CONDUCT: _(
        "Hear both sides, apologise where due, and hold the staff member responsible."
    ),
    Category.OTHER: _("The service centre coordinates; disagreements go to the service office."),
}


class Level(models.IntegerChoices):
    """R-502: level 1 is serious (media, government, group, safety)."""

    SERIOUS = 1, _("Level 1 (serious)")
    NORMAL = 2, _("Level 2")
    MINOR = 3, _("Level 3")


class Responsibility(models.TextChoices):
    """R-503."""

    VIOLATION = "violation", _("Company fault: violation of rules")
    NEGLIGENCE = "negligence", _("Company fault: negligence")
    MISTAKE = "mistake", _("Company fault: ordinary mistake")
    MISUNDERSTANDING = "misunderstanding", _("Customer misunderstanding")
    CUSTOMER_OWN = "customer_own", _("The customer's own problem")


COMPANY_FAULT = {Responsibility.VIOLATION, Responsibility.NEGLIGENCE, Responsibility.MISTAKE}


class Complaint(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="complaint")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    level = models.PositiveSmallIntegerField(
        _("level"), choices=Level.choices, default=Level.NORMAL
    )
    source_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_up_complaints",
        verbose_name=_("complaint about case"),
    )
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True
    )
    valid = models.BooleanField(_("valid complaint"), null=True)
    responsible_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit held responsible"),
    )
    responsible_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member held responsible"),
    )
    corrective_actions = models.TextField(_("corrective actions"), blank=True)
    determined_at = models.DateTimeField(_("determined at"), null=True, blank=True)
    determined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    important = models.BooleanField(_("important (kept longer)"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [
            ("classify_complaint", _("Can set a complaint's category and level")),
            ("determine_complaint", _("Can determine complaint responsibility")),
            ("rule_appeal", _("Can rule on complaint appeals")),
            ("mark_important", _("Can mark a complaint important (kept permanently)")),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_category_display()}"

    @property
    def handling_path(self) -> str:
        return str(HANDLING_PATHS.get(self.category, ""))

    @property
    def counts(self) -> bool:
        """Counts in assessments: valid, company fault, and no upheld appeal (R-503, R-504)."""
        if not self.valid or self.responsibility not in COMPANY_FAULT:
            return False
        return not self.appeals.filter(status=Appeal.Status.UPHELD).exists()


class Appeal(models.Model):
    """申诉 (R-504): the unit held responsible contests the determination."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UPHELD = "upheld", _("Upheld (determination set aside)")
        REJECTED = "rejected", _("Rejected")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="appeals")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ruled_at = models.DateTimeField(null=True, blank=True)
    ruling = models.TextField(_("ruling"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.status}"
