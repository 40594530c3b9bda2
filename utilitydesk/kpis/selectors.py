"""KPI figures and the rows behind them (R-904, docs/kpis.md), for a unit (with the units
under it) or a person, over a period; each figure with its target and colour.

A figure is the count of the rows its drill-down list shows: both come from
``_part_rows``. Grouped figures (every unit, every person of a unit) are one grouped
query per part whatever the number of units."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.org.models import Assignment, OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope, subtree_ids
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy

from .definitions import (
    DENOMINATOR,
    KPIS,
    MEASURES,
    NUMERATOR,
    PARTS,
    Direction,
    Kpi,
    Source,
    counted_parts,
    part_source,
    required,
)
from .models import CountedDay, DayCount, Holder
from .periods import Period
from .services import days_between, grouped_by_day, local_start

User = get_user_model()

__all__ = ["DENOMINATOR", "NUMERATOR", "PARTS"]
UNIT_KINDS = [UnitKind.COMPANY, UnitKind.DEPARTMENT, UnitKind.STATION, UnitKind.TEAM]
# The four service rates of docs/rates.md are read for these units.
RATE_UNIT_KINDS = [UnitKind.COMPANY, UnitKind.STATION, UnitKind.DEPARTMENT]
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Figure:
    kpi: Kpi
    numerator: int
    denominator: int
    target: Decimal | None
    amber_margin: Decimal
    # When the oldest stored day counted was counted; None: every row counted live.
    counted_at: datetime | None = None

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(RATIO_PLACES)

    @property
    def colour(self) -> str:
        """green: meets its target; amber: misses it by no more than the policy's margin;
        red: worse; grey: nothing counted or no target."""
        value = self.value
        if value is None or self.target is None:
            return "grey"
        shortfall = (
            self.target - value if self.kpi.direction == Direction.AT_LEAST else value - self.target
        )
        if shortfall <= 0:
            return "green"
        return "amber" if shortfall <= self.amber_margin else "red"

    @property
    def meets_target(self) -> bool | None:
        return None if self.colour == "grey" else self.colour == "green"


def targets_of(policy: PolicyVersion | None) -> tuple[dict[str, Decimal], Decimal]:
    if policy is None:
        return {}, Decimal("0.05")
    targets: dict[str, Decimal] = {}
    for code, raw in (policy.kpi_targets or {}).items():
        try:
            targets[code] = Decimal(str(raw))
        except ArithmeticError:
            continue
    return targets, policy.kpi_amber_margin


# --- who may read what ---------------------------------------------------------------


def may_read_units(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("callbacks.view_rates"))


def may_read_rates(user: AnyUser) -> bool:
    return may_read_units(user)


def kpi_units(user: AnyUser, kinds: Iterable[str] = UNIT_KINDS) -> QuerySet[OrgUnit]:
    """Units whose figures the user may read: the company's for leaders, the service
    office and the service centre; a station head's own station(s) and their teams."""
    if not may_read_units(user):
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(kind__in=list(kinds), is_active=True).order_by("kind", "code")
    scope = station_scope(user)
    if scope is None:
        return units
    return units.filter(pk__in=set().union(*subtree_ids(scope).values()) if scope else set())


def rate_units(user: AnyUser) -> QuerySet[OrgUnit]:
    return kpi_units(user, RATE_UNIT_KINDS)


def may_read_person(user: AnyUser, person: Any) -> bool:
    """Everyone reads their own figures; a unit's readers read its people's."""
    if not user.is_authenticated:
        return False
    if user.pk == person.pk:
        return True
    readable = set(kpi_units(user).values_list("pk", flat=True))
    return Assignment.objects.filter(user=person, is_active=True, unit_id__in=readable).exists()


def _check(user: AnyUser, unit: OrgUnit | None, person: Any | None) -> None:
    if person is not None and not may_read_person(user, person):
        raise PermissionDenied
    if unit is not None and not kpi_units(user).filter(pk=unit.pk).exists():
        raise PermissionDenied
    if unit is None and person is None:
        raise PermissionDenied


# --- rows ----------------------------------------------------------------------------


def _scope(source: Source, unit: OrgUnit | None, person: Any | None) -> Q:
    condition = Q()
    if unit is not None:
        condition &= source.for_units(subtree_ids([unit.pk])[unit.pk])
    if person is not None:
        condition &= source.for_person(person.pk)
    return condition


def source_of(kpi: Kpi, part: str) -> Source:
    """The source whose rows a part of a figure lists."""
    return part_source(kpi, part)[0]


def _part_rows(
    kpi: Kpi,
    part: str,
    start: datetime,
    end: datetime,
    unit: OrgUnit | None,
    person: Any | None,
) -> QuerySet[models.Model]:
    source, narrowing = part_source(kpi, part)
    return (
        source.rows()
        .filter(source.in_period(start, end))
        .filter(_scope(source, unit, person))
        .filter(narrowing)
    )


def kpi_rows(
    user: AnyUser,
    code: str,
    part: str,
    start: datetime,
    end: datetime,
    *,
    unit: OrgUnit | None = None,
    person: Any | None = None,
) -> QuerySet[models.Model]:
    """The rows a figure counted: its numerator's or its denominator's (the drill-down)."""
    if code not in KPIS or part not in PARTS:
        raise KeyError(code)
    _check(user, unit, person)
    return _part_rows(KPIS[code], part, start, end, unit, person)


def measure_rows(
    user: AnyUser,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    unit: OrgUnit | None = None,
    person: Any | None = None,
) -> QuerySet[models.Model]:
    """The rows of a dashboard count (received, open, overdue, …), received in [start,
    end) when given; counts without a period field are the state now whatever the period."""
    if code not in MEASURES:
        raise KeyError(code)
    _check(user, unit, person)
    source = MEASURES[code].source
    rows = source.rows().filter(_scope(source, unit, person))
    if start is not None and end is not None:
        rows = rows.filter(source.in_period(start, end))
    return rows


# --- figures -------------------------------------------------------------------------


def _tuned() -> None:
    """Month-sized aggregates on PostgreSQL: hash joins in memory. Inside the caller's
    transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


@dataclass(frozen=True)
class Coverage:
    """How [start, end) is counted: the local days whose counts are stored, the ranges
    counted live (days not counted, partial days at the ends) and when the oldest stored
    day was counted."""

    counted: list[date]
    live: list[tuple[datetime, datetime]]
    counted_at: datetime | None


def _coverage(start: datetime, end: datetime) -> Coverage:
    first_local, end_local = timezone.localtime(start), timezone.localtime(end)
    first = first_local.date() + timedelta(days=first_local.time() != dt_time.min)
    stop = end_local.date()  # the first day not (wholly) inside
    stored = dict(
        CountedDay.objects.filter(day__gte=first, day__lt=stop).values_list("day", "counted_at")
    )
    live: list[tuple[datetime, datetime]] = []

    def add(a: datetime, b: datetime) -> None:
        if a >= b:
            return
        if live and live[-1][1] == a:
            live[-1] = (live[-1][0], b)
        else:
            live.append((a, b))

    if first >= stop:
        add(start, end)
        return Coverage([], live, None)
    add(start, local_start(first))
    for day in days_between(first, stop - timedelta(days=1)):
        if day not in stored:
            add(local_start(day), local_start(day + timedelta(days=1)))
    add(local_start(stop), end)
    return Coverage(sorted(stored), live, min(stored.values(), default=None))


Totals = dict[tuple[str, str], dict[Any, list[int]]]


def _totals(
    codes: Iterable[str],
    coverage: Coverage,
    holder_of: Callable[[Source], str],
    ids: dict[str, set[int]],
    *,
    by_day: bool = False,
) -> Totals:
    """Rows and hits of each part of each KPI per holder id (per (id, day) with
    ``by_day``), among ``ids`` of each holder kind: the stored counts of the counted days
    in one query, the live ranges with the definitions' grouped queries."""
    totals: Totals = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    wanted = [
        (code, part, source, hits, holder_of(source))
        for code in codes
        for part, source, hits in counted_parts(KPIS[code])
    ]
    if coverage.counted and wanted:
        condition = Q()
        for holder in {holder for *_rest, holder in wanted}:
            condition |= Q(
                holder=holder,
                holder_id__in=ids[holder],
                kpi__in={code for code, *_rest, h in wanted if h == holder},
            )
        keys = ["kpi", "part", "holder", "holder_id"] + (["day"] if by_day else [])
        for row in (
            DayCount.objects.filter(condition, day__in=coverage.counted)
            .values(*keys)
            .annotate(n=Sum("rows"), hit=Sum("hits"))
            .order_by()
        ):
            key = (row["holder_id"], row["day"]) if by_day else row["holder_id"]
            pair = totals[(row["kpi"], row["part"])][key]
            pair[0] += row["n"]
            pair[1] += row["hit"]
    if coverage.live:
        for code, part, source, hits, holder in wanted:
            path = source.person_path if holder == Holder.PERSON else source.unit_path
            grouped = grouped_by_day(
                source,
                hits,
                coverage.live,
                {holder: required(path, holder)},
                Q(**{f"{required(path, holder)}__in": ids[holder]}),
            )
            for row in grouped:
                holder_id = row[f"holder_{holder}"]
                key = (holder_id, row["day"]) if by_day else holder_id
                pair = totals[(code, part)][key]
                pair[0] += row["n"]
                pair[1] += row["hit"]
    return totals


def _figure_from(
    kpi: Kpi,
    totals: Totals,
    members: Callable[[Source], Iterable[Any]],
    targets: dict[str, Decimal],
    margin: Decimal,
    counted_at: datetime | None,
) -> Figure:
    """A KPI's figure from the totals summed over the members a source's rows are charged
    to (a unit's subtree or its people, or one person)."""
    sums = {}
    for part, source, _hits in counted_parts(kpi):
        per_holder = totals.get((kpi.code, part), {})
        n = hit = 0
        for member in members(source):
            pair = per_holder.get(member)
            if pair:
                n, hit = n + pair[0], hit + pair[1]
        sums[part] = (n, hit)
    denominator, hits = sums[DENOMINATOR]
    numerator = sums[NUMERATOR][0] if NUMERATOR in sums else hits
    return Figure(kpi, numerator, denominator, targets.get(kpi.code), margin, counted_at)


def counted_at(figures: Iterable[Figure]) -> datetime | None:
    """When the oldest stored count among the figures was counted (None: all live)."""
    return min((f.counted_at for f in figures if f.counted_at is not None), default=None)


def _unit_holder(source: Source) -> str:
    return Holder.PERSON if source.unit_by_person else Holder.UNIT


def _person_holder(source: Source) -> str:
    return Holder.PERSON


Members = Callable[[Source], Iterable[int]]


def _table(
    codes: list[str],
    start: datetime,
    end: datetime,
    holder_of: Callable[[Source], str],
    ids: dict[str, set[int]],
    members_of: dict[int, Members],
    targets: dict[str, Decimal],
    margin: Decimal,
) -> dict[int, dict[str, Figure]]:
    """Each subject's figures: the totals counted once, summed over the holders each
    subject's rows are charged to (``members_of``)."""
    with transaction.atomic():
        _tuned()
        coverage = _coverage(start, end)
        totals = _totals(codes, coverage, holder_of, ids)
    return {
        key: {
            code: _figure_from(KPIS[code], totals, members, targets, margin, coverage.counted_at)
            for code in codes
        }
        for key, members in members_of.items()
    }


def _unit_table(
    units: list[OrgUnit],
    codes: Iterable[str],
    start: datetime,
    end: datetime,
    targets: dict[str, Decimal],
    margin: Decimal,
) -> dict[int, dict[str, Figure]]:
    """Each unit's figures, the units under it (or the people assigned there, for a
    source charged to people) included."""
    trees = subtree_ids(u.pk for u in units)
    people = _persons_by_unit(trees)
    ids = {
        Holder.UNIT.value: set().union(*trees.values()),
        Holder.PERSON.value: set().union(*people.values()),
    }

    def members_of(root: int) -> Members:
        return lambda source: people[root] if source.unit_by_person else trees[root]

    subjects = {unit.pk: members_of(unit.pk) for unit in units}
    return _table(list(codes), start, end, _unit_holder, ids, subjects, targets, margin)


def _person_table(
    person_ids: set[int],
    codes: Iterable[str],
    start: datetime,
    end: datetime,
    targets: dict[str, Decimal],
    margin: Decimal,
) -> dict[int, dict[str, Figure]]:
    def members_of(person: int) -> Members:
        return lambda _source: [person]

    subjects = {pk: members_of(pk) for pk in person_ids}
    ids = {Holder.PERSON.value: person_ids}
    return _table(list(codes), start, end, _person_holder, ids, subjects, targets, margin)


def _figure(
    kpi: Kpi,
    start: datetime,
    end: datetime,
    unit: OrgUnit | None,
    person: Any | None,
    targets: dict[str, Decimal],
    margin: Decimal,
) -> Figure:
    """A figure counted live from its rows (a person within a unit: not kept by day)."""
    denominator_rows = _part_rows(kpi, DENOMINATOR, start, end, unit, person)
    if isinstance(kpi.numerator, Source):
        denominator = denominator_rows.count()
        numerator = _part_rows(kpi, NUMERATOR, start, end, unit, person).count()
    else:
        counts = denominator_rows.aggregate(n=Count("pk"), hit=Count("pk", filter=kpi.numerator))
        denominator, numerator = counts["n"], counts["hit"]
    return Figure(kpi, numerator, denominator, targets.get(kpi.code), margin)


def figures(
    user: AnyUser,
    start: datetime,
    end: datetime,
    *,
    unit: OrgUnit | None = None,
    person: Any | None = None,
    codes: Iterable[str] | None = None,
    policy: PolicyVersion | None = None,
) -> list[Figure]:
    """The KPIs (all, or ``codes``) of a unit or a person over [start, end)."""
    _check(user, unit, person)
    targets, margin = targets_of(policy or current_policy())
    chosen = list(codes or KPIS)
    if unit is not None and person is not None:
        with transaction.atomic():
            _tuned()
            return [_figure(KPIS[c], start, end, unit, person, targets, margin) for c in chosen]
    if unit is not None:
        table = _unit_table([unit], chosen, start, end, targets, margin)[unit.pk]
    elif person is not None:
        table = _person_table({person.pk}, chosen, start, end, targets, margin)[person.pk]
    else:  # _check refuses a call naming neither
        raise PermissionDenied
    return [table[code] for code in chosen]


def measure_count(
    user: AnyUser,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    unit: OrgUnit | None = None,
    person: Any | None = None,
) -> int:
    return measure_rows(user, code, start=start, end=end, unit=unit, person=person).count()


def _persons_by_unit(unit_trees: dict[int, set[int]]) -> dict[int, set[int]]:
    """For each unit, the people assigned anywhere in its subtree (each counted once)."""
    assigned: dict[int, set[int]] = {}
    for user_id, unit_id in Assignment.objects.filter(is_active=True).values_list(
        "user_id", "unit_id"
    ):
        assigned.setdefault(unit_id, set()).add(user_id)
    return {
        root: set().union(*(assigned.get(unit_id, set()) for unit_id in tree))
        for root, tree in unit_trees.items()
    }


def figures_by_unit(
    user: AnyUser,
    start: datetime,
    end: datetime,
    *,
    units: Iterable[OrgUnit] | None = None,
    codes: Iterable[str] | None = None,
    policy: PolicyVersion | None = None,
) -> list[tuple[OrgUnit, dict[str, Figure]]]:
    """Every readable unit's KPIs (or those of ``units``), each with the units under it:
    one query for the counted days and one or two grouped queries per KPI for the days
    counted live, whatever the number of units."""
    readable = list(kpi_units(user))
    if units is not None:
        wanted = {u.pk for u in units}
        readable = [u for u in readable if u.pk in wanted]
    targets, margin = targets_of(policy or current_policy())
    table = _unit_table(readable, list(codes or KPIS), start, end, targets, margin)
    return [(unit, table[unit.pk]) for unit in readable]


def figures_by_person(
    user: AnyUser,
    start: datetime,
    end: datetime,
    *,
    unit: OrgUnit,
    codes: Iterable[str] | None = None,
    policy: PolicyVersion | None = None,
) -> list[tuple[Any, dict[str, Figure]]]:
    """The KPIs of every person assigned in ``unit`` (or under it)."""
    _check(user, unit, None)
    tree = subtree_ids([unit.pk])[unit.pk]
    people = list(
        User.objects.filter(assignments__unit_id__in=tree, assignments__is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    targets, margin = targets_of(policy or current_policy())
    table = _person_table({p.pk for p in people}, list(codes or KPIS), start, end, targets, margin)
    return [(person, table[person.pk]) for person in people]


def figures_by_week(
    user: AnyUser, unit: OrgUnit, weeks: Sequence[Period], codes: Iterable[str]
) -> dict[str, list[Figure]]:
    """Each KPI's figure for each of the consecutive ISO ``weeks``, as ``figures`` counts
    it: the counts over the whole range by local day, summed into weeks (the dashboards'
    trend)."""
    _check(user, unit, None)
    codes = list(codes)
    targets, margin = targets_of(current_policy())
    trees = subtree_ids([unit.pk])
    people = _persons_by_unit(trees)
    tree, staff = trees[unit.pk], people[unit.pk]
    ids = {Holder.UNIT.value: tree, Holder.PERSON.value: staff}
    with transaction.atomic():
        _tuned()
        coverage = _coverage(weeks[0].start, weeks[-1].end)
        daily = _totals(codes, coverage, _unit_holder, ids, by_day=True)
    result: dict[str, list[Figure]] = {code: [] for code in codes}
    for week in weeks:
        weekly: Totals = defaultdict(dict)
        for part_key, per_key in daily.items():
            for (holder_id, day), pair in per_key.items():
                if week.first <= day <= week.last:
                    sums = weekly[part_key].setdefault(holder_id, [0, 0])
                    sums[0] += pair[0]
                    sums[1] += pair[1]
        for code in codes:

            def members(source: Source) -> set[int]:
                return staff if source.unit_by_person else tree

            result[code].append(
                _figure_from(KPIS[code], weekly, members, targets, margin, coverage.counted_at)
            )
    return result


# --- the four service rates of docs/rates.md -----------------------------------------


@dataclass
class Rates:
    callbacks_due: int
    callbacks_made: int
    reached: int
    satisfied: int
    cases_received: int
    valid_complaints: int
    complaints_resolved: int
    complaints_on_time: int

    @staticmethod
    def _ratio(numerator: int, denominator: int) -> float | None:
        return round(numerator / denominator, 4) if denominator else None

    @property
    def callback_rate(self) -> float | None:
        return self._ratio(self.callbacks_made, self.callbacks_due)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.satisfied, self.reached)

    @property
    def valid_complaint_rate(self) -> float | None:
        return self._ratio(self.valid_complaints, self.cases_received)

    @property
    def complaint_timeliness(self) -> float | None:
        return self._ratio(self.complaints_on_time, self.complaints_resolved)

    @classmethod
    def from_figures(cls, by_code: dict[str, Figure]) -> "Rates":
        callbacks = by_code["callback_rate"]
        satisfaction = by_code["satisfaction_rate"]
        valid = by_code["valid_complaint_rate"]
        timeliness = by_code["complaint_timeliness"]
        return cls(
            callbacks_due=callbacks.denominator,
            callbacks_made=callbacks.numerator,
            reached=satisfaction.denominator,
            satisfied=satisfaction.numerator,
            cases_received=valid.denominator,
            valid_complaints=valid.numerator,
            complaints_resolved=timeliness.denominator,
            complaints_on_time=timeliness.numerator,
        )


RATE_CODES = ["callback_rate", "satisfaction_rate", "valid_complaint_rate", "complaint_timeliness"]


def rates(unit: OrgUnit, start: datetime, end: datetime) -> Rates:
    """The four rates for a unit (with the units under it) over [start, end). The caller
    has checked the reader may see the unit."""
    return Rates.from_figures(_unit_table([unit], RATE_CODES, start, end, {}, Decimal(0))[unit.pk])


def rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    """The four rates of every active company, station and department over [start, end),
    each unit with the units under it."""
    units = list(
        OrgUnit.objects.filter(kind__in=RATE_UNIT_KINDS, is_active=True).order_by("kind", "code")
    )
    table = _unit_table(units, RATE_CODES, start, end, {}, Decimal(0))
    return [(unit, Rates.from_figures(table[unit.pk])) for unit in units]
