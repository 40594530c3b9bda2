"""Routing rules (R-302) as the dispatcher and the service office keep them: saved,
switched off and on, moved up and down; and the preview "where does a case go?".
``route`` applies them when a case is created or dispatched."""

import copy
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from utilitydesk.area.models import Building, Substation
from utilitydesk.audit.services import diff_values, record_changes
from utilitydesk.customers.models import Premises
from utilitydesk.kernel import versions
from utilitydesk.org.models import DepartmentFunction, OrgUnit

from .models import Kind, RoutingRule


def route(
    kind: str, premises: Premises | None, building: Building | None = None
) -> tuple[OrgUnit | None, RoutingRule | None]:
    """The responsible unit for a case (R-302): the first matching active rule. The place
    is the premises, or for a caller without a customer record the building picked at
    intake (its station through its substation or grid)."""
    if premises is not None:
        return route_place(kind, premises.station, premises.building.grid_id)
    if building is not None:
        return route_place(kind, building.station, building.grid_id)
    return route_place(kind, None, None)


def route_place(
    kind: str, station: OrgUnit | None, grid_id: int | None
) -> tuple[OrgUnit | None, RoutingRule | None]:
    """The first active rule matching a kind and a place's station and grid."""
    station_id = station.pk if station else None
    active, by_function = _active_rules()
    for rule in active:
        if rule.kind and rule.kind != kind:
            continue
        if rule.station_id and rule.station_id != station_id:
            continue
        if rule.grid_id and rule.grid_id != grid_id:
            continue
        unit = None
        if rule.target == RoutingRule.Target.PREMISES_STATION:
            unit = station if station is not None and station.is_active else None
        elif rule.target == RoutingRule.Target.FUNCTION:
            unit = copy.copy(by_function.get(rule.target_function))
        else:
            unit = copy.copy(rule.target_unit)
        if unit is not None:
            return unit, copy.copy(rule)
    return None, None


# The data version raised by every change of the rules or of the units they send to.
ROUTING = versions.register("routing")
_cache: dict[str, Any] = {"version": None, "rules": [], "by_function": {}}


def _active_rules() -> tuple[list[RoutingRule], dict[str, OrgUnit]]:
    """The active rules in order and the first active unit of each function they name,
    kept per process while the routing version stays (copies are handed out)."""
    version = versions.current(ROUTING)
    if _cache["version"] != version:
        active = list(RoutingRule.objects.filter(is_active=True).select_related("target_unit"))
        functions = {
            rule.target_function for rule in active if rule.target == RoutingRule.Target.FUNCTION
        }
        by_function: dict[str, OrgUnit] = {}
        if functions:
            for unit in OrgUnit.objects.filter(function__in=functions, is_active=True):
                by_function.setdefault(unit.function, unit)
        _cache.update(version=version, rules=active, by_function=by_function)
    return _cache["rules"], _cache["by_function"]


def routing_changed(**_kwargs: Any) -> None:
    """Receiver of the rules' and units' saves and deletions (cases/apps.py)."""
    versions.bump(ROUTING)


RULE_FIELDS = [
    "priority",
    "name",
    "kind",
    "station",
    "grid",
    "target",
    "target_function",
    "target_unit",
    "is_active",
]


def may_edit_rules(user) -> bool:
    return user.has_perm("cases.change_routingrule") and user.has_perm("cases.add_routingrule")


def _require(actor) -> None:
    if not may_edit_rules(actor):
        raise PermissionDenied(_("You are not allowed to change the routing rules."))


def rules() -> list[RoutingRule]:
    """Every rule in the order they are tried, each with ``target_label`` (where it sends)."""
    ordered = list(
        RoutingRule.objects.select_related("station", "grid", "target_unit").order_by(
            "priority", "id"
        )
    )
    by_function: dict[str, str] = {}
    for function, name in (
        OrgUnit.objects.filter(is_active=True).exclude(function="").order_by("code")
    ).values_list("function", "name"):
        by_function.setdefault(function, name)
    for rule in ordered:
        rule.target_label = target_label(rule, by_function)  # type: ignore[attr-defined]  # display-only
    return ordered


def target_label(rule: RoutingRule, by_function: dict[str, str]) -> str:
    if rule.target == RoutingRule.Target.UNIT:
        return rule.target_unit.name if rule.target_unit else "—"
    if rule.target == RoutingRule.Target.FUNCTION:
        function = (
            DepartmentFunction(rule.target_function).label
            if rule.target_function in DepartmentFunction.values
            else rule.target_function
        )
        unit = by_function.get(rule.target_function)
        if unit is None:
            return _("No active unit with the function %(function)s") % {"function": function}
        return _("%(unit)s (function: %(function)s)") % {"unit": unit, "function": function}
    return str(rule.get_target_display())


@transaction.atomic
def save_rule(actor, rule: RoutingRule, before: dict | None = None) -> RoutingRule:
    """Save a rule filled in from the form (new when it has no pk); every change is kept
    in the change history with who made it."""
    _require(actor)
    created = rule.pk is None
    rule.save()
    changes = diff_values({} if created else (before or {}), snapshot(rule))
    if changes:
        record_changes(rule, changes, "web", actor=actor)
    return rule


def snapshot(rule: RoutingRule) -> dict:
    """The rule's fields as they are before an edit (for the change history)."""
    return {name: getattr(rule, name) for name in RULE_FIELDS}


@transaction.atomic
def set_active(actor, rule_id: int, active: bool) -> RoutingRule:
    _require(actor)
    rule = RoutingRule.objects.select_for_update().get(pk=rule_id)
    if rule.is_active != active:
        record_changes(
            rule,
            diff_values({"is_active": rule.is_active}, {"is_active": active}),
            "web",
            actor=actor,
        )
        rule.is_active = active
        rule.save(update_fields=["is_active"])
    return rule


@transaction.atomic
def move(actor, rule_id: int, up: bool) -> None:
    """Swap a rule with its neighbour in the order (priority, then age). Rules sharing a
    priority are given distinct ones first so that the swap is visible."""
    _require(actor)
    ordered = list(RoutingRule.objects.select_for_update().order_by("priority", "id"))
    index = next((i for i, r in enumerate(ordered) if r.pk == rule_id), None)
    if index is None:
        raise RoutingRule.DoesNotExist
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    before = {r.pk: r.priority for r in ordered}
    if len({r.priority for r in ordered}) < len(ordered):
        for position, rule in enumerate(ordered, start=1):
            rule.priority = position * 10
    ordered[index].priority, ordered[other].priority = (
        ordered[other].priority,
        ordered[index].priority,
    )
    changed = [r for r in ordered if before[r.pk] != r.priority]
    RoutingRule.objects.bulk_update(changed, ["priority"])
    versions.bump(ROUTING)  # bulk_update sends no signals
    for rule in changed:
        record_changes(
            rule,
            diff_values({"priority": before[rule.pk]}, {"priority": rule.priority}),
            "web",
            actor=actor,
        )


@dataclass
class PreviewRow:
    kind: str
    kind_label: str
    unit: OrgUnit | None
    rule: RoutingRule | None


def preview(
    building: Building | None, substation: Substation | None, kind: str = ""
) -> tuple[str, list[PreviewRow]]:
    """Where the active rules send a case of each kind (or of ``kind``) about a building,
    or about any building a substation serves: the place's name and one row per kind."""
    if building is not None:
        place = str(building)
        station, grid_id = building.station, building.grid_id
    elif substation is not None:
        place = substation.name
        station, grid_id = substation.station, None
    else:
        place = _("a caller with no known place")
        station, grid_id = None, None
    kinds = [(k, label) for k, label in Kind.choices if not kind or k == kind]
    rows = []
    for value, label in kinds:
        unit, rule = route_place(value, station, grid_id)
        rows.append(PreviewRow(value, str(label), unit, rule))
    return place, rows
