"""Reads for duty and handover: shifts and which one a moment falls in, the service centres
that keep duty, rosters, the duty log, handovers and the unfinished work a handover shows."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.cases.models import OPEN_STATUSES, Case
from utilitydesk.org.models import Assignment, DepartmentFunction, OrgUnit, Position
from utilitydesk.org.selectors import active_assignments
from utilitydesk.outages.models import MajorFault
from utilitydesk.outages.selectors import open_faults
from utilitydesk.policy import services as policy
from utilitydesk.policy.models import CalendarDay

from .models import (
    DutyLogEntry,
    DutyRole,
    Handover,
    HandoverStatus,
    LogKind,
    Roster,
    RosterEntry,
    RosterStatus,
    Shift,
)

User = get_user_model()

VIEW_ROSTER = "duty.view_roster"
PUBLISH_ROSTER = "duty.publish_roster"
VIEW_LOG = "duty.view_dutylogentry"
KEEP_LOG = "duty.keep_duty_log"

# 中级以上管理人员 (seed 001-12, 值班管理规定 七): who may be the manager on duty.
MANAGER_POSITIONS = (Position.DEPARTMENT_HEAD, Position.DEPUTY_GM, Position.GENERAL_MANAGER)
# How many unfinished items a handover lists by name (the counts are always complete).
UNFINISHED_SHOWN = 50


def shifts() -> list[Shift]:
    return list(Shift.objects.filter(is_active=True).order_by("order", "starts"))


def shift_at(moment: datetime, patterns: list[Shift] | None = None) -> tuple[date, Shift] | None:
    """The duty date and shift ``moment`` falls in: the latest shift started by then (a
    night shift from 20:00 is the previous day's at 03:00; in a gap between shifts, the
    shift that just ended)."""
    patterns = shifts() if patterns is None else patterns
    local = timezone.localtime(moment)
    best: tuple[datetime, date, Shift] | None = None
    for day in (local.date() - timedelta(days=1), local.date()):
        for shift in patterns:
            start, _end = shift.span(day)
            if start <= local and (best is None or start > best[0]):
                best = (start, day, shift)
    return (best[1], best[2]) if best else None


def next_shift(day: date, shift: Shift, patterns: list[Shift] | None = None) -> tuple[date, Shift]:
    """The shift that takes over from ``shift`` of ``day``: the next one to start."""
    patterns = shifts() if patterns is None else patterns
    start = shift.span(day)[0]
    following = [
        (other.span(d)[0], d, other)
        for d in (day, day + timedelta(days=1))
        for other in patterns
        if other.span(d)[0] > start
    ]
    if not following:
        return day + timedelta(days=1), shift
    _start, next_day, next_ = min(following, key=lambda item: item[0])
    return next_day, next_


def previous_shift(
    day: date, shift: Shift, patterns: list[Shift] | None = None
) -> tuple[date, Shift] | None:
    """The shift ``shift`` of ``day`` takes over from (the last one whose next is it)."""
    patterns = shifts() if patterns is None else patterns
    previous = [
        (d, s)
        for d in (day - timedelta(days=1), day)
        for s in patterns
        if next_shift(d, s, patterns) == (day, shift)
    ]
    return previous[-1] if previous else None


def duty_units() -> QuerySet[OrgUnit]:
    """The units that keep duty: the service centres."""
    return OrgUnit.objects.filter(
        function=DepartmentFunction.SERVICE_CENTRE, is_active=True
    ).order_by("code")


def unit_for(user: Actor, unit_id: int | str | None = None) -> OrgUnit | None:
    """The service centre a page is about: the one asked for, else the user's own, else the
    first."""
    units = duty_units()
    if unit_id:
        try:
            return units.filter(pk=int(unit_id)).first()
        except (TypeError, ValueError):
            return None
    own = units.filter(pk__in=active_assignments(user).values("unit_id")).first()
    return own or units.first()


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def rosters(user: AnyUser, unit: OrgUnit) -> QuerySet[Roster]:
    if not user.has_perm(VIEW_ROSTER):
        return Roster.objects.none()
    return Roster.objects.filter(unit=unit).order_by("-period_start")


def roster_for_month(user: AnyUser, unit: OrgUnit, year: int, month: int) -> Roster | None:
    first, _last = month_bounds(year, month)
    return rosters(user, unit).filter(period_start=first).first()


def entries_of(roster: Roster) -> QuerySet[RosterEntry]:
    return roster.entries.select_related("shift", "person", "substitute", "substituted_by")


def holiday_names(first: date, last: date) -> dict[date, str]:
    """The statutory holidays of ``first`` – ``last`` in the working-day calendar, by name."""
    return dict(
        CalendarDay.objects.filter(
            kind=CalendarDay.Kind.HOLIDAY, date__range=(first, last)
        ).values_list("date", "name")
    )


@dataclass
class GridRow:
    day: date
    is_holiday: bool
    holiday: str  # the holiday's name
    working_day: bool
    season: bool
    cells: list[list[RosterEntry]] = field(default_factory=list)


def roster_grid(
    first: date, last: date, roster: Roster | None, patterns: list[Shift]
) -> list[GridRow]:
    """One row per day of the period (holiday, working day, heating season from the
    calendar and the published policy), one cell per shift with its entries."""
    by_cell: dict[tuple[date, int], list[RosterEntry]] = {}
    for entry in entries_of(roster) if roster is not None else ():
        by_cell.setdefault((entry.day, entry.shift_id), []).append(entry)
    holidays = holiday_names(first, last)
    calendar, current = policy.calendar(), policy.current_policy()
    rows = []
    day = first
    while day <= last:
        row = GridRow(
            day=day,
            is_holiday=day in holidays,
            holiday=holidays.get(day, ""),
            working_day=calendar.is_working_day(day),
            season=policy.is_heating_season(day, current),
        )
        row.cells = [by_cell.get((day, shift.pk), []) for shift in patterns]
        rows.append(row)
        day += timedelta(days=1)
    return rows


def on_duty_entries(unit: OrgUnit, day: date, shift: Shift) -> QuerySet[RosterEntry]:
    """The published roster's entries for a shift of a day."""
    return RosterEntry.objects.filter(
        roster__unit=unit,
        roster__status=RosterStatus.PUBLISHED,
        day=day,
        shift=shift,
    ).select_related("person", "substitute")


def is_on_duty(user: Actor, unit: OrgUnit, day: date, shift: Shift) -> bool:
    """Is ``user`` on that shift in a published roster (themselves, or as a substitute)?"""
    return (
        on_duty_entries(unit, day, shift)
        .filter(Q(person=user, substitute__isnull=True) | Q(substitute=user))
        .exists()
    )


def may_hand_over(user: Actor, unit: OrgUnit, day: date, shift: Shift, state: str) -> bool:
    """May ``user`` write and sign the handover of that shift (on it, not yet handed over)?"""
    return (
        user.has_perm(KEEP_LOG)
        and state in (HandoverStatus.OPEN, HandoverStatus.REFUSED)
        and is_on_duty(user, unit, day, shift)
    )


def may_take_over(user: Actor, unit: OrgUnit, day: date, shift: Shift, state: str) -> bool:
    """May ``user`` accept or refuse a handover (on the incoming shift ``day``/``shift``)?"""
    return (
        user.has_perm(KEEP_LOG)
        and state == HandoverStatus.HANDED_OVER
        and is_on_duty(user, unit, day, shift)
    )


def is_published_for(unit: OrgUnit, day: date) -> bool:
    return Roster.objects.filter(
        unit=unit, status=RosterStatus.PUBLISHED, period_start__lte=day, period_end__gte=day
    ).exists()


def may_be_rostered(person: Actor, unit: OrgUnit, role: str) -> bool:
    """Managers on duty are department heads or above anywhere in the company; agents and
    shift leaders hold a position in the service centre."""
    active = active_assignments(person)
    if not person.is_active:
        return False
    if role == DutyRole.MANAGER:
        return active.filter(position__in=MANAGER_POSITIONS).exists()
    return active.filter(unit=unit).exists()


def rosterable_people(unit: OrgUnit) -> QuerySet[Actor]:
    """Everyone who may be put on the roster of ``unit`` (in any role)."""
    ids = Assignment.objects.filter(is_active=True).filter(
        Q(unit=unit) | Q(position__in=MANAGER_POSITIONS)
    )
    return User.objects.filter(pk__in=ids.values("user_id"), is_active=True).order_by(
        "last_name", "first_name", "username"
    )


# --- the duty log --------------------------------------------------------------------


def log_entries(
    user: AnyUser,
    unit: OrgUnit,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    kinds: Iterable[str] = (),
    day: date | None = None,
    shift: Shift | None = None,
) -> QuerySet[DutyLogEntry]:
    if not user.has_perm(VIEW_LOG):
        return DutyLogEntry.objects.none()
    rows = DutyLogEntry.objects.filter(unit=unit).select_related("shift", "author")
    if date_from:
        rows = rows.filter(day__gte=date_from)
    if date_to:
        rows = rows.filter(day__lte=date_to)
    if kinds := [k for k in kinds if k in LogKind.values]:
        rows = rows.filter(kind__in=kinds)
    if day:
        rows = rows.filter(day=day)
    if shift:
        rows = rows.filter(shift=shift)
    return rows.order_by("-occurred_at", "-id")


# --- handovers -----------------------------------------------------------------------


def handover_of(unit: OrgUnit, day: date, shift: Shift) -> Handover | None:
    return (
        Handover.objects.filter(unit=unit, day=day, shift=shift)
        .select_related("outgoing_signed_by", "incoming_signed_by", "shift")
        .first()
    )


def handovers(
    user: AnyUser, unit: OrgUnit, *, day: date | None = None, shift: Shift | None = None
) -> QuerySet[Handover]:
    if not user.has_perm(VIEW_LOG):
        return Handover.objects.none()
    rows = Handover.objects.filter(unit=unit).select_related(
        "shift", "outgoing_signed_by", "incoming_signed_by"
    )
    if day:
        rows = rows.filter(day=day)
    if shift:
        rows = rows.filter(shift=shift)
    return rows.prefetch_related("refusals__refused_by").order_by("day", "shift__order")


@dataclass
class Unfinished:
    """Work still open when a shift hands over: major faults being handled and emergency
    cases not yet resolved (R-1002, the fourth 不接)."""

    faults: list[MajorFault]
    cases: list[Case]
    fault_count: int
    case_count: int

    @property
    def any(self) -> bool:
        return bool(self.fault_count or self.case_count)

    def snapshot(self) -> list[dict[str, str]]:
        return [{"kind": "fault", "ref": str(f.pk), "title": f.title} for f in self.faults] + [
            {"kind": "case", "ref": c.number, "title": c.get_kind_display()} for c in self.cases
        ]


def unfinished_work() -> Unfinished:
    faults = open_faults()
    cases = Case.objects.filter(emergency=True, status__in=OPEN_STATUSES).order_by("received_at")
    return Unfinished(
        faults=list(faults[:UNFINISHED_SHOWN]),
        cases=list(cases.select_related("responsible_unit")[:UNFINISHED_SHOWN]),
        fault_count=faults.count(),
        case_count=cases.count(),
    )
