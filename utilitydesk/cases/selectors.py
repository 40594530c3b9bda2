"""Reads of cases, limited to what the user may see."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.customers.models import Customer, Grade, Premises
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import active_assignments, station_of, station_scope, subtree_ids
from utilitydesk.policy.services import current_policy
from utilitydesk.privacy.masking import may_search_by_phone, phone_for, text_for

from .deadline_models import CaseDeadline, CaseEscalation
from .deadline_selectors import due_soon, overdue_condition, with_next_due
from .models import OPEN_STATUSES, Case, CaseEvent, Kind, Status
from .scope import in_unit_scope as in_unit_scope  # re-exported: part of the selectors API
from .scope import unit_ids_of as _unit_ids_of
from .workflow import TRANSITIONS, scope_allows


def visible_cases(user: AnyUser) -> QuerySet[Case]:
    if not user.has_perm("cases.view_case"):
        return Case.objects.none()
    scope = station_scope(user)
    if scope is None:
        return Case.objects.all()
    units = set(scope) | _unit_ids_of(user)
    teams = OrgUnit.objects.filter(parent_id__in=scope).values_list("pk", flat=True)
    return Case.objects.filter(Q(responsible_unit_id__in=units | set(teams)) | Q(assignee=user))


# An address fragment matching more premises than this (a whole district) finds the cases
# of the first ones only: narrow it down (community and building) to see the rest.
ADDRESS_SEARCH_PREMISES = 5000


@dataclass
class CaseFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    unit: int | None = None  # the unit and every unit under it (a station and its teams)
    open_only: bool = False
    emergency_only: bool = False
    channel: str = ""
    grade: str = ""  # the customer's; a caller without a customer record counts as general
    received_from: date | None = None  # local dates, both included
    received_to: date | None = None
    overdue_only: bool = False

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "", False)}


def period_dates(period: str, today: date) -> tuple[date | None, date | None]:
    """ "today" and "week" (Monday to today) as a range of received dates."""
    if period == "today":
        return today, today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    return None, None


def _local_midnight(day: date) -> datetime:

    return timezone.make_aware(datetime.combine(day, time.min))


def filter_cases(
    user: AnyUser, queryset: QuerySet[Case], filters: CaseFilters, now: datetime
) -> QuerySet[Case]:
    """Narrow any case list (all, dispatch queue, unit queue, due soon) by the list's
    filters. Each condition reads an indexed column of the cases table."""
    if filters.q:
        q = filters.q.strip()
        # Accounts and premises are looked up first (each through its own index): a join
        # inside the OR would stop PostgreSQL from combining the indexes of the cases
        # table, and scan every case instead.
        condition = Q(number=q) | Q(premises__isnull=True, address_text__contains=q)
        if may_search_by_phone(user):
            condition |= Q(caller_phone=q)
        accounts = list(Customer.objects.filter(account_no=q).values_list("pk", flat=True)[:10])
        if accounts:
            condition |= Q(customer_id__in=accounts)
        places = list(
            Premises.objects.filter(address_text__contains=q).values_list("pk", flat=True)[
                :ADDRESS_SEARCH_PREMISES
            ]
        )
        if places:
            condition |= Q(premises_id__in=places)
        queryset = queryset.filter(condition)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.unit:
        queryset = queryset.filter(
            responsible_unit_id__in=subtree_ids([filters.unit])[filters.unit]
        )
    if filters.emergency_only:
        queryset = queryset.filter(emergency=True)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.grade:
        if filters.grade == Grade.GENERAL:
            # Most customers are general: "not one of the (few) others" reads far less.
            others = Customer.objects.exclude(grade=Grade.GENERAL).values("pk")
            queryset = queryset.filter(Q(customer__isnull=True) | ~Q(customer_id__in=others))
        else:
            graded = Customer.objects.filter(grade=filters.grade).values("pk")
            queryset = queryset.filter(customer_id__in=graded)
    if filters.received_from:
        queryset = queryset.filter(received_at__gte=_local_midnight(filters.received_from))
    if filters.received_to:
        queryset = queryset.filter(
            received_at__lt=_local_midnight(filters.received_to + timedelta(days=1))
        )
    if filters.overdue_only:
        queryset = queryset.filter(overdue_condition(now))
    return queryset


def search_cases(
    user: AnyUser, filters: CaseFilters, now: datetime | None = None
) -> QuerySet[Case]:

    queryset = filter_cases(user, visible_cases(user), filters, now or timezone.now())
    return (
        with_next_due(queryset)
        .select_related("customer", "responsible_unit", "assignee")
        .order_by("-emergency", "-received_at")
    )


def dispatch_queue(user: AnyUser) -> QuerySet[Case]:
    """Cases waiting for a dispatcher: unrouted, returned, or reopened — not the calls an
    active interruption holds (its restoration settles them)."""
    return (
        with_next_due(visible_cases(user))
        .filter(status__in=[Status.REGISTERED, Status.RETURNED])
        .exclude(status=Status.REGISTERED, attributes__has_key=Case.HELD_BY)
        .select_related("customer", "responsible_unit")
        .order_by("-emergency", "received_at")
    )


def queue_units(user: Actor) -> set[int]:
    """The units whose queue a person works: for a member of a team or station, the whole
    station with its teams; for a department, the department and what is under it."""

    roots: set[int] = set()
    for assignment in active_assignments(user):
        station = station_of(assignment.unit)
        roots.add(station.pk if station else assignment.unit_id)
    children = set(OrgUnit.objects.filter(parent_id__in=roots).values_list("pk", flat=True))
    return roots | children


def unit_queue(user: Actor) -> QuerySet[Case]:
    """Open cases of the units the user works in (their station and its teams):
    emergencies first, then the nearest running deadline (overdue ones at the top)."""

    return (
        with_next_due(
            Case.objects.filter(responsible_unit_id__in=queue_units(user), status__in=OPEN_STATUSES)
        )
        .select_related("customer", "responsible_unit", "assignee")
        .order_by("-emergency", F("next_due").asc(nulls_last=True), "received_at")
    )


def my_work_orders(user: Actor) -> QuerySet[Case]:
    """The technician's list: own open orders, emergencies first, then by appointment."""

    return (
        with_next_due(Case.objects.filter(assignee=user, status__in=OPEN_STATUSES))
        .select_related("customer", "premises")
        .order_by("-emergency", F("appointment_at").asc(nulls_last=True), "received_at")
    )


def get_case(user: AnyUser, number: str) -> Case | None:
    return (
        visible_cases(user)
        .select_related(
            "customer",
            "premises__building__grid",
            "premises__station",
            "responsible_unit",
            "assignee",
            "first_responder",
            "major_fault",
            "routing_rule",
            "signoff_by",
        )
        .filter(number=number)
        .first()
    )


def is_own_work(user: AnyUser, case: Case) -> bool:
    """The technician a case is assigned to must call the customer (R-303)."""
    return case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None)


def caller_phone_for(user: AnyUser, case: Case) -> str:
    return phone_for(user, case.caller_phone, on_own_work=is_own_work(user, case))


def shown_timeline(user: AnyUser, case: Case) -> list[CaseEvent]:
    """The timeline with phone numbers in notes masked for people who may not see them."""
    own = is_own_work(user, case)
    events = list(timeline(case))
    for event in events:
        event.note = text_for(user, event.note, on_own_work=own)
    return events


def timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("seq")


def cases_of_customer(user: AnyUser, customer_id: int) -> QuerySet[Case]:
    return (
        visible_cases(user)
        .filter(customer_id=customer_id)
        .select_related("responsible_unit", "assignee")
        .order_by("-received_at")
    )


def find_duplicates(
    customer: Customer | None, premises: Premises | None, kind: str, now: datetime
) -> list[Case]:
    """Open cases of the same kind for the same premises (or customer) received recently."""
    policy = current_policy()
    hours = policy.duplicate_window_hours if policy else settings.DUPLICATE_WINDOW_HOURS
    window = timedelta(hours=hours)
    queryset = Case.objects.filter(
        kind=kind, status__in=OPEN_STATUSES, received_at__gte=now - window
    )
    if premises is not None:
        queryset = queryset.filter(premises=premises)
    else:
        queryset = queryset.filter(customer=customer)
    return list(queryset.order_by("-received_at")[:5])


def available_actions(user: Actor, case: Case) -> list[str]:
    """Actions the case's state allows, the user's permissions grant and whose scope
    includes the user (own unit; assigned technician or a supervisor): only what would
    succeed is offered."""

    return [
        name
        for name, transition in TRANSITIONS.items()
        if case.status in transition.sources
        and user.has_perm(transition.permission)
        and scope_allows(user, case, transition.scope)
        and (name != "exempt_signoff" or signoff_may_be_exempted(case))
    ]


def signoff_may_be_exempted(case: Case) -> bool:
    """003: a temperature record without the customer's signature is invalid."""
    return case.kind != Kind.TEMPERATURE


def due_queue(user: Actor, now: datetime, within: timedelta = timedelta(hours=2)) -> QuerySet[Case]:
    """Due soon / overdue: for field staff their station's cases, for others every case
    they can see (a unit filter narrows it)."""
    base = visible_cases(user).filter(status__in=OPEN_STATUSES)
    if station_scope(user) is not None:
        base = base.filter(responsible_unit_id__in=queue_units(user))
    return due_soon(base, now, within).select_related("customer", "responsible_unit", "assignee")


@dataclass
class CaseCounts:
    received_today: int
    open: int
    overdue: int
    escalated: int


def case_counts(user: AnyUser, now: datetime) -> CaseCounts:
    """Today's intake and the open, overdue and escalated cases the user may see (the
    leaders' home page)."""

    local = timezone.localtime(now)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    cases = visible_cases(user).order_by()
    breached = CaseDeadline.objects.filter(
        case=OuterRef("pk"), breached_at__isnull=False, met_at__isnull=True
    )
    escalated = CaseEscalation.objects.filter(case=OuterRef("pk"))
    open_cases = cases.filter(status__in=list(OPEN_STATUSES))
    figures = open_cases.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(Exists(breached))),
        escalated=Count("pk", filter=Q(Exists(escalated))),
    )
    return CaseCounts(
        received_today=cases.filter(received_at__gte=day_start, received_at__lte=now).count(),
        open=figures["open"],
        overdue=figures["overdue"],
        escalated=figures["escalated"],
    )


def unit_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """The units a case can be given to, grouped for a select: each heating station with
    its teams, then each department with what is under it. Active units only, in the
    organisation's order (codes)."""

    units = list(
        OrgUnit.objects.filter(
            is_active=True, kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT, UnitKind.TEAM]
        )
        .only("pk", "name", "kind", "parent_id", "code")
        .order_by("code")
    )
    heads = [u for u in units if u.kind != UnitKind.TEAM]
    heads.sort(key=lambda u: (u.kind != UnitKind.STATION, u.code))
    teams: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        if unit.kind == UnitKind.TEAM:
            teams.setdefault(unit.parent_id, []).append(unit)
    return [
        (head.name, [(head.pk, head.name)] + [(t.pk, t.name) for t in teams.get(head.pk, [])])
        for head in heads
    ]
