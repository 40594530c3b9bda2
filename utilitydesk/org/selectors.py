from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from utilitydesk.accounts.typing import Actor, AnyUser

from .models import Assignment, OrgUnit, UnitKind
from .roles import SCOPED_POSITIONS

User = get_user_model()


def active_assignments(user: Actor) -> QuerySet[Assignment]:
    return Assignment.objects.filter(user=user, is_active=True).select_related("unit__parent")


def subtree_ids(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each unit with every unit under it, from one read of the (small) unit tree."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in OrgUnit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(unit_id)
    trees: dict[int, set[int]] = {}
    for root in unit_ids:
        ids, frontier = {root}, [root]
        while frontier:
            frontier = [child for unit in frontier for child in children.get(unit, [])]
            ids.update(frontier)
        trees[root] = ids
    return trees


def station_of(unit: OrgUnit) -> OrgUnit | None:
    for node in unit.ancestors():
        if node.kind == UnitKind.STATION:
            return node
    return None


def station_scope(user: AnyUser) -> set[int] | None:
    """Station ids the user is limited to, or None when the user sees the whole company.

    A person with any company-wide position sees everything; a person holding only field
    positions (technician, team leader, station head) sees their stations' customers.
    """
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    cached = getattr(user, "_station_scope_cache", False)
    if cached is not False:
        return cast("set[int] | None", cached)
    stations: set[int] = set()
    scope: set[int] | None = stations
    for assignment in active_assignments(user):
        if assignment.position not in SCOPED_POSITIONS:
            scope = None
            break
        station = station_of(assignment.unit)
        if station is not None:
            stations.add(station.pk)
    setattr(user, "_station_scope_cache", scope)  # noqa: B010 - a per-request memo, not a field
    return scope


def everyone_holding(position: str) -> QuerySet[Any]:
    """Every active person holding ``position`` anywhere (the service office that watches
    the alerts, say), once each."""
    return User.objects.filter(
        assignments__position=position, assignments__is_active=True, is_active=True
    ).distinct()


def holders_of(position: str, unit: OrgUnit) -> list[Actor]:
    """People holding ``position`` at ``unit`` or, failing that, at its nearest ancestor.

    This is how a rule such as "notify the station head" is resolved against a case's unit.
    """
    for node in unit.ancestors():
        users = list(
            User.objects.filter(
                assignments__unit=node,
                assignments__position=position,
                assignments__is_active=True,
                is_active=True,
            ).distinct()
        )
        if users:
            return users
    return []


def stations() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(kind=UnitKind.STATION, is_active=True)


def positions_of(user: Actor) -> list[Assignment]:
    return list(active_assignments(user).order_by("unit__code", "position"))


def works_in_function(user: Actor, *functions: str) -> bool:
    """Does the user hold an active position in a department with one of ``functions``
    (the service centre, the service office, …)?"""
    if user.is_superuser:
        return True
    return active_assignments(user).filter(unit__function__in=functions).exists()


# Positions whose home page is the management overview (the KPI issue deepens it).
LEADER_POSITIONS = (
    "general_manager",
    "deputy_gm",
    "parent_gm",
    "department_head",
    "service_office",
)


def leader_unit(user: Actor) -> OrgUnit | None:
    """The unit a leader's overview is about: the company of their most senior leading
    position (a department head sees the company's figures, as the service centre answers
    for the whole company's customers)."""
    ranked = sorted(
        (a for a in positions_of(user) if a.position in LEADER_POSITIONS),
        key=lambda a: LEADER_POSITIONS.index(a.position),
    )
    if not ranked:
        return None
    unit = ranked[0].unit
    for node in unit.ancestors():
        if node.kind in (UnitKind.COMPANY, UnitKind.PARENT_COMPANY):
            return node
    return unit
