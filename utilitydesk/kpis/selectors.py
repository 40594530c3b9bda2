"""The service rates (docs/rates.md): callback, satisfaction, valid-complaint and
complaint-handling timeliness rates of a unit, and of every unit at once. Read from the
tables of cases, callbacks and complaints; the permission stays with the callback model
(`callbacks.view_rates`)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.callbacks.services import SATISFIED_GROUP
from utilitydesk.cases.models import Case, Kind
from utilitydesk.complaints.models import COMPANY_FAULT, Appeal, Complaint
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope, subtree_ids


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


RATE_UNIT_KINDS = [UnitKind.COMPANY, UnitKind.STATION, UnitKind.DEPARTMENT]


def may_read_rates(user: AnyUser) -> bool:
    return user.has_perm("callbacks.view_rates")


def rate_units(user: AnyUser) -> QuerySet[OrgUnit]:
    """The units whose rates the user may read: the company's for leaders and the service
    office; a station head's own station(s) only."""
    if not may_read_rates(user):
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(kind__in=RATE_UNIT_KINDS, is_active=True).order_by(
        "kind", "code"
    )
    scope = station_scope(user)
    return units if scope is None else units.filter(pk__in=scope)


def rates(unit: OrgUnit, start: datetime, end: datetime) -> Rates:
    """The four rates for a unit (with the units under it) over [start, end)."""
    units = subtree_ids([unit.pk])[unit.pk]
    return _total(_figures_by_unit(start, end, units), units)


def rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    """The four rates of every active company, station and department over [start, end),
    each unit with the units under it: four grouped queries whatever the number of units."""
    figures = _figures_by_unit(start, end)
    units = list(
        OrgUnit.objects.filter(kind__in=RATE_UNIT_KINDS, is_active=True).order_by("kind", "code")
    )
    trees = subtree_ids(u.pk for u in units)
    return [(unit, _total(figures, trees[unit.pk])) for unit in units]


def _total(figures: dict[int | None, dict[str, int]], unit_ids: set[int]) -> Rates:
    totals = dict.fromkeys(Rates.__dataclass_fields__, 0)
    for unit_id in unit_ids:
        for key, value in figures.get(unit_id, {}).items():
            totals[key] += value
    return Rates(**totals)


def _figures_by_unit(
    start: datetime, end: datetime, unit_ids: set[int] | None = None
) -> dict[int | None, dict[str, int]]:
    """The counts behind the rates, per unit (all units, or ``unit_ids``): callbacks,
    cases received and complaint timeliness by the case's responsible unit, valid
    complaints by the unit held responsible."""
    scope = Q() if unit_ids is None else Q(responsible_unit_id__in=unit_ids)
    case_scope = Q() if unit_ids is None else Q(case__responsible_unit_id__in=unit_ids)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    received = Q(received_at__gte=start, received_at__lt=end)
    per_unit: dict[int | None, dict[str, int]] = {}

    def add(rows: Iterable[Mapping[str, Any]], fields: dict[str, str]) -> None:
        for row in rows:
            bucket = per_unit.setdefault(row["unit"], dict.fromkeys(Rates.__dataclass_fields__, 0))
            for source, target in fields.items():
                bucket[target] += row[source] or 0

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Month-sized aggregates: hash joins in memory, and no JIT compile (it costs
            # more than it saves at this size).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        add(
            CallbackTask.objects.filter(case_scope, purpose=CallbackTask.Purpose.FIRST)
            .filter(case__resolved_at__gte=start, case__resolved_at__lt=end)
            .values(unit=F("case__responsible_unit_id"))
            .annotate(
                due=Count("id"),
                made=Count(
                    "id",
                    filter=Q(
                        status__in=[CallbackTask.Status.DONE, CallbackTask.Status.UNREACHABLE]
                    ),
                ),
                reached=Count("id", filter=Q(status=CallbackTask.Status.DONE)),
                satisfied=Count(
                    "id",
                    filter=Q(status=CallbackTask.Status.DONE, outcome__in=list(SATISFIED_GROUP)),
                ),
            ),
            {
                "due": "callbacks_due",
                "made": "callbacks_made",
                "reached": "reached",
                "satisfied": "satisfied",
            },
        )
        add(
            Case.objects.filter(scope, received)
            .values(unit=F("responsible_unit_id"))
            .annotate(n=Count("id")),
            {"n": "cases_received"},
        )
        # A valid complaint is charged to the unit held responsible, not to the
        # unit that handled the complaint case; its team's count rolls up to the station.
        overturned = Appeal.objects.filter(complaint=OuterRef("pk"), status=Appeal.Status.UPHELD)
        add(
            Complaint.objects.filter(
                scope,
                case__received_at__gte=start,
                case__received_at__lt=end,
                valid=True,
                responsibility__in=list(COMPANY_FAULT),
            )
            .exclude(Exists(overturned))
            .values(unit=F("responsible_unit_id"))
            .annotate(n=Count("id")),
            {"n": "valid_complaints"},
        )
        # One resolution deadline per case (unique): a join, not a subquery per case.
        add(
            Case.objects.filter(scope, resolved, kind=Kind.COMPLAINT)
            .annotate(
                limit=FilteredRelation("deadlines", condition=Q(deadlines__name="resolution"))
            )
            .values(unit=F("responsible_unit_id"))
            .annotate(
                n=Count("id"),
                on_time=Count(
                    "id",
                    filter=~Q(limit__met_at__gt=F("limit__due_at"))
                    & Q(limit__breached_at__isnull=True),
                ),
            ),
            {"n": "complaints_resolved", "on_time": "complaints_on_time"},
        )
    return per_unit
