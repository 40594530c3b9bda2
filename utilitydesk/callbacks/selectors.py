"""Callback queue, spot-check comparison and the service rates (docs/rates.md)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from utilitydesk.cases.models import Case
from utilitydesk.cases.selectors import queue_units_of_unit
from utilitydesk.complaints.models import COMPANY_FAULT, Appeal, Complaint
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import subtree_ids

from .models import CallbackTask, Outcome, SpotCheck
from .services import SATISFIED_GROUP, may_call_at


def callable_now(user, now: datetime) -> QuerySet[CallbackTask]:
    """The agent's callback queue: nothing outside the allowed hours or during meal and
    rest times (R-603); otherwise their open tasks, the earliest due first."""
    from utilitydesk.sla.services import current_policy

    if not user.has_perm("callbacks.make_callback") or not may_call_at(now, current_policy()):
        return CallbackTask.objects.none()
    mine = Q(caller=user) | Q(caller__isnull=True)
    return (
        CallbackTask.objects.filter(mine, status=CallbackTask.Status.OPEN)
        .select_related("case__customer", "case__responsible_unit", "customer")
        .prefetch_related("customer__phones")
        .order_by("due_at")
    )


@dataclass
class SpotCheckRow:
    case: Case
    first: str
    spot: str

    @property
    def disagrees(self) -> bool:
        if not self.first or not self.spot or Outcome.UNREACHABLE in (self.first, self.spot):
            return False
        return (self.first in SATISFIED_GROUP) != (self.spot in SATISFIED_GROUP)


def spot_check_comparison(check: SpotCheck) -> list[SpotCheckRow]:
    tasks = list(check.tasks.select_related("case"))
    first = dict(
        CallbackTask.objects.filter(
            case_id__in=[t.case_id for t in tasks], purpose=CallbackTask.Purpose.FIRST
        )
        .exclude(outcome="")
        .values_list("case_id", "outcome")
    )
    return [SpotCheckRow(t.case, first.get(t.case_id, ""), t.outcome) for t in tasks]


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
    def callback_rate(self):
        return self._ratio(self.callbacks_made, self.callbacks_due)

    @property
    def satisfaction_rate(self):
        return self._ratio(self.satisfied, self.reached)

    @property
    def valid_complaint_rate(self):
        return self._ratio(self.valid_complaints, self.cases_received)

    @property
    def complaint_timeliness(self):
        return self._ratio(self.complaints_on_time, self.complaints_resolved)


def rates(unit, start: datetime, end: datetime) -> Rates:
    """The four rates for a unit (with the units under it) over [start, end)."""
    units = queue_units_of_unit(unit)
    return _total(_figures_by_unit(start, end, units), units)


def rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    """The four rates of every active company, station and department over [start, end),
    each unit with the units under it: four grouped queries whatever the number of units."""
    figures = _figures_by_unit(start, end)
    units = list(
        OrgUnit.objects.filter(
            kind__in=[UnitKind.COMPANY, UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
        ).order_by("kind", "code")
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
    """The counts behind the rates, per responsible unit (all units, or ``unit_ids``)."""
    scope = Q() if unit_ids is None else Q(responsible_unit_id__in=unit_ids)
    case_scope = Q() if unit_ids is None else Q(case__responsible_unit_id__in=unit_ids)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    received = Q(received_at__gte=start, received_at__lt=end)
    per_unit: dict[int | None, dict[str, int]] = {}

    def add(rows, fields):
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
        overturned = Appeal.objects.filter(complaint=OuterRef("pk"), status=Appeal.Status.UPHELD)
        add(
            Complaint.objects.filter(
                case_scope,
                case__received_at__gte=start,
                case__received_at__lt=end,
                valid=True,
                responsibility__in=list(COMPANY_FAULT),
            )
            .exclude(Exists(overturned))
            .values(unit=F("case__responsible_unit_id"))
            .annotate(n=Count("id")),
            {"n": "valid_complaints"},
        )
        # One resolution deadline per case (unique): a join, not a subquery per case.
        add(
            Case.objects.filter(scope, resolved, kind="complaint")
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
