"""Daily counts of the KPIs (docs/kpis.md, "Daily counts"): for each local day, each KPI
part and each unit or person it is charged to, the rows the definition counts and those
meeting the numerator's condition. A day's counts are the definition's grouped query by
day, written by `kpis.services.count_days`; the selectors sum them for the days counted
and count live for the others, so a month is a sum over a few thousand rows."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CountedDay(models.Model):
    """A local day whose counts are stored, and when they were counted: the figures read
    from it are as of that moment."""

    day = models.DateField(_("day"), unique=True)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("counted day")
        verbose_name_plural = _("counted days")

    def __str__(self) -> str:
        return self.day.isoformat()


class Holder(models.TextChoices):
    UNIT = "unit", pgettext_lazy("organisation", "Unit")
    PERSON = "person", _("Person")


class DayCount(models.Model):
    day = models.DateField(_("day"))
    kpi = models.CharField(_("KPI"), max_length=40)
    part = models.CharField(_("part"), max_length=12)
    holder = models.CharField(_("charged to"), max_length=6, choices=Holder.choices)
    holder_id = models.BigIntegerField(_("unit or person"))
    rows = models.PositiveIntegerField(_("rows"))
    hits = models.PositiveIntegerField(_("rows meeting the numerator"))

    class Meta:
        verbose_name = _("daily KPI count")
        verbose_name_plural = _("daily KPI counts")
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "kpi", "part", "day", "holder_id"], name="kpi_day_count_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kpi} {self.part} {self.holder} {self.holder_id}"
