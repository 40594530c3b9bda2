"""Callback queue, spot-check comparison and the service rates (docs/rates.md)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from utilitydesk.cases.models import Case
from utilitydesk.cases.selectors import queue_units_of_unit
from utilitydesk.complaints.models import COMPANY_FAULT, Appeal, Complaint
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
