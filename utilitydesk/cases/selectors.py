"""Reads of cases, limited to what the user may see."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from utilitydesk.customers.models import Customer, Premises
from utilitydesk.org.models import OrgUnit
from utilitydesk.org.selectors import active_assignments, station_scope, subtree_ids
from utilitydesk.privacy.masking import may_search_by_phone, phone_for, text_for
from utilitydesk.sla.selectors import due_soon, with_next_due

from .models import OPEN_STATUSES, Case, CaseEvent, MajorFault, Status


def _unit_ids_of(user) -> set[int]:
    cached = getattr(user, "_case_unit_ids", None)
    if cached is None:
        cached = {a.unit_id for a in active_assignments(user)}
        user._case_unit_ids = cached
    return cached


def in_unit_scope(user, unit: OrgUnit | None) -> bool:
    """Does the user work in ``unit`` or in a unit under it (a team under its station)?"""
    if user.is_superuser:
        return True
    if unit is None:
        return False
    mine = _unit_ids_of(user)
    return unit.pk in mine or bool(mine & queue_units_of_unit(unit))


def visible_cases(user) -> QuerySet[Case]:
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
    unit: int | None = None
    open_only: bool = False
    emergency_only: bool = False


def search_cases(user, filters: CaseFilters) -> QuerySet[Case]:
    queryset = visible_cases(user)
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
        queryset = queryset.filter(responsible_unit_id=filters.unit)
    if filters.emergency_only:
        queryset = queryset.filter(emergency=True)
    return (
        with_next_due(queryset)
        .select_related("customer", "responsible_unit", "assignee")
        .order_by("-emergency", "-received_at")
    )


def dispatch_queue(user) -> QuerySet[Case]:
    """Cases waiting for a dispatcher: unrouted, returned, or reopened."""
    return (
        with_next_due(visible_cases(user))
        .filter(status__in=[Status.REGISTERED, Status.RETURNED])
        .select_related("customer", "responsible_unit")
        .order_by("-emergency", "received_at")
    )


def queue_units(user) -> set[int]:
    """The units whose queue a person works: for a member of a team or station, the whole
    station with its teams; for a department, the department and what is under it."""
    from utilitydesk.org.selectors import station_of

    roots = set()
    for assignment in active_assignments(user):
        station = station_of(assignment.unit)
        roots.add(station.pk if station else assignment.unit_id)
    children = set(OrgUnit.objects.filter(parent_id__in=roots).values_list("pk", flat=True))
    return roots | children


def queue_units_of_unit(unit: OrgUnit) -> set[int]:
    """A unit and every unit under it (a station and its teams)."""
    return subtree_ids([unit.pk])[unit.pk]


def unit_queue(user) -> QuerySet[Case]:
    """Open cases of the units the user works in (their station and its teams):
    emergencies first, then the nearest running deadline (overdue ones at the top)."""
    from django.db.models import F

    return (
        with_next_due(
            Case.objects.filter(responsible_unit_id__in=queue_units(user), status__in=OPEN_STATUSES)
        )
        .select_related("customer", "responsible_unit", "assignee")
        .order_by("-emergency", F("next_due").asc(nulls_last=True), "received_at")
    )


def my_work_orders(user) -> QuerySet[Case]:
    """The technician's list: own open orders, emergencies first, then by appointment."""
    from django.db.models import F

    return (
        with_next_due(Case.objects.filter(assignee=user, status__in=OPEN_STATUSES))
        .select_related("customer", "premises")
        .order_by("-emergency", F("appointment_at").asc(nulls_last=True), "received_at")
    )


def get_case(user, number: str) -> Case | None:
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


def is_own_work(user, case: Case) -> bool:
    """The technician a case is assigned to must call the customer (R-303)."""
    return case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None)


def caller_phone_for(user, case: Case) -> str:
    return phone_for(user, case.caller_phone, on_own_work=is_own_work(user, case))


def shown_timeline(user, case: Case) -> list[CaseEvent]:
    """The timeline with phone numbers in notes masked for people who may not see them."""
    own = is_own_work(user, case)
    events = list(timeline(case))
    for event in events:
        event.note = text_for(user, event.note, on_own_work=own)
    return events


def timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("seq")


def cases_of_customer(user, customer_id: int) -> QuerySet[Case]:
    return (
        visible_cases(user)
        .filter(customer_id=customer_id)
        .select_related("responsible_unit", "assignee")
        .order_by("-received_at")
    )


def find_duplicates(customer, premises, kind: str, now: datetime) -> list[Case]:
    """Open cases of the same kind for the same premises (or customer) received recently."""
    from utilitydesk.sla.services import current_policy

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


def fault_units_of(user) -> set[int] | None:
    """The units whose major faults a person deals with: None for company-wide positions,
    otherwise their stations and the teams under them."""
    scope = station_scope(user)
    if scope is None:
        return None
    teams = OrgUnit.objects.filter(parent_id__in=scope).values_list("pk", flat=True)
    return set(scope) | set(teams)


def visible_faults(user) -> QuerySet[MajorFault]:
    """Major faults the user may see: all of them company-wide, otherwise those naming one
    of the user's units."""
    if not user.has_perm("cases.view_majorfault"):
        return MajorFault.objects.none()
    units = fault_units_of(user)
    if units is None:
        return MajorFault.objects.all()
    naming = MajorFault.units.through.objects.filter(orgunit_id__in=units)
    return MajorFault.objects.filter(pk__in=naming.values("majorfault_id"))


def may_act_on_fault(user, fault: MajorFault) -> bool:
    """Analysing a fault and texting its report to customers is for people with the
    permission whose scope covers every unit the fault names (a station head acts on
    their own station's faults only)."""
    if not user.has_perm("cases.manage_major_fault"):
        return False
    units = fault_units_of(user)
    if units is None:
        return True
    named = {unit.pk for unit in fault.units.all()}
    return bool(named) and named <= units


def open_faults(user=None) -> QuerySet[MajorFault]:
    faults = visible_faults(user) if user is not None else MajorFault.objects.all()
    return faults.filter(state=MajorFault.State.OPEN).order_by("-occurred_at")


def available_actions(user, case: Case) -> list[str]:
    """Actions the case's state allows and the user's permissions grant (the finer scope
    check — own unit, assigned technician — happens when the action runs)."""
    from .workflow import TRANSITIONS

    return [
        name
        for name, transition in TRANSITIONS.items()
        if case.status in transition.sources and user.has_perm(transition.permission)
    ]


def due_queue(user, now: datetime, within: timedelta = timedelta(hours=2)) -> QuerySet[Case]:
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


def case_counts(user, now: datetime) -> CaseCounts:
    """Today's intake and the open, overdue and escalated cases the user may see (the
    leaders' home page)."""
    from django.db.models import Count, Exists, OuterRef
    from django.utils import timezone

    from utilitydesk.sla.models import CaseDeadline, CaseEscalation

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
