"""What outages shows on other apps' pages (registered in apps.py): the banner and the
derived supply status on the customer 360 page, the fault choice on intake, and the
"link to a major fault" form on the case page."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from utilitydesk.area.models import Utility

from .interruption_selectors import active_for_premises, covering, history_for_premises
from .models import ACTIVE_STATES, Interruption, InterruptionLink, InterruptionState
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
    if not faults:
        return None  # none open that the user may see, so none covers the caller either
    covering = _faults_of(request.user, customer).values() if customer else ()
    affecting = {f.pk: f for found in covering for f in found}
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


# --- supply interruptions --------------------------------------------------------------------

STOP_WORDS: dict[tuple[bool, str], Any] = {
    (True, Utility.HEAT): gettext_lazy("planned heating stop"),
    (False, Utility.HEAT): gettext_lazy("unplanned heating stop"),
    (True, Utility.GAS): gettext_lazy("planned gas stop"),
    (False, Utility.GAS): gettext_lazy("unplanned gas stop"),
    (True, Utility.WATER): gettext_lazy("planned water stop"),
    (False, Utility.WATER): gettext_lazy("unplanned water stop"),
}


def _until(moment) -> str:
    local = timezone.localtime(moment)
    same_day = local.date() == timezone.localtime().date()
    return local.strftime("%H:%M" if same_day else "%m-%d %H:%M")


def headline(interruption: Interruption) -> str:
    """What the hotline says first: "您所在楼宇 计划停热 至 18:00"."""
    what = STOP_WORDS.get((interruption.planned, interruption.utility), interruption.title)
    if interruption.state == InterruptionState.ANNOUNCED and interruption.start_at > timezone.now():
        return _("Your building: %(what)s from %(start)s to %(end)s") % {
            "what": what,
            "start": _until(interruption.start_at),
            "end": _until(interruption.expected_restoration_at),
        }
    return _("Your building: %(what)s until %(end)s") % {
        "what": what,
        "end": _until(interruption.expected_restoration_at),
    }


def _active_of(customer) -> dict[int, list[Interruption]]:
    """{premises id: active interruptions}, once per page and customer."""
    cache = getattr(customer, "_active_interruptions", None)
    if cache is None:
        cache = active_for_premises([p.pk for p in customer.premises.all()])
        customer._active_interruptions = cache
    return cache


def _unique(by_premises: dict[int, list[Interruption]]) -> list[Interruption]:
    found = {i.pk: i for rows in by_premises.values() for i in rows}
    return sorted(found.values(), key=lambda i: i.start_at)


def interruption_intake_section(request, customer) -> dict[str, Any] | None:
    """Intake: active interruptions covering the caller's premises, shown first, with the
    call linked to the first one by default (the radio ``interruption``; a call about
    supply is then not dispatched, and its case closes with the restoration)."""
    if customer is None:
        return None
    active = _unique(_active_of(customer))
    if not active:
        return None
    source = request.POST if request.method == "POST" else request.GET
    raw = source.get("interruption", None)
    chosen: int | None
    if raw is None:
        chosen = active[0].pk
    else:
        chosen = int(raw) if raw.isdecimal() and len(raw) < 19 else None
    return {
        "interruptions_active": [{"row": i, "headline": headline(i)} for i in active],
        "chosen_interruption": chosen,
    }


def interruption_banner_context(request, customer) -> dict:
    active = _unique(_active_of(customer))
    return {"rows": [{"row": i, "headline": headline(i)} for i in active], "hidden": not active}


def interruption_history_context(request, customer) -> dict:
    premises = [p.pk for p in customer.premises.all()]
    rows = history_for_premises(request.user, premises)
    return {"rows": rows, "hidden": not rows}


def interruption_flags(user, premises: list) -> dict[int, list[str]]:
    """Supply status derived from the interruption in progress: "停供中（至 18:00）". The
    stored status (supplied / suspended / closed) is the customer's own and stays."""
    if not premises:
        return {}
    covered = _active_of(premises[0].customer)
    flags: dict[int, list[str]] = {}
    for p in premises:
        for interruption in covered.get(p.pk, []):
            if interruption.state == InterruptionState.IN_PROGRESS:
                flags.setdefault(p.pk, []).append(
                    _("Supply interrupted until %(end)s")
                    % {"end": _until(interruption.expected_restoration_at)}
                )
    return flags


def interruption_case_section(request, case) -> dict[str, Any] | None:
    """The case page: the interruption the case is linked to, or a form linking it to an
    active one covering its place."""
    links = list(
        InterruptionLink.objects.filter(case=case).select_related("interruption").order_by("pk")
    )
    linkable: list[Interruption] = []
    if request.user.has_perm("outages.manage_interruption") or request.user.has_perm(
        "cases.add_contact"
    ):
        linked = {link.interruption_id for link in links}
        linkable = [
            i
            for i in covering(case.premises_id, case.building_id, ACTIVE_STATES)
            if i.pk not in linked
        ]
    if not (links or linkable):
        return None
    return {"interruption_links": links, "interruptions_to_link": linkable}


def interruption_lookup_notes(user: Any, premises_ids: list[int]) -> dict[int, list[str]]:
    """The screen-pop box: each premises' active interruptions, as the hotline says them."""
    return {
        premises_id: [headline(i) for i in rows]
        for premises_id, rows in active_for_premises(premises_ids).items()
    }
