"""KPI figures and the rows behind them (R-904, docs/kpis.md), for a unit (with the units
under it) or a person, over a period; each figure with its target and colour.

A figure is the count of the rows its drill-down list shows: both come from
``_part_rows``. Grouped figures (every unit, every person of a unit) are one grouped
query per part whatever the number of units."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.org.models import Assignment, OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope, subtree_ids
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy

from .definitions import KPIS, MEASURES, Direction, Kpi, Source, required
from .periods import Period

User = get_user_model()

NUMERATOR = "numerator"
DENOMINATOR = "denominator"
PARTS = (NUMERATOR, DENOMINATOR)
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


def _targets(policy: PolicyVersion | None) -> tuple[dict[str, Decimal], Decimal]:
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


def _part_source(kpi: Kpi, part: str) -> tuple[Source, Q]:
    if part == DENOMINATOR:
        return kpi.denominator, Q()
    if isinstance(kpi.numerator, Source):
        return kpi.numerator, Q()
    return kpi.denominator, kpi.numerator


def source_of(kpi: Kpi, part: str) -> Source:
    """The source whose rows a part of a figure lists."""
    return _part_source(kpi, part)[0]


def _part_rows(
    kpi: Kpi,
    part: str,
    start: datetime,
    end: datetime,
    unit: OrgUnit | None,
    person: Any | None,
) -> QuerySet[models.Model]:
    source, narrowing = _part_source(kpi, part)
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
    """Month-sized aggregates on PostgreSQL: hash joins in memory, and no JIT compile (it
    costs more than it saves at this size). Inside the caller's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")


def _figure(
    kpi: Kpi,
    start: datetime,
    end: datetime,
    unit: OrgUnit | None,
    person: Any | None,
    targets: dict[str, Decimal],
    margin: Decimal,
) -> Figure:
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
    targets, margin = _targets(policy or current_policy())
    chosen = [KPIS[code] for code in (codes or KPIS)]
    with transaction.atomic():
        _tuned()
        return [_figure(kpi, start, end, unit, person, targets, margin) for kpi in chosen]


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


def _grouped_counts(
    source: Source, narrowing: Q, start: datetime, end: datetime, key: str
) -> dict[int | None, tuple[int, int]]:
    rows = source.rows().filter(source.in_period(start, end))
    return {
        row["key"]: (row["n"], row["hit"])
        for row in rows.values(key=models.F(key)).annotate(
            n=Count("pk"), hit=Count("pk", filter=narrowing)
        )
    }


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


def _part_counts_by_unit(
    kpi: Kpi,
    part: str,
    start: datetime,
    end: datetime,
    trees: dict[int, set[int]],
    people: dict[int, set[int]],
) -> dict[int, tuple[int, int]]:
    """(rows, rows meeting the narrowing) of a part per unit, the units under it
    included: one grouped query, summed over each unit's subtree (or its people)."""
    source = _part_source(kpi, part)[0]
    # The denominator's rows counted with the numerator's condition when it is a subset.
    narrowing = kpi.numerator if isinstance(kpi.numerator, Q) and part == DENOMINATOR else Q()
    by_person = source.unit_by_person
    key = (
        required(source.person_path, "person") if by_person else required(source.unit_path, "unit")
    )
    grouped = _grouped_counts(source, narrowing, start, end, key)
    totals: dict[int, tuple[int, int]] = {}
    for root, tree in trees.items():
        members = people[root] if by_person else tree
        n = hit = 0
        for member in members:
            pair = grouped.get(member)
            if pair:
                n, hit = n + pair[0], hit + pair[1]
        totals[root] = (n, hit)
    return totals


def _unit_table(
    units: list[OrgUnit],
    codes: Iterable[str],
    start: datetime,
    end: datetime,
    targets: dict[str, Decimal],
    margin: Decimal,
) -> dict[int, dict[str, Figure]]:
    trees = subtree_ids(u.pk for u in units)
    people = _persons_by_unit(trees)
    result: dict[int, dict[str, Figure]] = {u.pk: {} for u in units}
    with transaction.atomic():
        _tuned()
        for code in codes:
            kpi = KPIS[code]
            denominators = _part_counts_by_unit(kpi, DENOMINATOR, start, end, trees, people)
            if isinstance(kpi.numerator, Source):
                numerators = {
                    root: pair[0]
                    for root, pair in _part_counts_by_unit(
                        kpi, NUMERATOR, start, end, trees, people
                    ).items()
                }
            else:
                numerators = {root: pair[1] for root, pair in denominators.items()}
            for unit in units:
                result[unit.pk][code] = Figure(
                    kpi, numerators[unit.pk], denominators[unit.pk][0], targets.get(code), margin
                )
    return result


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
    one or two grouped queries per KPI whatever the number of units."""
    readable = list(kpi_units(user))
    if units is not None:
        wanted = {u.pk for u in units}
        readable = [u for u in readable if u.pk in wanted]
    targets, margin = _targets(policy or current_policy())
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
    """The KPIs of every person assigned in ``unit`` (or under it): one or two grouped
    queries per KPI."""
    _check(user, unit, None)
    tree = subtree_ids([unit.pk])[unit.pk]
    people = list(
        User.objects.filter(assignments__unit_id__in=tree, assignments__is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    targets, margin = _targets(policy or current_policy())
    ids = {person.pk for person in people}
    result: dict[int, dict[str, Figure]] = {pk: {} for pk in ids}
    with transaction.atomic():
        _tuned()
        for code in codes or KPIS:
            kpi = KPIS[code]
            source = kpi.denominator
            narrowing = kpi.numerator if isinstance(kpi.numerator, Q) else Q()
            grouped = _grouped_counts(
                source, narrowing, start, end, required(source.person_path, "person")
            )
            if isinstance(kpi.numerator, Source):
                hits = {
                    key: pair[0]
                    for key, pair in _grouped_counts(
                        kpi.numerator,
                        Q(),
                        start,
                        end,
                        required(kpi.numerator.person_path, "person"),
                    ).items()
                }
            else:
                hits = {key: pair[1] for key, pair in grouped.items()}
            for pk in ids:
                result[pk][code] = Figure(
                    kpi,
                    hits.get(pk, 0),
                    grouped.get(pk, (0, 0))[0],
                    targets.get(code),
                    margin,
                )
    return [(person, result[person.pk]) for person in people]


def figures_by_week(
    user: AnyUser, unit: OrgUnit, weeks: Sequence[Period], codes: Iterable[str]
) -> dict[str, list[Figure]]:
    """Each KPI's figure for each of the consecutive ISO ``weeks``, as ``figures`` counts
    it: one query per KPI over the whole range, grouped by local day and summed into weeks
    (the dashboards' trend)."""
    _check(user, unit, None)
    targets, margin = _targets(current_policy())
    tree = subtree_ids([unit.pk])[unit.pk]
    start, end = weeks[0].start, weeks[-1].end
    result: dict[str, list[Figure]] = {}
    with transaction.atomic():
        _tuned()
        for code in codes:
            kpi = KPIS[code]
            if not isinstance(kpi.numerator, Q):
                # A numerator with rows of its own: week by week through the selector.
                result[code] = [
                    figures(user, w.start, w.end, unit=unit, codes=[code])[0] for w in weeks
                ]
                continue
            source = kpi.denominator
            period_field = required(source.period_field, "period")
            per_day = (
                source.rows()
                .filter(source.in_period(start, end))
                .filter(source.for_units(tree))
                .annotate(day=TruncDate(period_field, tzinfo=timezone.get_default_timezone()))
                .values("day")
                .annotate(n=Count("pk"), hit=Count("pk", filter=kpi.numerator))
            )
            sums = {w.first: [0, 0] for w in weeks}
            for row in per_day:
                monday = row["day"] - timedelta(days=row["day"].weekday())
                if monday in sums:
                    sums[monday][0] += row["n"]
                    sums[monday][1] += row["hit"]
            result[code] = [
                Figure(kpi, sums[w.first][1], sums[w.first][0], targets.get(code), margin)
                for w in weeks
            ]
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
    targets, margin = _targets(None)
    with transaction.atomic():
        _tuned()
        by_code = {
            code: _figure(KPIS[code], start, end, unit, None, targets, margin)
            for code in RATE_CODES
        }
    return Rates.from_figures(by_code)


def rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    """The four rates of every active company, station and department over [start, end),
    each unit with the units under it."""
    units = list(
        OrgUnit.objects.filter(kind__in=RATE_UNIT_KINDS, is_active=True).order_by("kind", "code")
    )
    table = _unit_table(units, RATE_CODES, start, end, {}, Decimal(0))
    return [(unit, Rates.from_figures(table[unit.pk])) for unit in units]
