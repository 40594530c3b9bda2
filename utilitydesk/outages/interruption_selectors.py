"""Reads of supply interruptions, limited to what the user may see."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from utilitydesk.notifications.services import notice_status
from utilitydesk.policy.models import PolicyVersion

from .models import (
    ACTIVE_STATES,
    AffectedPremises,
    Interruption,
    InterruptionLink,
    InterruptionState,
    SpecialCareCall,
)
from .selectors import fault_units_of

VIEW = "outages.view_interruption"
MANAGE = "outages.manage_interruption"


def visible_interruptions(user: Any) -> QuerySet[Interruption]:
    """All interruptions for company-wide positions with the view permission; a station's
    own (and company-wide ones, without a station) for station positions."""
    if user is None or not (user.has_perm(VIEW) or user.has_perm(MANAGE)):
        return Interruption.objects.none()
    units = fault_units_of(user)
    if units is None:
        return Interruption.objects.all()
    return Interruption.objects.filter(Q(station_id__in=units) | Q(station__isnull=True))


def may_manage(user: Any, interruption: Interruption | None = None) -> bool:
    """Recording and running interruptions: the permission, and for station positions
    only their own station's."""
    if not user.has_perm(MANAGE):
        return False
    if interruption is None:
        return True
    units = fault_units_of(user)
    return units is None or interruption.station_id in units


@dataclass(frozen=True)
class InterruptionFilters:
    state: str = ""
    utility: str = ""
    planned: bool | None = None
    active_only: bool = False
    premises_id: int | None = None
    q: str = ""


def search_interruptions(user: Any, filters: InterruptionFilters) -> QuerySet[Interruption]:
    found = visible_interruptions(user).select_related("station", "recorded_by")
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.utility:
        found = found.filter(utility=filters.utility)
    if filters.planned is not None:
        found = found.filter(planned=filters.planned)
    if filters.active_only:
        found = found.filter(state__in=ACTIVE_STATES)
    if filters.premises_id:
        found = found.filter(
            Exists(
                AffectedPremises.objects.filter(
                    interruption=OuterRef("pk"), premises_id=filters.premises_id
                )
            )
        )
    if filters.q:
        found = found.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    return found.order_by("-start_at", "-id")


def active_for_premises(premises_ids: list[int]) -> dict[int, list[Interruption]]:
    """{premises id: active interruptions covering it}: the screen-pop's check, through the
    premises index of the scope snapshot. Not limited by the user: a caller is told
    about their own supply whoever takes the call."""
    if not premises_ids:
        return {}
    rows = (
        AffectedPremises.objects.filter(
            premises_id__in=premises_ids, interruption__state__in=ACTIVE_STATES
        )
        .select_related("interruption")
        .order_by("interruption__start_at")
    )
    found: dict[int, list[Interruption]] = {}
    for row in rows:
        found.setdefault(row.premises_id, []).append(row.interruption)
    return found


def covering(
    premises_id: int | None, building_id: int | None, states: Iterable[str]
) -> QuerySet[Interruption]:
    """Interruptions in ``states`` whose scope snapshot holds the premises (or, for a
    caller without premises, any premises of the building)."""
    if premises_id:
        holds = AffectedPremises.objects.filter(
            interruption=OuterRef("pk"), premises_id=premises_id
        )
    elif building_id:
        holds = AffectedPremises.objects.filter(
            interruption=OuterRef("pk"), building_id=building_id
        )
    else:
        return Interruption.objects.none()
    return Interruption.objects.filter(Exists(holds), state__in=list(states))


def linkable_interruption(
    user: Any, interruption_id: int, premises_id: int | None, building_id: int | None
) -> Interruption | None:
    """The active interruption ``interruption_id`` if a call about those premises (or
    building) may be linked to it, else None."""
    return (
        covering(premises_id, building_id, ACTIVE_STATES)
        .filter(pk=interruption_id)
        .select_related("policy")
        .first()
    )


def restored_recently(
    premises_id: int | None, building_id: int | None, now: datetime
) -> list[Interruption]:
    """Interruptions restored within their policy's check window before ``now`` covering
    the premises (R-401: a call about no supply then is a new fault, and flags it)."""
    states = (InterruptionState.RESTORED, InterruptionState.CLOSED)
    window = {
        "actual_restoration_at__lte": now,
        "actual_restoration_at__gte": now - timedelta(days=7),
    }
    # Asked at every no-supply call: most days nothing was restored lately, and this plain
    # check costs a fraction of building the scope query below.
    if not Interruption.objects.filter(state__in=states, **window).exists():
        return []
    found = covering(premises_id, building_id, states).filter(**window).select_related("policy")
    return [
        i
        for i in found
        if i.actual_restoration_at is not None and now - i.actual_restoration_at <= check_window(i)
    ]


def check_window(interruption: Interruption) -> timedelta:
    return timedelta(hours=policy_value(interruption.policy, "outage_recheck_hours"))


def policy_value(policy: PolicyVersion | None, name: str) -> Any:
    """A policy value an interruption follows: from the version it was recorded under, or
    the shipped value when no policy was published then."""
    if policy is not None:
        return getattr(policy, name)
    return getattr(PolicyVersion._meta.get_field(name), "default", None)


def history_for_premises(
    user: Any, premises_ids: list[int], limit: int = 20
) -> list[AffectedPremises]:
    """The interruptions that covered these premises, newest first (the 360 panel)."""
    if not premises_ids:
        return []
    visible = visible_interruptions(user)
    return list(
        AffectedPremises.objects.filter(premises_id__in=premises_ids, interruption__in=visible)
        .select_related("interruption", "premises")
        .order_by("-interruption__start_at")[:limit]
    )


def linked_calls(interruption: Interruption) -> QuerySet[InterruptionLink]:
    return interruption.links.select_related("case", "contact", "customer", "linked_by").order_by(
        "-linked_at"
    )


def special_care_list(interruption: Interruption) -> list[dict[str, Any]]:
    """The special-care households of the scope with their latest call (R-103)."""
    households = (
        AffectedPremises.objects.filter(interruption=interruption, special_care=True)
        .select_related("customer", "premises")
        .order_by("premises__address_text")
    )
    calls: dict[int, SpecialCareCall] = {}
    for call in SpecialCareCall.objects.filter(interruption=interruption).select_related(
        "called_by"
    ):
        calls.setdefault(call.customer_id, call)  # newest first (Meta.ordering)
    seen: set[int] = set()
    rows = []
    for row in households:
        if row.customer_id in seen:
            continue
        seen.add(row.customer_id)
        rows.append({"affected": row, "customer": row.customer, "call": calls.get(row.customer_id)})
    return rows


def notice_counts(interruption: Interruption) -> dict[str, int]:
    """Delivery of its notices per status (the notifications layer's count)."""
    return notice_status(reference_of(interruption))


def reference_of(interruption: Interruption) -> str:
    return f"interruption:{interruption.pk}"


def overrides(user: Any) -> QuerySet[Interruption]:
    """Planned interruptions started on short notice by an emergency override (reported)."""
    return visible_interruptions(user).filter(override_at__isnull=False).order_by("-override_at")


def reduction_rows(user: Any, interruption_id: int | None = None) -> QuerySet[AffectedPremises]:
    """R-807: premises of interruptions long enough for a fee reduction, with the days."""
    rows = AffectedPremises.objects.filter(
        interruption__in=visible_interruptions(user).filter(reduction_eligible=True)
    )
    if interruption_id:
        rows = rows.filter(interruption_id=interruption_id)
    return rows.select_related("interruption", "premises", "customer").order_by(
        "-interruption__start_at", "premises__address_text"
    )
