"""Callback queue and spot-check comparison (docs/rates.md); the rates are in kpis."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import BigIntegerField, CharField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from utilitydesk.accounts.typing import Actor
from utilitydesk.cases.models import Case
from utilitydesk.cases.scope import queue_units_of_unit
from utilitydesk.customers.models import Customer, Grade, Premises
from utilitydesk.policy.services import current_policy

from .models import CallbackTask, Outcome, SpotCheck
from .services import SATISFIED_GROUP, may_call_at


def callable_now(user: Actor, now: datetime) -> QuerySet[CallbackTask]:
    """The agent's callback queue: nothing outside the allowed hours or during meal and
    rest times (R-603); otherwise their open tasks, the earliest due first."""
    return callback_queue(user, now)


def supervises_callbacks(user: Actor) -> bool:
    """Supervisors of callbacks (who run spot checks) see and record everyone's."""
    return user.is_superuser or user.has_perm("callbacks.run_spot_check")


def _tasks_of(user: Actor) -> QuerySet[CallbackTask]:
    if not user.has_perm("callbacks.make_callback"):
        return CallbackTask.objects.none()
    if supervises_callbacks(user):
        return CallbackTask.objects.all()
    return CallbackTask.objects.filter(Q(caller=user) | Q(caller__isnull=True))


def task_for(user: Actor, pk: int) -> CallbackTask | None:
    """One callback the user may record (their own, an unassigned one, or any for a
    supervisor), with what its form and panel show."""
    return (
        _with_unit(_tasks_of(user))
        .select_related("case__customer", "case__responsible_unit", "customer", "caller")
        .prefetch_related("customer__phones", "case__customer__phones", "tries__by")
        .filter(pk=pk)
        .first()
    )


def _with_unit(tasks: QuerySet[CallbackTask]) -> QuerySet[CallbackTask]:
    """The unit a callback is about: the case's responsible unit, or the heating station
    of the account's (first) premises for a regular account callback."""
    station = Premises.objects.filter(customer_id=OuterRef("customer_id")).order_by("pk")
    return tasks.annotate(
        task_unit_id=Coalesce(
            F("case__responsible_unit_id"),
            Subquery(station.values("station_id")[:1]),
            output_field=BigIntegerField(),
        ),
        unit_name=Coalesce(
            F("case__responsible_unit__name"),
            Subquery(station.values("station__name")[:1]),
            output_field=CharField(),
        ),
    )


TYPE_FILTERS = {
    "case": Q(purpose=CallbackTask.Purpose.FIRST),
    "vip": Q(purpose=CallbackTask.Purpose.ACCOUNT, customer__grade=Grade.VIP),
    "long_term": Q(purpose=CallbackTask.Purpose.ACCOUNT) & ~Q(customer__grade=Grade.VIP),
    "spot_check": Q(purpose=CallbackTask.Purpose.SPOT_CHECK),
}
SORTS = {
    "due": ("due_at", "pk"),
    "-due": ("-due_at", "-pk"),
    "-tries": ("-attempts", "due_at", "pk"),
    "unit": ("unit_name", "due_at", "pk"),
    "type": ("purpose", "due_at", "pk"),
}


def callback_queue(
    user: Actor, now: datetime, filters: dict[str, Any] | None = None
) -> QuerySet[CallbackTask]:
    """Open callbacks the user may make, filtered (type, due, unit, agent) and sorted;
    nothing outside the allowed hours or during meal and rest times (R-603)."""
    if not user.has_perm("callbacks.make_callback") or not may_call_at(now, current_policy()):
        return CallbackTask.objects.none()
    filters = filters or {}
    tasks = _with_unit(_tasks_of(user).filter(status=CallbackTask.Status.OPEN))
    if filters.get("type") in TYPE_FILTERS:
        tasks = tasks.filter(TYPE_FILTERS[filters["type"]])
    due = filters.get("due")
    if due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif due in ("today", "week"):
        today = timezone.localtime(now).date()
        first = today - timedelta(days=today.weekday()) if due == "week" else today
        last = first + timedelta(days=7 if due == "week" else 1)
        tasks = tasks.filter(
            due_at__gte=timezone.make_aware(datetime.combine(first, time.min)),
            due_at__lt=timezone.make_aware(datetime.combine(last, time.min)),
        )
    if filters.get("unit") is not None:
        tasks = tasks.filter(task_unit_id__in=queue_units_of_unit(filters["unit"]))  # type: ignore[misc]  # an annotation of the queryset
    agent = filters.get("agent", "")
    if agent == "mine":
        tasks = tasks.filter(caller=user)
    elif agent == "unassigned":
        tasks = tasks.filter(caller__isnull=True)
    elif agent.isdecimal() and supervises_callbacks(user):
        tasks = tasks.filter(caller_id=int(agent))
    return (
        tasks.select_related("case__customer", "customer", "caller")
        .prefetch_related("customer__phones", "case__customer__phones")
        .order_by(*SORTS.get(filters.get("sort", ""), SORTS["due"]))
    )


@dataclass
class QueueRow:
    """One line of the callback list: who to call, on which numbers, about what. Numbers
    are unmasked here: templates show them through the privacy filter."""

    task: CallbackTask
    kind: str
    name: str
    reference: str
    phones: list[str]
    unit: str

    @property
    def phone(self) -> str:
        return self.phones[0] if self.phones else ""


def _numbers(*sources: str | Customer | None) -> list[str]:
    seen: dict[str, None] = {}
    for source in sources:
        if isinstance(source, str):
            if source:
                seen.setdefault(source, None)
        elif source is not None:
            for phone in source.phones.all():
                seen.setdefault(phone.number, None)
    return list(seen)


def task_kind(task: CallbackTask) -> str:
    if task.purpose == CallbackTask.Purpose.ACCOUNT:
        return (
            "vip" if task.customer is not None and task.customer.grade == Grade.VIP else "long_term"
        )
    return "spot_check" if task.purpose == CallbackTask.Purpose.SPOT_CHECK else "case"


def queue_row(task: CallbackTask) -> QueueRow:
    """The caller's number of the case first, then the customer's numbers (a case entered
    for a known customer may have no caller number of its own)."""
    unit = getattr(task, "unit_name", None) or ""
    case = task.case
    if case is not None:
        customer = case.customer if case.customer_id else None
        return QueueRow(
            task,
            task_kind(task),
            case.caller_name or (customer.name if customer else ""),
            case.number,
            _numbers(case.caller_phone, customer),
            unit,
        )
    customer = task.customer
    return QueueRow(
        task,
        task_kind(task),
        customer.name if customer else "",
        customer.account_no if customer else "",
        _numbers(customer),
        unit,
    )


def customer_of(task: CallbackTask) -> int | None:
    return task.customer_id or (task.case.customer_id if task.case is not None else None)


@dataclass
class SpotCheckRow:
    case: Case
    first: str
    spot: str
    phones: list[str] = field(default_factory=list)

    @property
    def first_label(self) -> str:
        return str(Outcome(self.first).label) if self.first else ""

    @property
    def spot_label(self) -> str:
        return str(Outcome(self.spot).label) if self.spot else ""

    @property
    def disagrees(self) -> bool:
        if not self.first or not self.spot or Outcome.UNREACHABLE in (self.first, self.spot):
            return False
        return (self.first in SATISFIED_GROUP) != (self.spot in SATISFIED_GROUP)


def spot_check_comparison(check: SpotCheck) -> list[SpotCheckRow]:
    tasks = list(
        check.tasks.select_related("case__customer").prefetch_related("case__customer__phones")
    )
    first = dict(
        CallbackTask.objects.filter(
            case_id__in=[t.case_id for t in tasks], purpose=CallbackTask.Purpose.FIRST
        )
        .exclude(outcome="")
        .values_list("case_id", "outcome")
    )
    return [
        SpotCheckRow(
            t.case,
            first.get(t.case.pk, ""),
            t.outcome,
            _numbers(t.case.caller_phone, t.case.customer if t.case.customer_id else None),
        )
        for t in tasks
        if t.case is not None  # spot-check tasks are made from cases
    ]
