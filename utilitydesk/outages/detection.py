"""Seeing an incident before anyone reports it (issue 13 part 6; docs/outages.md).

The periodic job `outages.detect_incidents` (every INCIDENT_DETECTION_SECONDS, in the
background worker, never in the intake's request) counts the calls about no supply within
the policy's window, grouped per building and per substation (two queries on the partial
index `cases_case_supply_calls`, only the places at their threshold returned). When a place
passes its threshold a suspected incident (`IncidentSignal`) is raised — one open signal
per place, at most one per place per window — and the station's dispatchers and head get an
inbox message to confirm an interruption over that place (the interruption form, filled in)
or dismiss it with a reason."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.area.models import Building, Substation, Utility
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import OrgUnit, Position, UnitKind
from utilitydesk.org.selectors import holders_of, subtree_ids
from utilitydesk.policy.services import current_policy

from .detection_selectors import (
    PlaceCalls,
    Thresholds,
    busy_buildings,
    busy_substations,
    may_decide,
    place_key,
    thresholds,
    visible_signals,
)
from .interruptions import InterruptionInput, create_interruption
from .models import (
    ACTIVE_STATES,
    IncidentSignal,
    Interruption,
    InterruptionState,
    SignalPlace,
    SignalState,
)

log = logging.getLogger(__name__)

# A signal confirmed into an interruption still being prepared or running keeps the place
# quiet: its calls are that interruption's.
LIVE_STATES = (InterruptionState.DRAFT, *ACTIVE_STATES)
REASON_MAX = 500

SUBSTATION_UTILITY = {
    Substation.Kind.PRESSURE_ZONE: Utility.GAS,
    Substation.Kind.VALVE_DISTRICT: Utility.WATER,
}


# --- counting the calls (the periodic job) ---------------------------------------------------


def detect_calls(*, now: datetime) -> list[IncidentSignal]:
    """The background job: every place whose no-supply calls within the window before
    ``now`` reach its threshold raises its signal (or brings its open one up to date).
    Substations first, so that a building's signal waits for its substation's. Two workers
    running it at once raise each signal once (the unique open signal per place). Returns
    the signals newly raised."""
    limits = thresholds(current_policy())
    if limits.off:
        return []
    raised: list[IncidentSignal] = []
    if limits.substation:
        for substation_id, calls in busy_substations(
            now=now, window=limits.window, threshold=limits.substation
        ):
            signal = _raise(
                SignalPlace.SUBSTATION, substation_id, calls, limits, actor=None, now=now
            )
            if signal is not None:
                raised.append(signal)
    if limits.building:
        for building_id, building_substation, calls in busy_buildings(
            now=now, window=limits.window, threshold=limits.building
        ):
            signal = _raise(
                SignalPlace.BUILDING,
                building_id,
                calls,
                limits,
                actor=None,
                now=now,
                substation_id=building_substation,
            )
            if signal is not None:
                raised.append(signal)
    return raised


def _bring_up_to_date(signal: IncidentSignal, calls: PlaceCalls) -> None:
    """An open signal (locked) counts the later calls; no new message."""
    before = (signal.calls, signal.last_call_at)
    signal.calls = max(signal.calls, calls.calls)
    if calls.last_at is not None and calls.last_at > signal.last_call_at:
        signal.last_call_at = calls.last_at
    if (signal.calls, signal.last_call_at) != before:
        signal.save(update_fields=["calls", "last_call_at"])


def _raise(
    kind: str,
    place_id: int,
    calls: PlaceCalls,
    limits: Thresholds,
    *,
    actor: Actor | None,
    now: datetime,
    substation_id: int | None = None,
) -> IncidentSignal | None:
    """Raise the place's signal once: an open one is brought up to date instead; none while
    one was raised or decided within the window, or one became an interruption still being
    prepared or running; none for a place inside an active interruption (nor for a building
    whose substation has an open signal). Two calls at once: the unique open signal per
    place lets one of them raise it, the other brings it up to date."""
    key = place_key(kind, place_id)
    since = now - limits.window
    with transaction.atomic():
        current = IncidentSignal.objects.select_for_update().filter(
            place_key=key, state=SignalState.OPEN
        )
        signal = current.first()
        if signal is not None:
            _bring_up_to_date(signal, calls)
            return None
        quiet = IncidentSignal.objects.filter(place_key=key).filter(
            Q(raised_at__gt=since)
            | Q(decided_at__gt=since)
            | Q(state=SignalState.CONFIRMED, interruption__state__in=LIVE_STATES)
        )
        if quiet.exists() or _inside_active(kind, place_id):
            return None
        if (
            substation_id is not None
            and IncidentSignal.objects.filter(
                place_key=place_key(SignalPlace.SUBSTATION, substation_id), state=SignalState.OPEN
            ).exists()
        ):
            return None
        station, utility, name = _place_facts(kind, place_id)
        try:
            with transaction.atomic():
                signal = IncidentSignal.objects.create(
                    place_kind=kind,
                    place_key=key,
                    substation_id=place_id if kind == SignalPlace.SUBSTATION else None,
                    building_id=place_id if kind == SignalPlace.BUILDING else None,
                    station=station,
                    utility=utility,
                    calls=calls.calls,
                    threshold=limits.substation
                    if kind == SignalPlace.SUBSTATION
                    else limits.building,
                    window_minutes=int(limits.window.total_seconds() // 60),
                    first_call_at=calls.first_at or now,
                    last_call_at=calls.last_at or now,
                    raised_at=now,
                )
        except IntegrityError:
            # Another call raised it at the same moment (it waited for that commit).
            signal = current.first()
            if signal is not None:
                _bring_up_to_date(signal, calls)
            return None
        _alert(signal, name)
    log.info("suspected incident %s raised: %d calls", key, calls.calls)
    return signal


def _inside_active(kind: str, place_id: int) -> bool:
    """The place is named by an active interruption's scope: the substation (or, for a
    building, the building or its substation), or their supply source."""
    if kind == SignalPlace.SUBSTATION:
        substation_ids = [place_id]
        building_ids: list[int] = []
        source_ids = list(
            Substation.objects.filter(pk=place_id, source__isnull=False).values_list(
                "source_id", flat=True
            )
        )
    else:
        building_ids = [place_id]
        row = (
            Building.objects.filter(pk=place_id)
            .values_list("substation_id", "substation__source_id")
            .first()
        )
        substation_id, source_id = row if row is not None else (None, None)
        substation_ids = [substation_id] if substation_id is not None else []
        source_ids = [source_id] if source_id is not None else []
    through = Interruption.substations.through
    by_substation = through.objects.filter(
        interruption_id=OuterRef("pk"), substation_id__in=substation_ids
    )
    by_source = Interruption.sources.through.objects.filter(
        interruption_id=OuterRef("pk"), source_id__in=source_ids
    )
    by_building = Interruption.buildings.through.objects.filter(
        interruption_id=OuterRef("pk"), building_id__in=building_ids
    )
    return (
        Interruption.objects.filter(state__in=ACTIVE_STATES)
        .filter(Exists(by_substation) | Exists(by_source) | Exists(by_building))
        .exists()
    )


def _place_facts(kind: str, place_id: int) -> tuple[OrgUnit | None, str, str]:
    """The station answering for the place, its utility and its name."""
    if kind == SignalPlace.SUBSTATION:
        substation = Substation.objects.select_related("station", "source").get(pk=place_id)
        return substation.station, _utility_of(substation), substation.name
    building = Building.objects.select_related(
        "community", "substation__station", "substation__source", "grid__station"
    ).get(pk=place_id)
    station = (
        building.substation.station
        if building.substation is not None
        else building.grid.station
        if building.grid is not None
        else None
    )
    utility = _utility_of(building.substation) if building.substation is not None else Utility.HEAT
    return station, utility, str(building)


def _utility_of(substation: Substation) -> str:
    if substation.source is not None:
        return str(substation.source.utility)
    return str(SUBSTATION_UTILITY.get(Substation.Kind(substation.kind), Utility.HEAT))


def recipients(station: OrgUnit | None) -> list[Actor]:
    """The station's head and its dispatchers: those at the station (or above it), else the
    dispatchers of its company's departments (a service centre beside the stations), not
    another station's."""
    people: dict[int, Actor] = {}
    if station is not None:
        for person in holders_of(Position.STATION_HEAD, station):
            people[person.pk] = person
    dispatchers = holders_of(Position.DISPATCHER, station) if station is not None else []
    if not dispatchers:
        found = get_user_model().objects.filter(
            assignments__position=Position.DISPATCHER,
            assignments__is_active=True,
            assignments__unit__kind__in=[UnitKind.DEPARTMENT, UnitKind.COMPANY],
            is_active=True,
        )
        company = next(
            (u for u in (station.ancestors() if station else []) if u.kind == UnitKind.COMPANY),
            None,
        )
        if company is not None:
            found = found.filter(assignments__unit_id__in=subtree_ids([company.pk])[company.pk])
        dispatchers = list(found.distinct().order_by("pk"))
    for person in dispatchers:
        people[person.pk] = person
    return list(people.values())


def _alert(signal: IncidentSignal, name: str) -> int:
    """One inbox message per person per signal (the dedupe key), in the signal's
    transaction: no signal, no message."""
    local = timezone.localtime
    return notify_staff(
        recipients(signal.station),
        _("Suspected supply incident: %(place)s") % {"place": name},
        _(
            "%(calls)d calls about no supply from %(place)s within %(minutes)d minutes (first %(first)s, last %(last)s). Confirm an interruption over this place, or dismiss it with a reason."
        )
        % {
            "calls": signal.calls,
            "place": name,
            "minutes": signal.window_minutes,
            "first": local(signal.first_call_at).strftime("%H:%M"),
            "last": local(signal.last_call_at).strftime("%H:%M"),
        },
        link=signal.get_absolute_url(),
        reference=f"incident-signal:{signal.pk}",
        dedupe_prefix=f"incident-signal:{signal.place_key}:{signal.pk}",
    )


# --- deciding ----------------------------------------------------------------------------------


def _locked_open(signal_id: int, actor: Actor) -> IncidentSignal:
    signal = visible_signals(actor).select_for_update().filter(pk=signal_id).first()
    if signal is None:
        raise IncidentSignal.DoesNotExist
    if not may_decide(actor, signal):
        raise PermissionDenied(_("You are not allowed to decide this suspected incident."))
    if signal.state != SignalState.OPEN:
        raise ValidationError(
            {
                "state": [
                    _("This suspected incident was already decided (%(state)s).")
                    % {"state": signal.get_state_display()}
                ]
            }
        )
    return signal


def dismiss_signal(signal_id: int, *, reason: str, actor: Actor, now: datetime) -> IncidentSignal:
    """Not an incident (one household's valve, a known cause): closed with the reason. The
    place stays quiet for one window."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why this is not an incident.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    with transaction.atomic():
        signal = _locked_open(signal_id, actor)
        signal.state = SignalState.DISMISSED
        signal.dismiss_reason = reason
        signal.decided_by = actor
        signal.decided_at = now
        signal.save(update_fields=["state", "dismiss_reason", "decided_by", "decided_at"])
    return signal


def check_open(signal_id: int, *, actor: Actor) -> IncidentSignal:
    """The open signal the interruption form is filled from (no lock: a read)."""
    signal = (
        visible_signals(actor)
        .select_related("substation", "building__community")
        .filter(pk=signal_id)
        .first()
    )
    if signal is None:
        raise IncidentSignal.DoesNotExist
    if not may_decide(actor, signal):
        raise PermissionDenied(_("You are not allowed to decide this suspected incident."))
    if signal.state != SignalState.OPEN:
        raise ValidationError(
            {
                "state": [
                    _("This suspected incident was already decided (%(state)s).")
                    % {"state": signal.get_state_display()}
                ]
            }
        )
    return signal


def confirm_signal(
    signal_id: int, data: InterruptionInput, *, actor: Actor, now: datetime
) -> Interruption:
    """Confirmed: the interruption (as the form gives it, a draft to check and announce) is
    recorded and the signal linked to it, in one transaction; open signals of the buildings
    of a confirmed substation go with it. Two dispatchers confirming at once: the second
    waits for the lock and is told it was decided."""
    with transaction.atomic():
        signal = _locked_open(signal_id, actor)
        interruption = create_interruption(data, actor=actor, now=now)
        signal.state = SignalState.CONFIRMED
        signal.interruption = interruption
        signal.decided_by = actor
        signal.decided_at = now
        signal.save(update_fields=["state", "interruption", "decided_by", "decided_at"])
        if signal.substation_id is not None:
            inside = Building.objects.filter(substation_id=signal.substation_id).values("pk")
            IncidentSignal.objects.filter(
                state=SignalState.OPEN,
                place_kind=SignalPlace.BUILDING,
                building_id__in=inside,
            ).update(
                state=SignalState.CONFIRMED,
                interruption=interruption,
                decided_by=actor,
                decided_at=now,
            )
    return interruption
