"""Reads for seeing an incident in the calls (issue 13 part 6; docs/outages.md): the count
every no-supply call runs, the policy's thresholds, and the suspected incidents a person
may see."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.cases.models import Case, Kind
from utilitydesk.policy.models import PolicyVersion

from .interruption_selectors import MANAGE, VIEW, policy_value
from .models import (
    ACTIVE_STATES,
    AffectedPremises,
    IncidentSignal,
    InterruptionLink,
    SignalPlace,
    SignalState,
)
from .selectors import fault_units_of

# Calls about no supply (the kinds the interruptions link and restoration settles).
NO_SUPPLY_KINDS = (Kind.REPAIR, Kind.TEMPERATURE)


@dataclass(frozen=True)
class Thresholds:
    """From the policy: calls (households) within ``window`` that raise a signal; 0: off."""

    substation: int
    building: int
    window: timedelta

    @property
    def off(self) -> bool:
        return not (self.substation or self.building)


def thresholds(policy: PolicyVersion | None) -> Thresholds:
    return Thresholds(
        substation=int(policy_value(policy, "incident_calls_threshold") or 0),
        building=int(policy_value(policy, "incident_building_calls_threshold") or 0),
        window=timedelta(minutes=int(policy_value(policy, "incident_window_minutes") or 30)),
    )


@dataclass(frozen=True)
class PlaceCalls:
    """Calls counted for one place: households (distinct premises; a caller without a
    premises counts once per call) and the first and last call's time."""

    calls: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None


@dataclass(frozen=True)
class CallCounts:
    substation: PlaceCalls
    building: PlaceCalls


# A call committed at the same moment as this one may carry a received time a little after
# this call's ``now``: it must count (else two calls at once could each miss the other).
CONCURRENT = timedelta(minutes=5)


def counted_calls(since: datetime, until: datetime) -> QuerySet[Case]:
    """No-supply calls received in (since, until] that nothing explains yet: not linked to
    an active interruption, and not from premises inside one (a caller without premises:
    not from a building inside one). The partial index `cases_case_supply_calls`
    (building, received_at) finds them."""
    active = Q(interruption__state__in=ACTIVE_STATES)
    linked = InterruptionLink.objects.filter(
        active, case=OuterRef("pk"), kind=InterruptionLink.Kind.LINKED
    )
    premises_inside = AffectedPremises.objects.filter(active, premises_id=OuterRef("premises_id"))
    building_inside = AffectedPremises.objects.filter(active, building_id=OuterRef("building_id"))
    return (
        Case.objects.filter(kind__in=NO_SUPPLY_KINDS, received_at__gt=since, received_at__lte=until)
        .exclude(Exists(linked))
        .exclude(Q(premises__isnull=False) & Exists(premises_inside))
        .exclude(Q(premises__isnull=True) & Exists(building_inside))
        .order_by()
    )


def _households(place: Q | None = None) -> Count:
    return Count("premises_id", distinct=True, filter=place)


def count_calls(
    *, building_id: int, substation_id: int | None, now: datetime, window: timedelta
) -> CallCounts:
    """One query: the calls of the building and of its substation within ``window`` before
    ``now`` (and the calls committed at the same moment)."""
    calls = counted_calls(now - window, now + CONCURRENT)
    here = Q(building_id=building_id)
    if substation_id is not None:
        calls = calls.filter(building__substation_id=substation_id)
    else:
        calls = calls.filter(here)
    no_premises = Q(premises__isnull=True)
    found = calls.aggregate(
        s_households=_households(),
        s_anonymous=Count("pk", filter=no_premises),
        s_first=Min("received_at"),
        s_last=Max("received_at"),
        b_households=_households(here),
        b_anonymous=Count("pk", filter=here & no_premises),
        b_first=Min("received_at", filter=here),
        b_last=Max("received_at", filter=here),
    )
    substation = (
        PlaceCalls(
            calls=(found["s_households"] or 0) + (found["s_anonymous"] or 0),
            first_at=found["s_first"],
            last_at=found["s_last"],
        )
        if substation_id is not None
        else PlaceCalls()
    )
    building = PlaceCalls(
        calls=(found["b_households"] or 0) + (found["b_anonymous"] or 0),
        first_at=found["b_first"],
        last_at=found["b_last"],
    )
    return CallCounts(substation=substation, building=building)


def _calls_per_place(
    calls: QuerySet[Case], threshold: int, place: str, *also: str
) -> QuerySet[Case, dict[str, Any]]:
    """``calls`` grouped by ``place`` (a column path; ``also``: columns it determines), only
    the places with at least ``threshold`` calls (households) in the group."""
    grouped: QuerySet[Case, dict[str, Any]] = (
        calls.filter(**{f"{place}__isnull": False})
        .values(place, *also)
        .annotate(
            counted=_households() + Count("pk", filter=Q(premises__isnull=True)),
            first_at=Min("received_at"),
            last_at=Max("received_at"),
        )
        .filter(counted__gte=threshold)
        .order_by(place)
    )
    return grouped


def busy_substations(
    *, now: datetime, window: timedelta, threshold: int
) -> list[tuple[int, PlaceCalls]]:
    """One query: the substations whose calls within ``window`` before ``now`` (and those
    committed at the same moment) reach ``threshold``, counted as `count_calls` does."""
    calls = counted_calls(now - window, now + CONCURRENT)
    return [
        (row["building__substation_id"], _place_calls(row))
        for row in _calls_per_place(calls, threshold, "building__substation_id")
    ]


def busy_buildings(
    *, now: datetime, window: timedelta, threshold: int
) -> list[tuple[int, int | None, PlaceCalls]]:
    """One query: the buildings (with their substation) whose calls within ``window``
    before ``now`` reach ``threshold``."""
    calls = counted_calls(now - window, now + CONCURRENT)
    rows = _calls_per_place(calls, threshold, "building_id", "building__substation_id")
    return [(row["building_id"], row["building__substation_id"], _place_calls(row)) for row in rows]


def _place_calls(row: dict[str, Any]) -> PlaceCalls:
    return PlaceCalls(calls=row["counted"], first_at=row["first_at"], last_at=row["last_at"])


def place_key(kind: str, place_id: int) -> str:
    return f"{kind}:{place_id}"


# --- what a person sees --------------------------------------------------------------------


def visible_signals(user: AnyUser) -> QuerySet[IncidentSignal]:
    """Everyone who sees interruptions sees the suspected ones company-wide; station
    positions their own station's (and those without a station)."""
    if not (user.has_perm(VIEW) or user.has_perm(MANAGE)):
        return IncidentSignal.objects.none()
    units = fault_units_of(user)
    found = IncidentSignal.objects.all()
    if units is not None:
        found = found.filter(Q(station_id__in=units) | Q(station__isnull=True))
    return found


def may_decide(user: AnyUser, signal: IncidentSignal | None = None) -> bool:
    """Confirming or dismissing: those who run interruptions, station positions for their
    own station only."""
    if not user.has_perm(MANAGE):
        return False
    if signal is None:
        return True
    units = fault_units_of(user)
    return units is None or signal.station_id in units


def signal_list(user: AnyUser, state: str = "") -> QuerySet[IncidentSignal]:
    found = visible_signals(user).select_related(
        "substation", "building__community", "station", "decided_by", "interruption"
    )
    if state:
        found = found.filter(state=state)
    return found.order_by("-raised_at", "-id")


def open_count(user: AnyUser) -> int:
    return visible_signals(user).filter(state=SignalState.OPEN).count()


def calls_of(signal: IncidentSignal, limit: int = 100) -> list[Case]:
    """The calls behind a signal: the no-supply calls of its place from its window before
    the first call to its last call (whatever became of them since)."""
    place = (
        Q(building__substation_id=signal.substation_id)
        if signal.place_kind == SignalPlace.SUBSTATION
        else Q(building_id=signal.building_id)
    )
    return list(
        Case.objects.filter(
            place,
            kind__in=NO_SUPPLY_KINDS,
            received_at__gte=signal.first_call_at,
            received_at__lte=signal.last_call_at,
        )
        .select_related("building__community")
        .order_by("received_at")[:limit]
    )
