from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
