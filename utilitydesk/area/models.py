from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A residential compound (小区)."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="communities", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["district__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="area_community_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Utility(models.TextChoices):
    HEAT = "heat", _("District heating")
    GAS = "gas", _("Gas")
    WATER = "water", _("Water")


class Source(models.Model):
    """Where supply enters the network: a heat source (热源: a plant or boiler house), a gas
    gate station, a waterworks. The root of the network tree an interruption is scoped on."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    utility = models.CharField(
        _("utility"), max_length=8, choices=Utility.choices, default=Utility.HEAT
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("supply source")
        verbose_name_plural = _("supply sources")
        ordering = ["code"]
        permissions = [("import_network", _("Can import the supply network"))]

    def __str__(self) -> str:
        return self.name


class Substation(models.Model):
    """A heat-exchange station (换热站) run by one heating station; for gas and water the
    same level of the network is a pressure zone or a valve district."""

    class Kind(models.TextChoices):
        HEAT_EXCHANGE = "heat_exchange", _("Heat-exchange station")
        PRESSURE_ZONE = "pressure_zone", _("Pressure zone")
        VALVE_DISTRICT = "valve_district", _("Valve district")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.HEAT_EXCHANGE
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substations",
        verbose_name=_("supply source"),
    )
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="substations",
        verbose_name=_("heating station"),
    )

    class Meta:
        verbose_name = _("substation")
        verbose_name_plural = _("substations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A grid (网格) of buildings with one responsible person (grid management)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="grids",
        verbose_name=_("heating station"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grids",
        verbose_name=_("responsible person"),
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("community")
    )
    name = models.CharField(_("building"), max_length=50)
    substation = models.ForeignKey(
        Substation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("substation"),
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("grid"),
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="area_building_unique")
        ]

    def __str__(self) -> str:
        return f"{self.community.name}{self.name}"

    @property
    def station(self):
        if self.substation_id:
            return self.substation.station
        if self.grid_id:
            return self.grid.station
        return None


class PipeSection(models.Model):
    """A section of pipe the company records: from a source or a substation to a
    substation or a building. Optional: the tree is complete without any."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    utility = models.CharField(
        _("utility"), max_length=8, choices=Utility.choices, default=Utility.HEAT
    )
    from_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pipe_sections",
        verbose_name=_("from source"),
    )
    from_substation = models.ForeignKey(
        Substation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pipe_sections_out",
        verbose_name=_("from substation"),
    )
    to_substation = models.ForeignKey(
        Substation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pipe_sections_in",
        verbose_name=_("to substation"),
    )
    to_building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pipe_sections_in",
        verbose_name=_("to building"),
    )
    length_m = models.DecimalField(
        _("length (m)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    diameter_mm = models.PositiveIntegerField(_("nominal diameter (mm)"), null=True, blank=True)
    laid_year = models.PositiveSmallIntegerField(_("year laid"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pipe section")
        verbose_name_plural = _("pipe sections")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(from_source__isnull=False, from_substation__isnull=True)
                    | models.Q(from_source__isnull=True, from_substation__isnull=False)
                ),
                name="area_pipe_one_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(to_substation__isnull=False, to_building__isnull=True)
                    | models.Q(to_substation__isnull=True, to_building__isnull=False)
                ),
                name="area_pipe_one_end",
            ),
        ]

    def __str__(self) -> str:
        return self.code
