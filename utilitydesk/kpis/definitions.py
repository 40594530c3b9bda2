"""What each KPI counts (R-904, docs/kpis.md): the rows behind its denominator and its
numerator, the period they fall in, the unit and the person they are charged to.

A figure and its drill-down list come from the same definition: the figure is the count
of the rows the list shows (kpis.selectors). Ratios are numerator / denominator; a
numerator given as a condition is a subset of the denominator's rows, one given as a
source of its own is counted separately (the valid-complaint rate: complaints charged to
the unit held responsible, over every case the unit received)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from utilitydesk.audit.models import ChangeRecord
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.callbacks.services import SATISFIED_GROUP
from utilitydesk.cases.deadline_models import CaseDeadline, CaseEscalation
from utilitydesk.cases.models import OPEN_STATUSES, Case, Contact, Kind
from utilitydesk.complaints.models import COMPANY_FAULT, Appeal, Complaint
from utilitydesk.customers.models import EntryError
from utilitydesk.org.models import Assignment
from utilitydesk.outages.models import ACTIVE_STATES, Interruption, InterruptionState
from utilitydesk.temperature.models import Measurement


class Direction(StrEnum):
    AT_LEAST = "at_least"  # the figure must reach its target (timeliness, satisfaction)
    AT_MOST = "at_most"  # the figure must stay under it (valid complaints, entry errors)


def required(path: str | None, what: str) -> str:
    """A field path a source must name for this use (a unit's or a person's)."""
    if path is None:
        raise ImproperlyConfigured(f"This KPI source names no {what}.")
    return path


class ListKind(StrEnum):
    """Which drill-down list shows a source's rows."""

    CASE = "case"
    CALLBACK = "callback"
    COMPLAINT = "complaint"
    CONTACT = "contact"
    ENTRY_ERROR = "entry_error"
    CHANGE = "change"
    MEASUREMENT = "measurement"
    INTERRUPTION = "interruption"


@dataclass(frozen=True)
class Source:
    """Rows of one model: ``where`` always, ``period_field`` inside the period, charged to
    the unit at ``unit_path`` (or, with ``unit_by_person``, the units the person at
    ``person_path`` is assigned to) and to the person at ``person_path``."""

    model: type[models.Model]
    list_kind: ListKind
    period_field: str | None
    unit_path: str | None
    person_path: str | None
    where: Q = field(default_factory=Q)
    unit_by_person: bool = False

    def rows(self) -> QuerySet[models.Model]:
        return self.model._default_manager.filter(self.where).order_by()

    def in_period(self, start: datetime, end: datetime) -> Q:
        if self.period_field is None:
            return Q()
        return Q(**{f"{self.period_field}__gte": start, f"{self.period_field}__lt": end})

    def for_units(self, unit_ids: set[int]) -> Q:
        if self.unit_by_person:
            return Q(
                Exists(
                    Assignment.objects.filter(
                        user_id=OuterRef(required(self.person_path, "person")),
                        unit_id__in=unit_ids,
                        is_active=True,
                    )
                )
            )
        return Q(**{f"{required(self.unit_path, 'unit')}__in": unit_ids})

    def for_person(self, person_id: int) -> Q:
        return Q(**{required(self.person_path, "person"): person_id})


@dataclass(frozen=True)
class Kpi:
    code: str
    label: Promise
    direction: Direction
    denominator: Source
    numerator: Q | Source
    # What a row of each part is, for the figure's captions ("cases resolved", …).
    denominator_label: Promise
    numerator_label: Promise


@dataclass(frozen=True)
class Measure:
    """A plain count for the dashboards (received today, open, overdue, …); without a
    period field it is the state now."""

    code: str
    label: Promise
    source: Source


def _late(name: str) -> Q:
    """The case's deadline ``name`` was breached or met after it was due."""
    return Q(
        Exists(
            CaseDeadline.objects.filter(case=OuterRef("pk"), name=name).filter(
                Q(breached_at__isnull=False) | Q(met_at__gt=F("due_at"))
            )
        )
    )


def _resolved_cases(*kinds: str, where: Q | None = None) -> Source:
    return Source(
        Case,
        ListKind.CASE,
        "resolved_at",
        "responsible_unit",
        "assignee",
        Q(kind__in=kinds) & (where or Q()),
    )


FIRST_CALLBACKS = Source(
    CallbackTask,
    ListKind.CALLBACK,
    "case__resolved_at",
    "case__responsible_unit",
    "caller",
    Q(purpose=CallbackTask.Purpose.FIRST),
)
REACHED_CALLBACKS = Source(
    CallbackTask,
    ListKind.CALLBACK,
    "case__resolved_at",
    "case__responsible_unit",
    "case__assignee",
    Q(purpose=CallbackTask.Purpose.FIRST, status=CallbackTask.Status.DONE),
)
RECEIVED_CASES = Source(Case, ListKind.CASE, "received_at", "responsible_unit", "assignee")
COUNTED_COMPLAINTS = Source(
    Complaint,
    ListKind.COMPLAINT,
    "case__received_at",
    "responsible_unit",
    "responsible_staff",
    Q(valid=True, responsibility__in=list(COMPANY_FAULT))
    & ~Q(Exists(Appeal.objects.filter(complaint=OuterRef("pk"), status=Appeal.Status.UPHELD))),
)
# A leak is a repair with a pipe diameter (R-406: water mains, by diameter).
LEAK = Q(attributes__has_key="pipe_diameter_mm")
# consultations and fee enquiries are the contacts answerable on the spot.
ANSWERABLE_CONTACTS = Source(
    Contact,
    ListKind.CONTACT,
    "received_at",
    None,
    "first_responder",
    Q(kind__in=[Kind.CONSULTATION, Kind.FEE]),
    unit_by_person=True,
)
CUSTOMER_CHANGES = Source(
    ChangeRecord,
    ListKind.CHANGE,
    "at",
    None,
    "actor",
    Q(content_type__app_label="customers", actor__isnull=False),
    unit_by_person=True,
)
ENTRY_ERRORS = Source(
    EntryError, ListKind.ENTRY_ERROR, "noted_at", None, "clerk", unit_by_person=True
)
VALID_MEASUREMENTS = Source(
    Measurement, ListKind.MEASUREMENT, "measured_at", "station", "technician", Q(valid=True)
)
ANNOUNCED_INTERRUPTIONS = Source(
    Interruption,
    ListKind.INTERRUPTION,
    "start_at",
    "station",
    "recorded_by",
    ~Q(state=InterruptionState.DRAFT),
)
# Notices on time: a planned interruption announced with the policy's lead (a short
# notice needed the recorded emergency override), an unplanned one by its notice deadline.
NOTICES_ON_TIME = Q(planned=True, notices_sent_at__isnull=False, override_at__isnull=True) | Q(
    planned=False, notices_sent_at__isnull=False, notices_sent_at__lte=F("notice_due_at")
)

KPIS: dict[str, Kpi] = {
    kpi.code: kpi
    for kpi in [
        Kpi(
            "complaint_timeliness",
            _("Complaint-handling timeliness"),
            Direction.AT_LEAST,
            _resolved_cases(Kind.COMPLAINT),
            ~_late("resolution"),
            _("complaints resolved"),
            _("resolved within the limit"),
        ),
        Kpi(
            "repair_on_site_timeliness",
            _("Repair timeliness: on site"),
            Direction.AT_LEAST,
            _resolved_cases(Kind.REPAIR),
            ~_late("on_site"),
            _("repairs resolved"),
            _("on site within the limit"),
        ),
        Kpi(
            "repair_resolution_timeliness",
            _("Repair timeliness: resolved"),
            Direction.AT_LEAST,
            _resolved_cases(Kind.REPAIR),
            ~_late("resolution"),
            _("repairs resolved"),
            _("resolved within the limit"),
        ),
        Kpi(
            "leak_repair_timeliness",
            _("Leak-repair timeliness"),
            Direction.AT_LEAST,
            _resolved_cases(Kind.REPAIR, where=LEAK),
            ~_late("resolution"),
            _("leak repairs resolved"),
            _("resolved within the limit"),
        ),
        Kpi(
            "callback_rate",
            _("Callback rate"),
            Direction.AT_LEAST,
            FIRST_CALLBACKS,
            Q(status__in=[CallbackTask.Status.DONE, CallbackTask.Status.UNREACHABLE]),
            _("callbacks due"),
            _("callbacks made"),
        ),
        Kpi(
            "satisfaction_rate",
            _("Satisfaction rate"),
            Direction.AT_LEAST,
            REACHED_CALLBACKS,
            Q(outcome__in=list(SATISFIED_GROUP)),
            _("customers reached"),
            _("satisfied or basically satisfied"),
        ),
        Kpi(
            "valid_complaint_rate",
            _("Valid-complaint rate"),
            Direction.AT_MOST,
            RECEIVED_CASES,
            COUNTED_COMPLAINTS,
            _("cases received"),
            _("valid complaints"),
        ),
        Kpi(
            "first_contact_resolution",
            _("First-contact resolution"),
            Direction.AT_LEAST,
            ANSWERABLE_CONTACTS,
            Q(closed_on_spot=True),
            _("consultations and fee enquiries"),
            _("answered on the spot"),
        ),
        Kpi(
            "entry_error_rate",
            _("Data-entry error rate"),
            Direction.AT_MOST,
            CUSTOMER_CHANGES,
            ENTRY_ERRORS,
            _("customer data entries"),
            _("entry errors"),
        ),
        Kpi(
            "temperature_pass_rate",
            _("Temperature pass rate"),
            Direction.AT_LEAST,
            VALID_MEASUREMENTS,
            Q(passed=True),
            _("valid measurements"),
            _("passed"),
        ),
        Kpi(
            "outage_notice_timeliness",
            _("Outage notice timeliness"),
            Direction.AT_LEAST,
            ANNOUNCED_INTERRUPTIONS,
            NOTICES_ON_TIME,
            _("interruptions starting"),
            _("notices on time"),
        ),
    ]
}


NUMERATOR = "numerator"
DENOMINATOR = "denominator"
PARTS = (NUMERATOR, DENOMINATOR)


def part_source(kpi: Kpi, part: str) -> tuple[Source, Q]:
    """The source whose rows a part of a figure counts, and the condition narrowing them
    (a numerator given as a condition is the denominator's rows meeting it)."""
    if part == DENOMINATOR:
        return kpi.denominator, Q()
    if isinstance(kpi.numerator, Source):
        return kpi.numerator, Q()
    return kpi.denominator, kpi.numerator


def counted_parts(kpi: Kpi) -> list[tuple[str, Source, Q]]:
    """The parts a KPI's counts are kept for, each with its source and the condition its
    hits meet: the denominator (its hits are the numerator when that is a condition) and
    a numerator with rows of its own."""
    hits = kpi.numerator if isinstance(kpi.numerator, Q) else Q()
    parts = [(DENOMINATOR, kpi.denominator, hits)]
    if isinstance(kpi.numerator, Source):
        parts.append((NUMERATOR, kpi.numerator, Q()))
    return parts


_OPEN = Q(status__in=list(OPEN_STATUSES))
MEASURES: dict[str, Measure] = {
    measure.code: measure
    for measure in [
        Measure(
            "received",
            _("Received"),
            Source(Case, ListKind.CASE, "received_at", "responsible_unit", "assignee"),
        ),
        Measure(
            "open",
            _("Open"),
            Source(Case, ListKind.CASE, None, "responsible_unit", "assignee", _OPEN),
        ),
        Measure(
            "overdue",
            _("Overdue"),
            Source(
                Case,
                ListKind.CASE,
                None,
                "responsible_unit",
                "assignee",
                _OPEN
                & Q(
                    Exists(
                        CaseDeadline.objects.filter(
                            case=OuterRef("pk"), breached_at__isnull=False, met_at__isnull=True
                        )
                    )
                ),
            ),
        ),
        Measure(
            "escalated",
            _("Escalated"),
            Source(
                Case,
                ListKind.CASE,
                None,
                "responsible_unit",
                "assignee",
                _OPEN & Q(Exists(CaseEscalation.objects.filter(case=OuterRef("pk")))),
            ),
        ),
        Measure(
            "emergencies",
            _("Emergencies"),
            Source(
                Case, ListKind.CASE, None, "responsible_unit", "assignee", _OPEN & Q(emergency=True)
            ),
        ),
        Measure(
            "active_interruptions",
            _("Active interruptions"),
            Source(
                Interruption,
                ListKind.INTERRUPTION,
                None,
                "station",
                "recorded_by",
                Q(state__in=list(ACTIVE_STATES)),
            ),
        ),
        # Contacts taken (every call, visit, letter, message), charged to the person who
        # took them and, through their assignments, to their units.
        Measure(
            "contacts",
            _("Contacts taken"),
            Source(
                Contact,
                ListKind.CONTACT,
                "received_at",
                None,
                "first_responder",
                unit_by_person=True,
            ),
        ),
        Measure(
            "callbacks_due",
            _("Callbacks to make"),
            Source(
                CallbackTask,
                ListKind.CALLBACK,
                None,
                "case__responsible_unit",
                "caller",
                Q(status=CallbackTask.Status.OPEN),
            ),
        ),
    ]
}

KPI_CHOICES: list[tuple[str, Promise]] = [(code, kpi.label) for code, kpi in KPIS.items()]
