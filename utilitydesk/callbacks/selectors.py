"""Callback queue, spot-check comparison and the service rates (docs/rates.md)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from utilitydesk.cases.models import Case
from utilitydesk.cases.selectors import queue_units_of_unit
from utilitydesk.complaints.models import COMPANY_FAULT, Appeal, Complaint
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.sla.models import CaseDeadline

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
    resolved = Case.objects.filter(
        responsible_unit_id__in=units, resolved_at__gte=start, resolved_at__lt=end
    )
    tasks = CallbackTask.objects.filter(
        purpose=CallbackTask.Purpose.FIRST, case__in=resolved
    ).aggregate(
        due=Count("id"),
        made=Count(
            "id", filter=Q(status__in=[CallbackTask.Status.DONE, CallbackTask.Status.UNREACHABLE])
        ),
        reached=Count("id", filter=Q(status=CallbackTask.Status.DONE)),
        satisfied=Count(
            "id", filter=Q(status=CallbackTask.Status.DONE, outcome__in=list(SATISFIED_GROUP))
        ),
    )
    received = Case.objects.filter(
        responsible_unit_id__in=units, received_at__gte=start, received_at__lt=end
    )
    overturned = Appeal.objects.filter(complaint=OuterRef("pk"), status=Appeal.Status.UPHELD)
    valid = (
        Complaint.objects.filter(
            case__in=received, valid=True, responsibility__in=list(COMPANY_FAULT)
        )
        .exclude(Exists(overturned))
        .count()
    )
    complaints_resolved = Case.objects.filter(kind="complaint", pk__in=resolved.values("pk"))
    late = CaseDeadline.objects.filter(
        case=OuterRef("pk"), name="resolution", met_at__gt=F("due_at")
    )
    breached = CaseDeadline.objects.filter(
        case=OuterRef("pk"), name="resolution", breached_at__isnull=False
    )
    on_time = complaints_resolved.exclude(Exists(late)).exclude(Exists(breached)).count()
    return Rates(
        callbacks_due=tasks["due"],
        callbacks_made=tasks["made"],
        reached=tasks["reached"],
        satisfied=tasks["satisfied"],
        cases_received=received.count(),
        valid_complaints=valid,
        complaints_resolved=complaints_resolved.count(),
        complaints_on_time=on_time,
    )


def rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    """The four rates of every active company, station and department over [start, end),
    each unit with the units under it — the same figures as ``rates`` unit by unit, from
    four grouped queries whatever the number of units."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Month-sized aggregates: hash joins in memory, and no JIT compile (it costs
            # more than it saves at this size).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        return _rates_by_unit(start, end)


def _rates_by_unit(start: datetime, end: datetime) -> list[tuple[OrgUnit, Rates]]:
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    received = Q(received_at__gte=start, received_at__lt=end)
    per_unit: dict[int | None, dict[str, int]] = {}

    def add(rows, fields):
        for row in rows:
            bucket = per_unit.setdefault(row["unit"], dict.fromkeys(Rates.__dataclass_fields__, 0))
            for source, target in fields.items():
                bucket[target] += row[source] or 0

    add(
        CallbackTask.objects.filter(purpose=CallbackTask.Purpose.FIRST)
        .filter(case__resolved_at__gte=start, case__resolved_at__lt=end)
        .values(unit=F("case__responsible_unit_id"))
        .annotate(
            due=Count("id"),
            made=Count(
                "id",
                filter=Q(status__in=[CallbackTask.Status.DONE, CallbackTask.Status.UNREACHABLE]),
            ),
            reached=Count("id", filter=Q(status=CallbackTask.Status.DONE)),
            satisfied=Count(
                "id", filter=Q(status=CallbackTask.Status.DONE, outcome__in=list(SATISFIED_GROUP))
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
        Case.objects.filter(received).values(unit=F("responsible_unit_id")).annotate(n=Count("id")),
        {"n": "cases_received"},
    )
    overturned = Appeal.objects.filter(complaint=OuterRef("pk"), status=Appeal.Status.UPHELD)
    add(
        Complaint.objects.filter(
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
        Case.objects.filter(resolved, kind="complaint")
        .annotate(limit=FilteredRelation("deadlines", condition=Q(deadlines__name="resolution")))
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
    units = list(
        OrgUnit.objects.filter(
            kind__in=[UnitKind.COMPANY, UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
        ).order_by("kind", "code")
    )
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in OrgUnit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(unit_id)

    def below(unit_id: int) -> list[int]:
        ids, frontier = [unit_id], [unit_id]
        while frontier:
            frontier = [c for u in frontier for c in children.get(u, [])]
            ids += frontier
        return ids

    table = []
    for unit in units:
        totals = dict.fromkeys(Rates.__dataclass_fields__, 0)
        for unit_id in below(unit.pk):
            for key, value in per_unit.get(unit_id, {}).items():
                totals[key] += value
        table.append((unit, Rates(**totals)))
    return table
