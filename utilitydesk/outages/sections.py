"""What outages shows on other apps' pages (registered in apps.py): the banner and the
derived supply status on the customer 360 page, the fault choice on intake, and the
"link to a major fault" form on the case page."""

from typing import Any

from django.utils.translation import gettext as _

from .selectors import faults_affecting, open_faults

# --- the customer 360 page ---------------------------------------------------------------


def _faults_of(user, customer) -> dict[int, list]:
    """{premises id: open faults covering it}, computed once per page and customer."""
    cache = getattr(customer, "_faults_by_premises", None)
    if cache is None or cache[0] != getattr(user, "pk", None):
        premises = list(customer.premises.all())
        by_building = faults_affecting(user, [p.building for p in premises])
        cache = (
            getattr(user, "pk", None),
            {p.pk: by_building.get(p.building_id, []) for p in premises},
        )
        customer._faults_by_premises = cache
    return cache[1]


def fault_banner_context(request, customer) -> dict:
    faults = {f.pk: f for found in _faults_of(request.user, customer).values() for f in found}
    return {"rows": list(faults.values()), "hidden": not faults}


def fault_flags(user, premises: list) -> dict[int, list[str]]:
    """Supply status derived from open faults: "affected by a major fault"."""
    if not premises:
        return {}
    # The premises of one customer, prefetched from it: the banner's reading is reused.
    covered = _faults_of(user, premises[0].customer)
    return {p.pk: [_("Affected by a major fault")] for p in premises if covered.get(p.pk)}


# --- intake --------------------------------------------------------------------------------


def _fault_id(raw: str) -> int | None:
    return int(raw) if raw.isdecimal() and len(raw) < 19 else None


def intake_section(request, customer) -> dict[str, Any] | None:
    """Open major faults for the intake page: those covering the caller's buildings on
    top (a banner), and the others below, each offered as "this call is about it" (the
    radio ``major_fault``, read by the intake view into ``ContactInput.major_fault_id``)."""
    faults = list(open_faults(request.user).prefetch_related("substations")[:20])
    buildings = [p.building for p in customer.premises.all()] if customer else []
    covering = faults_affecting(request.user, buildings)
    affecting = {f.pk: f for found in covering.values() for f in found}
    if not (faults or affecting):
        return None
    source = request.POST if request.method == "POST" else request.GET
    chosen = _fault_id(source.get("major_fault", source.get("fault", "")))
    others = [f for f in faults if f.pk not in affecting]
    return {
        "faults_affecting": list(affecting.values()),
        "faults_other": others,
        "chosen_fault": chosen,
        "chosen_other": any(f.pk == chosen for f in others),
    }


# --- the case page -------------------------------------------------------------------------


def case_section(request, case) -> dict[str, Any] | None:
    """The form linking the case to an open fault, for people who manage faults."""
    if not request.user.has_perm("outages.manage_major_fault"):
        return None
    faults = list(open_faults(request.user))
    return {"faults_to_link": faults} if faults else None
