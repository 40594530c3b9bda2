"""Reads for the dashboards (issue 16 item 3, docs/kpis.md "Dashboards"): today's counts,
the week-by-week trend of a few KPIs, the stations ranked, the service centre's intake by
hour and channel and its agents' load, a station's technicians' load.

Every read is a bounded number of grouped queries whatever the number of rows, units or
people, and counts what the drill-down list behind it lists: counts and trends read the
same definitions (``definitions.KPIS`` / ``MEASURES``) as ``kpis.selectors``; the intake
reads contacts, which have no drill-down list of their own yet."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import ExtractHour
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.cases.models import Channel, Contact
from utilitydesk.org.models import OrgUnit, Position, UnitKind
from utilitydesk.org.selectors import subtree_ids

from . import selectors
from .definitions import MEASURES, required
from .periods import Period, PeriodKind, period_containing
from .selectors import Figure

User = get_user_model()

# Today's counts on the company's dashboard, in the order shown.
COMPANY_MEASURES = (
    "received",
    "open",
    "overdue",
    "escalated",
    "emergencies",
    "active_interruptions",
)
# A station's queue.
STATION_MEASURES = ("open", "overdue", "escalated", "emergencies")
# The KPIs drawn week by week, and those the stations are ranked by (first one sorts).
TREND_KPIS = ("repair_resolution_timeliness", "callback_rate", "satisfaction_rate")
RANK_KPIS = ("repair_resolution_timeliness", "repair_on_site_timeliness", "satisfaction_rate")
STATION_RESULT_KPIS = ("callback_rate", "satisfaction_rate", "temperature_pass_rate")
TREND_WEEKS = 8
# The people whose open cases make a station's load.
FIELD_POSITIONS = (Position.TECHNICIAN, Position.TEAM_LEADER)


# --- whose dashboard ---------------------------------------------------------------------


def company_unit(user: AnyUser) -> OrgUnit | None:
    """The company whose figures the user reads, or None (a station head, an agent)."""
    return selectors.kpi_units(user).filter(kind=UnitKind.COMPANY).first()


def station_units(user: AnyUser) -> list[OrgUnit]:
    """The stations whose figures the user reads (a station head: their own)."""
    return list(selectors.kpi_units(user).filter(kind=UnitKind.STATION))


def _require_unit(user: AnyUser, unit: OrgUnit) -> None:
    if not selectors.kpi_units(user).filter(pk=unit.pk).exists():
        raise PermissionDenied


# --- counts --------------------------------------------------------------------------


def counts(
    user: AnyUser,
    codes: Iterable[str],
    *,
    day: Period,
    unit: OrgUnit | None = None,
    person: Any | None = None,
) -> dict[str, int]:
    """Each measure's count for a unit or person: received on ``day``, the rest as now.
    One count per measure, the drill-down's own rows (``selectors.measure_rows``)."""
    return {
        code: selectors.measure_count(
            user, code, start=day.start, end=day.end, unit=unit, person=person
        )
        for code in codes
    }


# --- trend by week -------------------------------------------------------------------


def last_weeks(today: date, weeks: int = TREND_WEEKS) -> list[Period]:
    """The ``weeks`` ISO weeks up to the one holding ``today``, oldest first."""
    current = period_containing(PeriodKind.WEEK, today)
    result = [current]
    for _ in range(weeks - 1):
        result.insert(0, result[0].previous())
    return result


# --- stations ranked -----------------------------------------------------------------


def stations_ranked(
    user: AnyUser, period: Period, codes: Sequence[str] = RANK_KPIS
) -> list[tuple[OrgUnit, dict[str, Figure]]]:
    """The readable stations' KPIs for the period, best first by the first KPI (stations
    with nothing counted last): one or two grouped queries per KPI."""
    stations = [u for u in selectors.kpi_units(user) if u.kind == UnitKind.STATION]
    if not stations:
        return []
    table = selectors.figures_by_unit(
        user, period.start, period.end, units=stations, codes=list(codes)
    )
    first = codes[0]

    def key(row: tuple[OrgUnit, dict[str, Figure]]) -> tuple[bool, float, str]:
        value = row[1][first].value
        return (value is None, -float(value or 0), row[0].code)

    return sorted(table, key=key)


# --- a station's technicians ---------------------------------------------------------


@dataclass(frozen=True)
class Load:
    person: Any
    count: int


def technicians_load(user: AnyUser, station: OrgUnit) -> list[Load]:
    """Each technician and team leader of the station (its teams included) with their
    open cases, as the drill-down "open" of that person lists them (every open case
    assigned to them): the people, then one grouped count. Most loaded first."""
    _require_unit(user, station)
    tree = subtree_ids([station.pk])[station.pk]
    people = list(
        User.objects.filter(
            is_active=True,
            assignments__unit_id__in=tree,
            assignments__is_active=True,
            assignments__position__in=list(FIELD_POSITIONS),
        )
        .distinct()
        .order_by("username")
    )
    source = MEASURES["open"].source
    person_path = required(source.person_path, "person")
    grouped = dict(
        source.rows()
        .filter(**{f"{person_path}__in": [p.pk for p in people]})
        .values_list(person_path)
        .annotate(n=Count("pk"))
        .values_list(person_path, "n")
    )
    loads = [Load(p, grouped.get(p.pk, 0)) for p in people]
    return sorted(loads, key=lambda load: -load.count)


# --- the service centre's intake -----------------------------------------------------


def may_read_intake(user: AnyUser) -> bool:
    """The intake is the whole company's: for those who read the company's figures."""
    return company_unit(user) is not None


@dataclass(frozen=True)
class Intake:
    total: int
    by_hour: list[int]  # 24 counts, local hours 0–23
    by_channel: list[tuple[str, str, int]]  # (code, label, count), largest first


def _contacts(user: AnyUser, start: datetime, end: datetime) -> Any:
    if not may_read_intake(user):
        raise PermissionDenied
    return Contact.objects.filter(received_at__gte=start, received_at__lt=end).order_by()


def intake(user: AnyUser, start: datetime, end: datetime) -> Intake:
    """The contacts received in [start, end) (every call, visit, letter, message, R-201)
    by local hour and by channel: two grouped queries."""
    contacts = _contacts(user, start, end)
    by_hour = [0] * 24
    for row in (
        contacts.annotate(hour=ExtractHour("received_at", tzinfo=timezone.get_default_timezone()))
        .values("hour")
        .annotate(n=Count("pk"))
    ):
        by_hour[row["hour"]] += row["n"]
    labels = dict(Channel.choices)
    by_channel = sorted(
        (
            (row["channel"], str(labels.get(row["channel"], row["channel"])), row["n"])
            for row in contacts.values("channel").annotate(n=Count("pk"))
        ),
        key=lambda item: (-item[2], item[0]),
    )
    return Intake(sum(by_hour), by_hour, by_channel)


def agents_load(user: AnyUser, start: datetime, end: datetime) -> list[Load]:
    """The contacts each person took in [start, end), most first: one grouped query and
    one for the people."""
    per_person = dict(
        _contacts(user, start, end)
        .values_list("first_responder_id")
        .annotate(n=Count("pk"))
        .values_list("first_responder_id", "n")
    )
    people = User.objects.filter(pk__in=list(per_person)).order_by("username")
    return sorted((Load(p, per_person[p.pk]) for p in people), key=lambda load: -load.count)
