"""Reads behind the temperature reports (R-707; docs/temperature.md): which measurement
records a person may read, the season's pass rate per station or substation, the spread
of home temperatures, and the failed homes still waiting for their re-measurement.

Every figure is counted in the database (one grouped query each), on the index
``temp_meas_season_station`` (season, station)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Floor
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.area.models import Substation
from utilitydesk.cases.models import Case
from utilitydesk.customers.models import CustomerPhone
from utilitydesk.org.models import OrgUnit
from utilitydesk.org.selectors import station_scope
from utilitydesk.policy.services import current_policy
from utilitydesk.privacy.masking import phone_for

from . import method
from .models import Measurement
from .services import ADJUSTMENT_FOR, REMEASURES

BY_STATION = "station"
BY_SUBSTATION = "substation"
GROUPINGS = (BY_STATION, BY_SUBSTATION)
DEFAULT_SEASON_START = "11-15"
HUNDRED = Decimal("100")
TENTH = Decimal("0.1")


def visible_measurements(actor: AnyUser) -> QuerySet[Measurement]:
    """Measurement records the person may read: with the permission to read measurements,
    a station-scoped person (technician, team leader, station head) those of their
    stations, everyone else the company's. Anonymous visitors and people without the
    permission read none."""
    if not actor.is_authenticated or not actor.has_perm("temperature.view_measurement"):
        return Measurement.objects.none()
    scope = station_scope(actor)
    queryset = Measurement.objects.all()
    if scope is not None:
        queryset = queryset.filter(station_id__in=scope)
    return queryset


def current_season(now: datetime | None = None) -> int:
    """The season a moment belongs to under the published policy's season start."""
    policy = current_policy()
    start = policy.season_start if policy is not None else DEFAULT_SEASON_START
    return method.season_of(now or timezone.now(), start)


def seasons_recorded(actor: AnyUser) -> list[int]:
    """Seasons with records the person may read, newest first (the season picker)."""
    return sorted(
        set(visible_measurements(actor).values_list("season", flat=True).distinct()),
        reverse=True,
    )


# --- pass rate (R-707) -----------------------------------------------------------------------


@dataclass(frozen=True)
class PassRateRow:
    unit_id: int | None
    unit_name: str
    measured: int
    passed: int
    rate: Decimal | None


def pass_rate(passed: int, measured: int) -> Decimal | None:
    """Passed over measured as a percentage to 0.1 (None when nothing was measured)."""
    if measured == 0:
        return None
    return (Decimal(passed) * HUNDRED / Decimal(measured)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _season_valid(actor: AnyUser, season: int) -> QuerySet[Measurement]:
    return visible_measurements(actor).filter(season=season, valid=True)


def season_pass_rates(actor: AnyUser, season: int, by: str = BY_STATION) -> list[PassRateRow]:
    """R-707: per station (or substation) the valid measurements of the season and those
    that passed (the record's verdict against its target, stored when it was signed),
    counted in one grouped query on (season, station), then the units' names; records
    without a station or substation come last as one row with ``unit_id`` None."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    key = f"{by}_id"
    grouped = list(
        _season_valid(actor, season)
        .order_by()
        .values(key)
        .annotate(measured=Count("pk"), passed_count=Count("pk", filter=Q(passed=True)))
    )
    # Grouped by the id alone (the index's second column); the few names come after.
    unit_model = OrgUnit if by == BY_STATION else Substation
    names = dict(
        unit_model.objects.filter(pk__in=[item[key] for item in grouped if item[key]]).values_list(
            "pk", "name"
        )
    )
    rows = [
        PassRateRow(
            unit_id=item[key],
            unit_name=names.get(item[key], "") if item[key] else "",
            measured=item["measured"],
            passed=item["passed_count"],
            rate=pass_rate(item["passed_count"], item["measured"]),
        )
        for item in grouped
    ]
    rows.sort(key=lambda row: (row.unit_id is None, row.unit_name, row.unit_id or 0))
    return rows


def total_row(rows: Sequence[PassRateRow], name: str = "") -> PassRateRow:
    """The company's (or the person's scope's) line under the table: the sums of the rows."""
    measured = sum(row.measured for row in rows)
    passed = sum(row.passed for row in rows)
    return PassRateRow(
        unit_id=None,
        unit_name=name,
        measured=measured,
        passed=passed,
        rate=pass_rate(passed, measured),
    )


# --- distribution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DistributionBin:
    low: Decimal  # inclusive
    high: Decimal  # exclusive
    count: int
    passed: int


def reading_distribution(
    actor: AnyUser,
    season: int,
    station_id: int | None = None,
    *,
    width: Decimal = Decimal("0.5"),
) -> list[DistributionBin]:
    """Home temperatures of the season's valid records in bins of ``width`` °C (0.5 by
    default), counted in the database; empty bins between the lowest and the highest are
    filled in so the table and the chart have no gaps."""
    if width <= 0:
        raise ValueError("width must be positive")
    queryset = _season_valid(actor, season)
    if station_id is not None:
        queryset = queryset.filter(station_id=station_id)
    per_degree = Decimal(1) / width
    grouped = (
        queryset.order_by()
        .annotate(bucket=Floor(F("home_celsius") * per_degree))
        .values("bucket")
        .annotate(count=Count("pk"), passed_count=Count("pk", filter=Q(passed=True)))
    )
    counts: dict[int, tuple[int, int]] = {}
    for item in grouped:
        bucket = int(Decimal(str(item["bucket"])))
        seen, passed = counts.get(bucket, (0, 0))
        counts[bucket] = (seen + item["count"], passed + item["passed_count"])
    if not counts:
        return []
    bins = []
    for bucket in range(min(counts), max(counts) + 1):
        seen, passed = counts.get(bucket, (0, 0))
        low = (Decimal(bucket) * width).quantize(TENTH)
        bins.append(
            DistributionBin(low=low, high=(low + width).quantize(TENTH), count=seen, passed=passed)
        )
    return bins


# --- failed homes waiting for their re-measurement -------------------------------------------


def failed_not_remeasured(
    actor: AnyUser, season: int, station_id: int | None = None
) -> QuerySet[Measurement]:
    """Homes whose latest valid record of the season failed and that have no later record:
    those records, the longest waiting first. Page through it and build the rows with
    ``failed_home_rows``."""
    later = Measurement.objects.filter(
        premises_id=OuterRef("premises_id"),
        valid=True,
        measured_at__gt=OuterRef("measured_at"),
    )
    queryset = (
        _season_valid(actor, season)
        .filter(passed=False)
        .filter(~Exists(later))
        .select_related("premises__customer", "premises__building", "station", "substation")
        .order_by("measured_at", "pk")
    )
    if station_id is not None:
        queryset = queryset.filter(station_id=station_id)
    return queryset


@dataclass(frozen=True)
class FollowUp:
    number: str
    status: str
    status_label: str


@dataclass(frozen=True)
class FailedHome:
    measurement: Measurement
    days_waiting: int
    adjustment: FollowUp | None
    remeasurement: FollowUp | None
    phone: str  # the customer's first number, masked for the reader

    @property
    def customer_id(self) -> int:
        return int(self.measurement.premises.customer_id)


def _follow_ups(attribute: str, numbers: list[str]) -> dict[str, FollowUp]:
    if not numbers:
        return {}
    found: dict[str, FollowUp] = {}
    cases = (
        Case.objects.filter(**{f"attributes__{attribute}__in": numbers})
        .order_by("received_at", "pk")
        .only("number", "status", "attributes")
    )
    for case in cases:
        key = str(case.attributes.get(attribute, ""))
        # The newest case for a record wins (a cancelled one may have been opened again).
        found[key] = FollowUp(case.number, case.status, str(case.get_status_display()))
    return found


def _first_phones(customer_ids: set[int]) -> dict[int, str]:
    phones: dict[int, str] = {}
    for customer_id, number in (
        CustomerPhone.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "-position", "-pk")
        .values_list("customer_id", "number")
    ):
        phones[customer_id] = number  # the last one written is the first in order
    return phones


def failed_home_rows(
    actor: AnyUser, measurements: Iterable[Measurement], *, now: datetime | None = None
) -> list[FailedHome]:
    """The rows of a page of ``failed_not_remeasured``: how many days each home has waited
    since its failed record (local days), its adjustment and re-measurement cases and the
    customer's phone as the reader may see it; three queries for the page."""
    now = now or timezone.now()
    today = now.astimezone(method.LOCAL).date()
    records = list(measurements)
    numbers = [m.number for m in records]
    adjustments = _follow_ups(ADJUSTMENT_FOR, numbers)
    remeasurements = _follow_ups(REMEASURES, numbers)
    phones = _first_phones({m.premises.customer_id for m in records})
    return [
        FailedHome(
            measurement=m,
            days_waiting=max((today - m.measured_at.astimezone(method.LOCAL).date()).days, 0),
            adjustment=adjustments.get(m.number),
            remeasurement=remeasurements.get(m.number),
            phone=phone_for(actor, phones.get(m.premises.customer_id, "")),
        )
        for m in records
    ]
