"""Which units a person works in: the one rule the lifecycle table and the selectors share."""

from utilitydesk.org.models import OrgUnit
from utilitydesk.org.selectors import active_assignments, subtree_ids


def unit_ids_of(user) -> set[int]:
    cached = getattr(user, "_case_unit_ids", None)
    if cached is None:
        cached = {a.unit_id for a in active_assignments(user)}
        user._case_unit_ids = cached
    return cached


def queue_units_of_unit(unit: OrgUnit) -> set[int]:
    """A unit and every unit under it (a station and its teams)."""
    return subtree_ids([unit.pk])[unit.pk]


def in_unit_scope(user, unit: OrgUnit | None) -> bool:
    """Does the user work in ``unit`` or in a unit under it (a team under its station)?"""
    if user.is_superuser:
        return True
    if unit is None:
        return False
    mine = unit_ids_of(user)
    return unit.pk in mine or bool(mine & queue_units_of_unit(unit))
