"""What each report holds (docs/reports.md), computed for a unit (with the units under it)
and a period, as JSON that the page, the Excel file and the PDF all render the same way.

A report is a list of sections; a section is a table: ``columns`` (label and type) and
``rows``. Cell types: ``text``, ``int``, ``percent`` (a share as a decimal string, or
None), ``points`` (a decimal string) and ``figure`` (a KPI figure: value, colour,
numerator, denominator, target). Labels are written in the language active while the
report is generated (Chinese: services.generate sets it).

The KPI figures come from the KPI engine (kpis.selectors, the same definitions as the KPI
page and its drill-down lists); the rest are grouped reads here, one query per table,
never one per unit or person. Reports are read as the whole company (``reader``): who may
open a report is decided when it is opened (selectors.visible_reports)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.callbacks.models import CallbackTask, Outcome
from utilitydesk.cases.deadline_models import CaseDeadline, CaseEscalation
from utilitydesk.cases.models import Case, Channel, Contact, Kind
from utilitydesk.complaints.models import Category, Complaint, Level, Responsibility
from utilitydesk.kpis.definitions import COUNTED_COMPLAINTS, FIRST_CALLBACKS, KPIS, Direction
from utilitydesk.kpis.periods import Period
from utilitydesk.kpis.selectors import (
    UNIT_KINDS,
    Figure,
    figures,
    figures_by_person,
    figures_by_unit,
    targets_of,
)
from utilitydesk.org.models import Assignment, OrgUnit, Position, UnitKind
from utilitydesk.org.selectors import subtree_ids
from utilitydesk.policy.models import LIMIT_NAMES, PolicyVersion

from .models import ReportKind

User = get_user_model()

# Lists inside a report (dissatisfied callbacks, overdue cases, …) stop here; the section
# says how many were left out.
LIST_LIMIT = 200
TOP = 10
POINTS = Decimal("0.01")

TIMELINESS = [
    "complaint_timeliness",
    "repair_on_site_timeliness",
    "repair_resolution_timeliness",
    "leak_repair_timeliness",
    "first_contact_resolution",
    "outage_notice_timeliness",
]
CALLBACK_KPIS = ["callback_rate", "satisfaction_rate"]
DEDUCTION_EVENTS = ["valid_complaint", "breached_deadline", "entry_error"]


def reader() -> Any:
    """Reports are computed for the whole company, whoever asked (an unsaved superuser the
    KPI selectors let read every unit); who may open one is checked when it is opened."""
    return User(username="report-schedule", is_superuser=True, is_active=True)


# --- cells and sections ----------------------------------------------------------------


def column(label: str, kind: str = "text") -> dict[str, str]:
    return {"label": label, "type": kind}


def share(numerator: int, denominator: int) -> str | None:
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")))


def figure_cell(figure: Figure) -> dict[str, Any]:
    return {
        "value": None if figure.value is None else str(figure.value),
        "colour": figure.colour,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "target": None if figure.target is None else str(figure.target),
    }


def section(
    key: str,
    title: str,
    columns: list[dict[str, str]],
    rows: list[list[Any]],
    *,
    note: str = "",
    more: int = 0,
) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "columns": columns,
        "rows": rows,
        "note": note,
        "more": more,
    }


def _fmt_time(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _person(user: Any) -> str:
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}" or user.get_username()


def _tree(unit: OrgUnit) -> set[int]:
    return subtree_ids([unit.pk])[unit.pk]


def _in_period(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _limited(rows: QuerySet[Any], limit: int = LIST_LIMIT) -> tuple[list[Any], int]:
    chosen = list(rows[: limit + 1])
    if len(chosen) <= limit:
        return chosen, 0
    return chosen[:limit], rows.count() - limit


def _parts(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and the units directly under it: the rows of a by-unit table."""
    children = OrgUnit.objects.filter(parent=unit, is_active=True, kind__in=UNIT_KINDS).order_by(
        "kind", "code"
    )
    return [unit, *children]


def _roll_up(counts: Mapping[int | None, int], trees: dict[int, set[int]]) -> dict[int, int]:
    """Counts keyed by unit summed over each root's subtree."""
    return {root: sum(counts.get(member, 0) for member in tree) for root, tree in trees.items()}


def _kpi_rows(found: Iterable[Figure]) -> list[list[Any]]:
    return [
        [
            str(f.kpi.label),
            f"{f.kpi.numerator_label} / {f.kpi.denominator_label}",
            f.denominator,
            f.numerator,
            figure_cell(f),
            None if f.target is None else str(f.target),
        ]
        for f in found
    ]


def _kpi_section(key: str, title: str, found: Iterable[Figure]) -> dict[str, Any]:
    return section(
        key,
        title,
        [
            column(_("KPI")),
            column(_("Counted")),
            column(_("Counted rows"), "int"),
            column(_("Meeting it"), "int"),
            column(_("Figure"), "figure"),
            column(_("Target"), "percent"),
        ],
        _kpi_rows(found),
    )


def _unit_figures(unit: OrgUnit, period: Period, codes: list[str], policy: Any) -> list[Figure]:
    return figures(reader(), period.start, period.end, unit=unit, codes=codes, policy=policy)


# --- whose rows ------------------------------------------------------------------------


def _unit_cases(unit: OrgUnit, period: Period) -> QuerySet[Case]:
    """Cases received in the period and charged to the unit or a unit under it (the
    valid-complaint rate's denominator)."""
    return Case.objects.filter(_in_period("received_at", period)).filter(
        responsible_unit_id__in=_tree(unit)
    )


def _unit_contacts(unit: OrgUnit, period: Period) -> QuerySet[Contact]:
    """Contacts received in the period that the unit's people took or that belong to a
    case charged to the unit."""
    tree = _tree(unit)
    people = Assignment.objects.filter(
        user_id=OuterRef("first_responder_id"), unit_id__in=tree, is_active=True
    )
    return (
        Contact.objects.filter(_in_period("received_at", period))
        .filter(Q(Exists(people)) | Q(case__responsible_unit_id__in=tree))
        .order_by()
    )


def _first_callbacks(unit: OrgUnit, period: Period) -> QuerySet[CallbackTask]:
    """First callbacks of cases resolved in the period (the callback rate's rows)."""
    source = FIRST_CALLBACKS
    rows = (
        source.rows()
        .filter(source.in_period(period.start, period.end))
        .filter(source.for_units(_tree(unit)))
    )
    return cast("QuerySet[CallbackTask]", rows)


def _counted_complaints(unit: OrgUnit, period: Period) -> QuerySet[Complaint]:
    """Valid complaints held against the unit (company fault, no upheld appeal): the
    valid-complaint rate's numerator."""
    source = COUNTED_COMPLAINTS
    rows = (
        source.rows()
        .filter(source.in_period(period.start, period.end))
        .filter(source.for_units(_tree(unit)))
    )
    return cast("QuerySet[Complaint]", rows)


# --- sections shared by several reports ------------------------------------------------


def _callback_counts(unit: OrgUnit, period: Period) -> dict[str, Any]:
    rows = _first_callbacks(unit, period)
    grouped = {
        (row["status"], row["outcome"]): row["n"]
        for row in rows.values("status", "outcome").annotate(n=Count("pk"))
    }

    def total(status: str | None = None, outcome: str | None = None) -> int:
        return sum(
            n
            for (s, o), n in grouped.items()
            if (status is None or s == status) and (outcome is None or o == outcome)
        )

    return section(
        "callback_counts",
        _("Callbacks"),
        [column(_("Item")), column(_("Count"), "int")],
        [
            [_("Callbacks due"), total()],
            [_("Reached"), total(status=CallbackTask.Status.DONE)],
            [_("Closed as unreachable"), total(status=CallbackTask.Status.UNREACHABLE)],
            [_("Still to call"), total(status=CallbackTask.Status.OPEN)],
            [str(Outcome.SATISFIED.label), total(CallbackTask.Status.DONE, Outcome.SATISFIED)],
            [str(Outcome.BASICALLY.label), total(CallbackTask.Status.DONE, Outcome.BASICALLY)],
            [
                str(Outcome.DISSATISFIED.label),
                total(CallbackTask.Status.DONE, Outcome.DISSATISFIED),
            ],
        ],
        note=_("First callbacks of the cases resolved in the period (R-601, R-604)."),
    )


def _dissatisfied_list(unit: OrgUnit, period: Period) -> dict[str, Any]:
    rows, more = _limited(
        _first_callbacks(unit, period)
        .filter(outcome=Outcome.DISSATISFIED)
        .select_related("case", "case__responsible_unit")
        .order_by("completed_at", "pk")
    )
    return section(
        "dissatisfied",
        _("Dissatisfied customers"),
        [
            column(_("Case")),
            column(_("Reporting unit")),
            column(_("Outcome")),
            column(_("Comment")),
            column(_("Called at")),
        ],
        [
            [
                task.case.number if task.case else "",
                task.case.responsible_unit.name if task.case and task.case.responsible_unit else "",
                task.get_outcome_display(),
                task.comment,
                _fmt_time(task.completed_at),
            ]
            for task in rows
        ],
        note=_("Without the customers' names, addresses or phone numbers."),
        more=more,
    )


# --- the weekly service report (周报, 001-2 §四) ---------------------------------------


def weekly_report(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> list[dict[str, Any]]:
    cases = _unit_cases(unit, period)
    contacts = _unit_contacts(unit, period)
    cases_by_kind = dict(cases.order_by().values_list("kind").annotate(n=Count("pk")))
    contacts_by_kind = dict(contacts.values_list("kind").annotate(n=Count("pk")))
    cases_by_channel = dict(cases.order_by().values_list("channel").annotate(n=Count("pk")))
    contacts_by_channel = dict(contacts.values_list("channel").annotate(n=Count("pk")))
    intake_columns = [
        column(_("Item")),
        column(_("Cases received"), "int"),
        column(_("Contacts received"), "int"),
    ]

    def intake_rows(
        choices: Any, case_counts: dict[str, int], contact_counts: dict[str, int]
    ) -> list[list[Any]]:
        rows = [
            [str(label), case_counts.get(value, 0), contact_counts.get(value, 0)]
            for value, label in choices
        ]
        rows.append([_("Total"), sum(case_counts.values()), sum(contact_counts.values())])
        return rows

    sections = [
        section(
            "intake_by_kind",
            _("Intake by kind"),
            intake_columns,
            intake_rows(Kind.choices, cases_by_kind, contacts_by_kind),
        ),
        section(
            "intake_by_channel",
            _("Intake by channel"),
            intake_columns,
            intake_rows(Channel.choices, cases_by_channel, contacts_by_channel),
        ),
    ]
    found = {f.kpi.code: f for f in _unit_figures(unit, period, TIMELINESS + CALLBACK_KPIS, policy)}
    sections.append(
        _kpi_section("timeliness", _("Timeliness"), [found[code] for code in TIMELINESS])
    )
    sections.append(_complaints_by_category(unit, period))
    sections.append(
        _kpi_section("callback_rates", _("Callback rates"), [found[c] for c in CALLBACK_KPIS])
    )
    sections.append(_callback_counts(unit, period))
    sections.extend(_top_problems(unit, period, cases, contacts))
    sections.append(_actions(unit, period))
    return sections


def _complaints_by_category(unit: OrgUnit, period: Period) -> dict[str, Any]:
    received = dict(
        Complaint.objects.filter(case__in=_unit_cases(unit, period).values("pk"))
        .order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
    )
    valid = dict(
        _counted_complaints(unit, period).order_by().values_list("category").annotate(n=Count("pk"))
    )
    rows = [
        [str(label), received.get(value, 0), valid.get(value, 0)]
        for value, label in Category.choices
    ]
    rows.append([_("Total"), sum(received.values()), sum(valid.values())])
    return section(
        "complaints",
        _("Complaints"),
        [
            column(_("Category")),
            column(_("Complaints received"), "int"),
            column(_("Valid complaints"), "int"),
        ],
        rows,
        note=_(
            "Received: complaint cases received in the period and charged to the unit. Valid: complaints of the period held against the unit (company fault, no upheld appeal; R-503)."
        ),
    )


def _top_problems(
    unit: OrgUnit, period: Period, cases: QuerySet[Case], contacts: QuerySet[Contact]
) -> list[dict[str, Any]]:
    entries = (
        contacts.filter(knowledge_entry__isnull=False)
        .values_list("knowledge_entry__question")
        .annotate(n=Count("pk"))
        .order_by("-n", "knowledge_entry__question")[:TOP]
    )
    buildings = (
        cases.filter(kind__in=[Kind.REPAIR, Kind.TEMPERATURE], building__isnull=False)
        .order_by()
        .values_list("building__community__name", "building__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "building__community__name", "building__name")[:TOP]
    )
    return [
        section(
            "top_questions",
            _("Top problems: questions answered from the knowledge base"),
            [column(_("Question")), column(_("Contacts"), "int")],
            [[question, n] for question, n in entries],
        ),
        section(
            "top_buildings",
            _("Top problems: buildings with the most repair and temperature calls"),
            [column(_("Community")), column(_("Building")), column(_("Cases received"), "int")],
            [[community, building, n] for community, building, n in buildings],
        ),
    ]


def _actions(unit: OrgUnit, period: Period) -> dict[str, Any]:
    tree = _tree(unit)
    rows, more = _limited(
        Complaint.objects.filter(_in_period("determined_at", period))
        .exclude(corrective_actions="")
        .filter(Q(responsible_unit_id__in=tree) | Q(case__responsible_unit_id__in=tree))
        .select_related("case", "responsible_unit")
        .order_by("determined_at", "pk")
    )
    return section(
        "actions",
        _("Corrective actions"),
        [
            column(_("Case")),
            column(_("Category")),
            column(_("Unit held responsible")),
            column(_("Responsibility")),
            column(_("Corrective actions")),
        ],
        [
            [
                c.case.number,
                c.get_category_display(),
                c.responsible_unit.name if c.responsible_unit else "",
                c.get_responsibility_display(),
                c.corrective_actions,
            ]
            for c in rows
        ],
        note=_("Complaints determined in the period with their corrective actions (R-506)."),
        more=more,
    )


# --- the monthly supervision report ----------------------------------------------------


def _target_label(code: str, policy: PolicyVersion | None) -> str:
    kpi = KPIS[code]
    target = targets_of(policy)[0].get(code)
    if target is None:
        return str(kpi.label)
    sign = "≥" if kpi.direction == Direction.AT_LEAST else "≤"
    percent = (target * 100).normalize()
    return f"{kpi.label} ({sign}{percent:f}%)"


def supervision_report(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> list[dict[str, Any]]:
    parts = _parts(unit)
    codes = list(KPIS)
    table = figures_by_unit(
        reader(), period.start, period.end, units=parts, codes=codes, policy=policy
    )
    sections = [
        section(
            "kpis_by_unit",
            _("KPIs by unit"),
            [column(_("Reporting unit"))]
            + [column(_target_label(code, policy), "figure") for code in codes],
            [[part.name] + [figure_cell(found[code]) for code in codes] for part, found in table],
            note=_("Each unit with the units under it; targets from the service policy."),
        )
    ]
    trees = subtree_ids(part.pk for part in parts)
    tree = trees[unit.pk]
    breached = CaseDeadline.objects.filter(
        _in_period("breached_at", period), case__responsible_unit_id__in=tree
    )
    escalated = CaseEscalation.objects.filter(
        _in_period("at", period), case__responsible_unit_id__in=tree
    )
    breached_by_unit = _roll_up(
        dict(breached.order_by().values_list("case__responsible_unit_id").annotate(n=Count("pk"))),
        trees,
    )
    escalated_by_unit = _roll_up(
        dict(
            escalated.order_by()
            .values_list("case__responsible_unit_id")
            .annotate(n=Count("case_id", distinct=True))
        ),
        trees,
    )
    counted = _counted_complaints(unit, period)
    complaints_grouped: dict[int | None, dict[str, int]] = {}
    for unit_id, category, n in (
        counted.order_by().values_list("responsible_unit_id", "category").annotate(n=Count("pk"))
    ):
        complaints_grouped.setdefault(unit_id, {})[category] = n
    sections.append(
        section(
            "overdue_by_unit",
            _("Overdue and escalated cases by unit"),
            [
                column(_("Reporting unit")),
                column(_("Deadlines breached"), "int"),
                column(_("Cases escalated"), "int"),
            ],
            [[part.name, breached_by_unit[part.pk], escalated_by_unit[part.pk]] for part in parts],
            note=_("Deadlines breached and escalations made in the period (R-304)."),
        )
    )
    limit_labels = dict(LIMIT_NAMES)
    rows, more = _limited(
        breached.select_related("case", "case__responsible_unit").order_by("breached_at", "pk")
    )
    sections.append(
        section(
            "overdue",
            _("Deadlines breached"),
            [
                column(_("Case")),
                column(_("Kind")),
                column(_("Reporting unit")),
                column(_("Limit")),
                column(_("Due")),
                column(_("Breached at")),
                column(_("Status now")),
            ],
            [
                [
                    d.case.number,
                    d.case.get_kind_display(),
                    d.case.responsible_unit.name if d.case.responsible_unit else "",
                    str(limit_labels.get(d.name, d.name)),
                    _fmt_time(d.due_at),
                    _fmt_time(d.breached_at),
                    d.case.get_status_display(),
                ]
                for d in rows
            ],
            more=more,
        )
    )
    sections.append(
        section(
            "complaints_by_unit",
            _("Valid complaints held against units"),
            [column(_("Reporting unit"))]
            + [column(str(label), "int") for _value, label in Category.choices]
            + [column(_("Total"), "int")],
            [
                [part.name]
                + [
                    sum(complaints_grouped.get(m, {}).get(value, 0) for m in trees[part.pk])
                    for value, _label in Category.choices
                ]
                + [sum(sum(complaints_grouped.get(m, {}).values()) for m in trees[part.pk])]
                for part in parts
            ],
        )
    )
    rows, more = _limited(
        counted.select_related("case", "responsible_unit", "responsible_staff").order_by(
            "case__received_at", "pk"
        )
    )
    sections.append(
        section(
            "complaints",
            _("Valid complaints"),
            [
                column(_("Case")),
                column(_("Category")),
                column(_("Level")),
                column(_("Responsibility")),
                column(_("Unit held responsible")),
                column(_("Staff member held responsible")),
            ],
            [
                [
                    c.case.number,
                    c.get_category_display(),
                    str(Level(c.level).label),
                    str(Responsibility(c.responsibility).label) if c.responsibility else "",
                    c.responsible_unit.name if c.responsible_unit else "",
                    _person(c.responsible_staff),
                ]
                for c in rows
            ],
            more=more,
        )
    )
    return sections


# --- the monthly callback report (001-12 回访管理规定) ----------------------------------


def callback_report(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> list[dict[str, Any]]:
    parts = _parts(unit)
    table = figures_by_unit(
        reader(), period.start, period.end, units=parts, codes=CALLBACK_KPIS, policy=policy
    )
    # The unit's own figures are the by-unit table's first row: counted once, not again.
    own = {part.pk: by_code for part, by_code in table}.get(unit.pk)
    found = (
        [own[code] for code in CALLBACK_KPIS]
        if own is not None
        else _unit_figures(unit, period, CALLBACK_KPIS, policy)
    )
    trees = subtree_ids(part.pk for part in parts)
    dissatisfied = _roll_up(
        dict(
            _first_callbacks(unit, period)
            .filter(outcome=Outcome.DISSATISFIED)
            .order_by()
            .values_list("case__responsible_unit_id")
            .annotate(n=Count("pk"))
        ),
        trees,
    )
    return [
        _callback_counts(unit, period),
        _kpi_section("callback_rates", _("Callback rates"), found),
        section(
            "by_unit",
            _("Callbacks and satisfaction by unit"),
            [
                column(_("Reporting unit")),
                column(_("Callbacks due"), "int"),
                column(_("Callbacks made"), "int"),
                column(_("Callback rate"), "figure"),
                column(_("Reached"), "int"),
                column(_("Satisfied or basically satisfied"), "int"),
                column(_("Satisfaction rate"), "figure"),
                column(str(Outcome.DISSATISFIED.label), "int"),
            ],
            [
                [
                    part.name,
                    by_code["callback_rate"].denominator,
                    by_code["callback_rate"].numerator,
                    figure_cell(by_code["callback_rate"]),
                    by_code["satisfaction_rate"].denominator,
                    by_code["satisfaction_rate"].numerator,
                    figure_cell(by_code["satisfaction_rate"]),
                    dissatisfied[part.pk],
                ]
                for part, by_code in table
            ],
        ),
        _dissatisfied_list(unit, period),
    ]


# --- the quarterly consultation summary (001-12 咨询服务管理规定) ------------------------


def consultation_summary(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> list[dict[str, Any]]:
    consultations = _unit_contacts(unit, period).filter(kind__in=[Kind.CONSULTATION, Kind.FEE])
    on_spot = Count("pk", filter=Q(closed_on_spot=True))
    columns = [
        column(_("Contacts"), "int"),
        column(_("Answered on the spot"), "int"),
        column(_("Share answered on the spot"), "percent"),
    ]

    def grouped(field: str) -> list[tuple[Any, int, int]]:
        return [
            (key, n, hit)
            for key, n, hit in consultations.values_list(field)
            .annotate(n=Count("pk"), hit=on_spot)
            .order_by("-n", field)
        ]

    def rows_of(found: list[tuple[Any, int, int]], label: Any) -> list[list[Any]]:
        return [[label(key), n, hit, share(hit, n)] for key, n, hit in found]

    kinds = dict(Kind.choices)
    channels = dict(Channel.choices)
    by_kind = grouped("kind")
    total_n, total_hit = sum(r[1] for r in by_kind), sum(r[2] for r in by_kind)
    by_topic = grouped("knowledge_entry__question")
    topics = [row for row in by_topic if row[0] is not None]
    untopical = [row for row in by_topic if row[0] is None]
    found = _unit_figures(unit, period, ["first_contact_resolution"], policy)
    return [
        section(
            "by_kind",
            _("Consultations by kind"),
            [column(_("Kind"))] + columns,
            rows_of(by_kind, lambda key: str(kinds.get(key, key)))
            + [[_("Total"), total_n, total_hit, share(total_hit, total_n)]],
        ),
        section(
            "by_channel",
            _("Consultations by channel"),
            [column(_("Channel"))] + columns,
            rows_of(grouped("channel"), lambda key: str(channels.get(key, key))),
        ),
        _kpi_section("on_spot", _("Answered on the spot"), found),
        section(
            "top_questions",
            _("Top questions"),
            [column(_("Question (knowledge entry used)"))] + columns,
            rows_of(topics[: TOP * 2], str)
            + rows_of(untopical, lambda _key: _("(no knowledge entry used)")),
            note=_(
                "The questions the knowledge base answered most often; the basis of the next quarter's notice-board topics (001-12)."
            ),
        ),
    ]


# --- the monthly assessment table (R-503, R-903, 002 奖惩) ------------------------------


@dataclass(frozen=True)
class Assessment:
    """One unit's or person's month: points per weighted KPI, the events deducted, the
    score (never below 0)."""

    points: dict[str, Decimal]
    kpi_points: Decimal
    events: dict[str, int]
    deductions: Decimal
    score: Decimal
    kpis_with_data: int


def _decimal(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        return Decimal(0)


def kpi_points(figure: Figure, weight: Decimal) -> Decimal:
    """A figure at or better than its target earns the weight; a worse one in proportion
    (value / target when it must reach the target, target / value when it must stay under
    it), never more than the weight. No rows counted or no target: full points (nothing
    the unit or person can be held to)."""
    value, target = figure.value, figure.target
    if value is None or target is None:
        return weight
    if figure.kpi.direction == Direction.AT_LEAST:
        if value >= target or target == 0:
            return weight
        earned = weight * value / target
    else:
        if value <= target:
            return weight
        earned = weight * target / value
    return min(weight, earned).quantize(POINTS, rounding=ROUND_HALF_UP)


def assess(
    found: Mapping[str, Figure],
    events: Mapping[str, int],
    weights: Mapping[str, Any],
    deductions: Mapping[str, Any],
) -> Assessment:
    points = {
        code: kpi_points(found[code], _decimal(weight))
        for code, weight in weights.items()
        if code in found
    }
    earned = sum(points.values(), Decimal(0))
    taken = sum(
        (events.get(event, 0) * _decimal(deductions.get(event, 0)) for event in DEDUCTION_EVENTS),
        Decimal(0),
    )
    return Assessment(
        points=points,
        kpi_points=earned.quantize(POINTS),
        events={event: events.get(event, 0) for event in DEDUCTION_EVENTS},
        deductions=taken.quantize(POINTS),
        score=max(Decimal(0), earned - taken).quantize(POINTS),
        kpis_with_data=sum(1 for code in points if found[code].denominator),
    )


def _weights(policy: PolicyVersion | None) -> dict[str, Any]:
    return {
        code: w
        for code, w in ((policy.assessment_weights or {}) if policy else {}).items()
        if code in KPIS
    }


def _deductions(policy: PolicyVersion | None) -> dict[str, Any]:
    return dict((policy.assessment_deductions or {}) if policy else {})


def assessment_scores(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> tuple[list[tuple[OrgUnit, Assessment]], list[tuple[Any, Assessment]]]:
    """Every unit under ``unit`` (with it) and every person assigned there, assessed for
    the period: the KPI engine's grouped figures (a few grouped queries per KPI, whatever
    the number of units and people) and one grouped query for breached deadlines."""
    weights, deductions = _weights(policy), _deductions(policy)
    codes = sorted(set(weights) | {"valid_complaint_rate", "entry_error_rate"})
    tree = _tree(unit)
    units = list(
        OrgUnit.objects.filter(pk__in=tree, is_active=True, kind__in=UNIT_KINDS).order_by(
            "kind", "code"
        )
    )
    who = reader()
    unit_table = figures_by_unit(
        who, period.start, period.end, units=units, codes=codes, policy=policy
    )
    person_table = figures_by_person(
        who, period.start, period.end, unit=unit, codes=codes, policy=policy
    )
    breached_by_unit: dict[int | None, int] = {}
    breached_by_person: dict[int | None, int] = {}
    for unit_id, person_id, n in (
        CaseDeadline.objects.filter(_in_period("breached_at", period))
        .filter(case__responsible_unit_id__in=tree)
        .order_by()
        .values_list("case__responsible_unit_id", "case__assignee_id")
        .annotate(n=Count("pk"))
    ):
        breached_by_unit[unit_id] = breached_by_unit.get(unit_id, 0) + n
        breached_by_person[person_id] = breached_by_person.get(person_id, 0) + n
    trees = subtree_ids(u.pk for u in units)
    unit_breaches = _roll_up(breached_by_unit, trees)

    def events(found: Mapping[str, Figure], breaches: int) -> dict[str, int]:
        return {
            "valid_complaint": found["valid_complaint_rate"].numerator,
            "breached_deadline": breaches,
            "entry_error": found["entry_error_rate"].numerator,
        }

    return (
        [
            (u, assess(found, events(found, unit_breaches[u.pk]), weights, deductions))
            for u, found in unit_table
        ],
        [
            (p, assess(found, events(found, breached_by_person.get(p.pk, 0)), weights, deductions))
            for p, found in person_table
        ],
    )


def assessment_table(
    unit: OrgUnit, period: Period, policy: PolicyVersion | None
) -> list[dict[str, Any]]:
    weights, deductions = _weights(policy), _deductions(policy)
    units, people = assessment_scores(unit, period, policy)
    weighted = list(weights)
    targets = targets_of(policy)[0]
    event_labels = {
        "valid_complaint": _("Valid complaints"),
        "breached_deadline": _("Deadlines breached"),
        "entry_error": _("Entry errors"),
    }
    score_columns = (
        [column(str(KPIS[code].label), "points") for code in weighted]
        + [column(_("KPI points"), "points")]
        + [column(event_labels[event], "int") for event in DEDUCTION_EVENTS]
        + [column(_("Deductions"), "points"), column(_("Score"), "points")]
    )

    def score_cells(result: Assessment) -> list[Any]:
        return (
            [str(result.points[code]) for code in weighted]
            + [str(result.kpi_points)]
            + [result.events[event] for event in DEDUCTION_EVENTS]
            + [str(result.deductions), str(result.score)]
        )

    kinds = dict(UnitKind.choices)
    positions = dict(Position.choices)
    held: dict[int, list[str]] = {}
    for user_id, unit_name, position in (
        Assignment.objects.filter(
            user_id__in=[p.pk for p, _a in people], unit_id__in=_tree(unit), is_active=True
        )
        .order_by("unit__code", "position")
        .values_list("user_id", "unit__name", "position")
    ):
        held.setdefault(user_id, []).append(f"{unit_name} {positions.get(position, position)}")
    total_weight = sum((_decimal(w) for w in weights.values()), Decimal(0))
    rules = [
        [
            str(KPIS[code].label),
            "≥" if KPIS[code].direction == Direction.AT_LEAST else "≤",
            str(targets[code]) if code in targets else None,
            str(_decimal(weights[code]).quantize(POINTS)),
        ]
        for code in weighted
    ]
    return [
        section(
            "rules",
            _("Weights"),
            [
                column(_("KPI")),
                column(_("Direction")),
                column(_("Target"), "percent"),
                column(_("Points"), "points"),
            ],
            rules + [[_("Total"), "", None, str(total_weight.quantize(POINTS))]],
            note=_(
                "A figure at or better than its target earns its points in full, a worse one in proportion (value / target, or target / value for figures that must stay under their target); a KPI with nothing counted earns its points in full. Deductions per event are taken off; the score is never below 0."
            ),
        ),
        section(
            "deductions",
            _("Deductions per event"),
            [column(_("Event")), column(_("Points"), "points")],
            [
                [event_labels[event], str(_decimal(deductions.get(event, 0)).quantize(POINTS))]
                for event in DEDUCTION_EVENTS
            ],
        ),
        section(
            "units",
            _("Assessment by unit"),
            [column(_("Reporting unit")), column(_("Kind"))] + score_columns,
            [[u.name, str(kinds.get(u.kind, u.kind))] + score_cells(r) for u, r in units],
            note=_("Each unit with the units under it."),
        ),
        section(
            "people",
            _("Assessment by person"),
            [column(_("Person")), column(_("Positions"))] + score_columns,
            [
                [f"{_person(p)} ({p.get_username()})", "；".join(held.get(p.pk, []))]
                + score_cells(r)
                for p, r in people
            ],
        ),
    ]


BUILDERS = {
    ReportKind.WEEKLY: weekly_report,
    ReportKind.SUPERVISION: supervision_report,
    ReportKind.CALLBACKS: callback_report,
    ReportKind.CONSULTATION: consultation_summary,
    ReportKind.ASSESSMENT: assessment_table,
}


def build(kind: str, unit: OrgUnit, period: Period, policy: PolicyVersion | None) -> dict[str, Any]:
    """The report's whole content: its heading and sections."""
    report_kind = ReportKind(kind)
    return {
        "kind": report_kind.value,
        "title": str(report_kind.label),
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "period": {
            "code": period.code,
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        },
        "policy": policy.number if policy else None,
        "sections": BUILDERS[report_kind](unit, period, policy),
    }
