"""Reads of major faults, limited to what the user may see."""

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.area.models import Building, Substation
from utilitydesk.org.models import OrgUnit
from utilitydesk.org.selectors import station_scope

from .models import MajorFault


def fault_units_of(user: AnyUser) -> set[int] | None:
    """The units whose major faults a person deals with: None for company-wide positions,
    otherwise their stations and the teams under them."""
    scope = station_scope(user)
    if scope is None:
        return None
    teams = OrgUnit.objects.filter(parent_id__in=scope).values_list("pk", flat=True)
    return set(scope) | set(teams)


def visible_faults(user: AnyUser) -> QuerySet[MajorFault]:
    """Major faults the user may see: all of them company-wide, otherwise those naming one
    of the user's units."""
    if not user.has_perm("outages.view_majorfault"):
        return MajorFault.objects.none()
    units = fault_units_of(user)
    if units is None:
        return MajorFault.objects.all()
    naming = MajorFault.units.through.objects.filter(orgunit_id__in=units)
    return MajorFault.objects.filter(pk__in=naming.values("majorfault_id"))


def may_act_on_fault(user: AnyUser, fault: MajorFault) -> bool:
    """Analysing a fault and texting its report to customers is for people with the
    permission whose scope covers every unit the fault names (a station head acts on
    their own station's faults only)."""
    if not user.has_perm("outages.manage_major_fault"):
        return False
    units = fault_units_of(user)
    if units is None:
        return True
    named = {unit.pk for unit in fault.units.all()}
    return bool(named) and named <= units


def open_faults(user: AnyUser | None = None) -> QuerySet[MajorFault]:
    faults = visible_faults(user) if user is not None else MajorFault.objects.all()
    return faults.filter(state=MajorFault.State.OPEN).order_by("-occurred_at")


def open_fault(user: AnyUser, fault_id: int) -> MajorFault | None:
    """The open fault ``fault_id`` if the user may see it: what a call may be linked to
    (registered with cases.hooks for intake)."""
    return open_faults(user).filter(pk=fault_id).first()


def faults_affecting(
    user: AnyUser, buildings: Iterable[Building | None]
) -> dict[int, list[MajorFault]]:
    """Open major faults the user may see that cover each of ``buildings`` (named
    directly, or through the substation serving it): {building id: [faults]}."""
    present = [b for b in buildings if b is not None]
    if not present:
        return {}
    building_ids = {b.pk for b in present}
    substation_ids = {b.substation_id for b in present if b.substation_id}
    faults = list(
        open_faults(user)
        .filter(Q(buildings__in=building_ids) | Q(substations__in=substation_ids))
        .distinct()
        .prefetch_related(
            # Only the rows that matter here: a fault may name a whole district.
            Prefetch("buildings", queryset=Building.objects.filter(pk__in=building_ids)),
            Prefetch("substations", queryset=Substation.objects.filter(pk__in=substation_ids)),
        )
    )
    covered: dict[int, list[MajorFault]] = {}
    for fault in faults:
        named_buildings = {b.pk for b in fault.buildings.all()}
        named_substations = {s.pk for s in fault.substations.all()}
        for building in present:
            if building.pk in named_buildings or building.substation_id in named_substations:
                covered.setdefault(building.pk, []).append(fault)
    return covered
