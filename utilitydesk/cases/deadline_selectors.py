"""Reads of case deadlines, pauses and escalations: a case's nearest live deadline for the
lists (``with_next_due``), what is overdue or due soon, and a case's own rows."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Case as CaseWhen
from django.db.models import (
    DateTimeField,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from utilitydesk.accounts.names import display_name

from .deadline_models import CaseDeadline, CaseEscalation, CasePause
from .models import OPEN_STATUSES, Case, Status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class NextDue(TypedDict):
    next_due: datetime | None


# A case annotated by ``with_next_due``.
type CaseWithNextDue = WithAnnotations[Case, NextDue]

# A deadline still counts until it is met: running (pending) or already missed (breached;
# the sweeper marks it so, and it stays overdue until the action it waits for is done).
# Paused deadlines stop counting while the case waits for the customer.
LIVE_DEADLINE = Q(
    met_at__isnull=True, state__in=[CaseDeadline.State.PENDING, CaseDeadline.State.BREACHED]
)


def case_statuses_with_deadlines() -> tuple[set[str], str]:
    """Open cases count every live deadline; a resolved case only its callback deadline;
    closed, cancelled and called-back cases none (they show no lateness)."""
    return set(OPEN_STATUSES), Status.RESOLVED


def _live_deadlines(**conditions: Any) -> QuerySet[CaseDeadline]:
    return CaseDeadline.objects.filter(LIVE_DEADLINE, case=OuterRef("pk"), **conditions)


def running_due_subquery(**conditions: Any) -> Subquery:
    """The earliest live deadline of a case (overdue ones included), for case lists."""
    return Subquery(
        _live_deadlines(**conditions)
        .order_by()
        .values("case")
        .annotate(first=Min("due_at"))
        .values("first")[:1]
    )


def next_due_expression() -> CaseWhen:
    open_statuses, resolved = case_statuses_with_deadlines()
    return CaseWhen(
        When(status__in=open_statuses, then=running_due_subquery()),
        When(status=resolved, then=running_due_subquery(name="callback")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def with_next_due(cases: QuerySet[Case]) -> QuerySet[CaseWithNextDue]:
    """Each case with ``next_due``: its nearest live deadline (in the past when overdue),
    None for a case that is finished."""
    return cases.annotate(next_due=next_due_expression())


def overdue_condition(now: datetime) -> Q:
    """Cases with a deadline that has passed and is not met (a filter, not an annotation:
    it reads only the open and resolved cases through their status index)."""
    open_statuses, resolved = case_statuses_with_deadlines()
    return Q(Exists(_live_deadlines(due_at__lte=now)), status__in=open_statuses) | Q(
        Exists(_live_deadlines(due_at__lte=now, name="callback")), status=resolved
    )


def due_soon(cases: QuerySet[Case], now: datetime, within: timedelta) -> QuerySet[CaseWithNextDue]:
    """Cases with a live deadline due before now + within (overdue ones first)."""
    return (
        with_next_due(cases)
        .filter(next_due__isnull=False, next_due__lte=now + within)
        .order_by("next_due")
    )


def deadlines_of(case: Case) -> list[CaseDeadline]:
    return list(CaseDeadline.objects.filter(case=case).order_by("due_at"))


def escalations_of(case: Case) -> list[CaseEscalation]:
    """The case's escalations, each with ``target_names``: the people told, by name."""
    escalations = list(CaseEscalation.objects.filter(case=case).order_by("level"))
    usernames = {name for e in escalations for name in e.targets}
    people = {
        u.username: display_name(u) for u in get_user_model().objects.filter(username__in=usernames)
    }
    for escalation in escalations:
        escalation.target_names = [people.get(n, n) for n in escalation.targets]  # type: ignore[attr-defined]  # display-only attribute
    return escalations


def pauses_of(case: Case) -> list[CasePause]:
    return list(CasePause.objects.filter(case=case))


class WatchFigures(TypedDict):
    open: int
    overdue: int
    escalations_last_hour: int
    sweeper_lag_seconds: float


def watch_figures(now: datetime) -> WatchFigures:
    """The case figures of the metrics endpoint (docs/operations.md, "Watching it"): open
    cases, open cases past a deadline, escalations in the last hour, and the sweeper's lag
    (how long the oldest case due for a check has waited; 0 when none waits)."""
    waiting = Case.objects.filter(next_check_at__lte=now).order_by("next_check_at")
    oldest = waiting.values_list("next_check_at", flat=True).first()
    open_statuses, _resolved = case_statuses_with_deadlines()
    return {
        "open": Case.objects.filter(status__in=list(OPEN_STATUSES)).count(),
        "overdue": Case.objects.filter(
            Exists(_live_deadlines(due_at__lte=now)), status__in=open_statuses
        ).count(),
        "escalations_last_hour": CaseEscalation.objects.filter(
            at__gt=now - timedelta(hours=1), at__lte=now
        ).count(),
        "sweeper_lag_seconds": (now - oldest).total_seconds() if oldest else 0.0,
    }
