"""Reads of the arrears app: the arrears list per station (station heads see their
stations, billing clerks and leaders the company) with its filters and the total of the
filtered rows, read from the maintained records (one indexed row per account), never by
summing the ledger per request."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.area.models import District
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope

from .models import ArrearsAction, ArrearsRecord, HeatApplication

VIEW_PERMISSION = "arrears.view_arrearsrecord"
EXPORT_PERMISSION = "arrears.export_arrears"


@dataclass(frozen=True)
class Filters:
    season: int | None = None
    station_id: int | None = None
    district_id: int | None = None
    customer_type: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    step: str = ""  # "none": no step taken yet
    min_days: int | None = None  # overdue at least this many days


def visible_records(user: AnyUser) -> QuerySet[ArrearsRecord]:
    if not user.is_authenticated or not user.has_perm(VIEW_PERMISSION):
        return ArrearsRecord.objects.none()
    scope = station_scope(user)
    records = ArrearsRecord.objects.all()
    if scope is not None:
        records = records.filter(station_id__in=scope)
    return records


def arrears_rows(
    user: AnyUser, filters: Filters, today: date | None = None
) -> QuerySet[ArrearsRecord]:
    """Open arrears (overdue amount > 0) the user may see, filtered, largest first."""
    today = today or timezone.localdate()
    rows = visible_records(user).filter(overdue_amount__gt=0)
    if filters.season is not None:
        rows = rows.filter(season=filters.season)
    if filters.station_id is not None:
        rows = rows.filter(station_id=filters.station_id)
    if filters.district_id is not None:
        rows = rows.filter(district_id=filters.district_id)
    if filters.customer_type:
        rows = rows.filter(customer_type=filters.customer_type)
    if filters.min_amount is not None:
        rows = rows.filter(overdue_amount__gte=filters.min_amount)
    if filters.max_amount is not None:
        rows = rows.filter(overdue_amount__lte=filters.max_amount)
    if filters.step == "none":
        rows = rows.filter(step="")
    elif filters.step:
        rows = rows.filter(step=filters.step)
    if filters.min_days is not None:
        rows = rows.filter(due_on__lte=today - timedelta(days=filters.min_days))
    return rows.order_by("-overdue_amount", "id")


def totals(rows: QuerySet[ArrearsRecord]) -> tuple[int, Decimal]:
    """The number of filtered rows and their overdue total, in one query."""
    found = rows.order_by().aggregate(n=Count("id"), total=Sum("overdue_amount"))
    return int(found["n"] or 0), found["total"] or Decimal("0.00")


def with_details(rows: QuerySet[ArrearsRecord]) -> QuerySet[ArrearsRecord]:
    return rows.select_related("customer", "premises", "station")


class CountedRows:
    """A queryset whose count is already known (from ``totals``), for the paginator: the
    page costs one query for the rows and one for count and total."""

    def __init__(self, rows: QuerySet[ArrearsRecord], count: int) -> None:
        self.rows, self._count = rows, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: Any) -> Any:
        return self.rows[key]


def list_stations(user: AnyUser) -> list[OrgUnit]:
    scope = station_scope(user)
    stations = OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("code")
    if scope is not None:
        stations = stations.filter(pk__in=scope)
    return list(stations)


def list_districts() -> list[District]:
    return list(District.objects.order_by("name"))


def record_for(user: AnyUser, record_id: int) -> ArrearsRecord | None:
    return (
        visible_records(user)
        .select_related("customer", "premises", "station", "policy")
        .filter(pk=record_id)
        .first()
    )


def actions_of(record: ArrearsRecord) -> list[ArrearsAction]:
    return list(
        record.actions.select_related("requested_by", "decided_by").order_by("requested_at", "pk")
    )


def applications_of(user: AnyUser, premises_id: int) -> list[HeatApplication]:
    return list(
        HeatApplication.objects.filter(premises_id=premises_id)
        .select_related("requested_by")
        .order_by("-requested_at")[:20]
    )
