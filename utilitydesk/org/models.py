from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PARENT_COMPANY = "parent_company", _("Parent company")
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    STATION = "station", _("Heating station")
    TEAM = "team", _("Team")


class DepartmentFunction(models.TextChoices):
    """What a department does; routing (R-302) chooses units by function."""

    SERVICE_CENTRE = "service_centre", _("Service centre")
    REPAIR = "repair", _("Repair")
    BILLING = "billing", _("Billing")
    OPERATIONS = "operations", _("Operations")
    SERVICE_OFFICE = "service_office", _("Service-management office")
    MANAGEMENT = "management", _("Management")
    OTHER = "other", _("Other")


class Position(models.TextChoices):
    AGENT = "agent", _("Hotline agent")
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Technician")
    TEAM_LEADER = "team_leader", _("Team leader")
    STATION_HEAD = "station_head", _("Station head")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    DEPUTY_GM = "deputy_gm", _("Deputy general manager in charge")
    GENERAL_MANAGER = "general_manager", _("General manager")
    PARENT_GM = "parent_gm", _("Parent company general manager")
    BILLING_CLERK = "billing_clerk", _("Billing clerk")
    SERVICE_OFFICE = "service_office", _("Service-office staff")
    ADMINISTRATOR = "administrator", _("Administrator")


class OrgUnit(models.Model):
    """A node of the organisation tree: parent company › company › department/station › team."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    function = models.CharField(
        _("function"), max_length=20, choices=DepartmentFunction.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["OrgUnit"]:
        """This unit and its parents up to the root, nearest first."""
        chain: list[OrgUnit] = []
        unit: OrgUnit | None = self
        seen: set[int] = set()
        while unit is not None and unit.pk not in seen:
            chain.append(unit)
            seen.add(unit.pk)
            unit = unit.parent
        return chain


class Assignment(models.Model):
    """A person holds a position in a unit; one person may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("person"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit")
    )
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("position assignment")
        verbose_name_plural = _("position assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "position"], name="org_assignment_unique"
            )
        ]
        indexes = [models.Index(fields=["unit", "position", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_position_display()} · {self.unit}"
