"""The KPI pages: the service rates (服务指标, docs/rates.md), every KPI of a unit or a
person for a period with its target and colour (指标, docs/kpis.md), and the rows behind
any figure (the drill-down)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.org.models import OrgUnit, UnitKind

from . import links, selectors
from . import rows as listing
from .definitions import KPIS, MEASURES, ListKind
from .periods import Period, PeriodKind, parse_period, period_containing

User = get_user_model()
ROWS_PER_PAGE = 50


def _date_param(request, name: str, default: date) -> date:
    """A YYYY-MM-DD query parameter; ValueError for anything else or a far-off year."""
    raw = request.GET.get(name, "")
    if not raw:
        return default
    value = date.fromisoformat(raw)
    if not 2000 <= value.year <= 2100:
        raise ValueError(raw)
    return value


@login_required
def unit_rates(request):
    if not selectors.may_read_rates(request.user):
        raise PermissionDenied
    units = selectors.rate_units(request.user)
    raw_unit = request.GET.get("unit", "")
    if raw_unit and not (raw_unit.isdecimal() and len(raw_unit) < 19):
        messages.error(request, _("Choose a unit from the list."))
        return redirect("kpis:rates")
    unit = (
        units.filter(pk=int(raw_unit or 0)).first()
        or units.filter(kind=UnitKind.COMPANY).first()
        or units.first()
    )
    today = timezone.localdate()
    try:
        first = _date_param(request, "from", today.replace(day=1))
        last = _date_param(request, "to", today)
    except ValueError:
        messages.error(request, _("Dates are YYYY-MM-DD, from 2000 to 2100."))
        return redirect("kpis:rates")
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last, datetime.min.time()) + timedelta(days=1)
    aware_start, aware_end = timezone.make_aware(start), timezone.make_aware(end)
    result = selectors.rates(unit, aware_start, aware_end) if unit else None
    allowed = set(units)
    return render(
        request,
        "kpis/rates.html",
        {
            "units": units,
            "unit": unit,
            "result": result,
            "table": [
                (row_unit, row)
                for row_unit, row in selectors.rates_by_unit(aware_start, aware_end)
                if row_unit in allowed
            ],
            "start": start.date(),
            "end": (end - timedelta(days=1)).date(),
        },
    )


class BadQuery(ValueError):
    """A query parameter the page cannot use; its message is shown to the reader."""


def _id(raw: str) -> int | None:
    if not raw:
        return None
    if not (raw.isdecimal() and len(raw) < 19):
        raise BadQuery(_("Choose a unit or a person from the list."))
    return int(raw)


def read_subject(user: Any, params: Any) -> tuple[OrgUnit | None, Any | None]:
    """The unit (``unit=``) or person (``person=``) a request asks about, checked against
    what the reader may see; without either, the reader's first readable unit (the
    company for leaders) or, for someone who reads no unit, themselves."""
    unit_id, person_id = _id(params.get("unit", "")), _id(params.get("person", ""))
    if person_id is not None:
        person = User.objects.filter(pk=person_id, is_active=True).first()
        if person is None or not selectors.may_read_person(user, person):
            raise PermissionDenied
        return None, person
    units = selectors.kpi_units(user)
    if unit_id is not None:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise PermissionDenied
        return unit, None
    default = units.filter(kind=UnitKind.COMPANY).first() or units.first()
    return (default, None) if default is not None else (None, user)


def read_period(params: Any, *, now: datetime) -> Period:
    raw = params.get("period", "")
    if not raw:
        kind = params.get("kind", "") or PeriodKind.MONTH
        if kind not in PeriodKind.values:
            raise BadQuery(_("Choose a period from the list."))
        return period_containing(kind, timezone.localdate(now))
    try:
        return parse_period(raw)
    except ValueError as error:
        raise BadQuery(str(error)) from error


@login_required
def kpi_overview(request: HttpRequest) -> HttpResponse:
    """Every KPI of a unit or a person for a period, and every readable unit's (or the
    unit's people's) figures side by side."""
    now = timezone.now()
    try:
        unit, person = read_subject(request.user, request.GET)
        period = read_period(request.GET, now=now)
    except BadQuery as error:
        messages.error(request, str(error))
        return redirect("kpis:overview")
    people = (
        selectors.figures_by_person(request.user, period.start, period.end, unit=unit)
        if unit is not None and unit.kind in (UnitKind.STATION, UnitKind.TEAM, UnitKind.DEPARTMENT)
        else []
    )
    units_table = (
        selectors.figures_by_unit(request.user, period.start, period.end) if person is None else []
    )
    # A unit's own figures are its row of the by-unit table when it has one: not counted again.
    own = {u.pk: row for u, row in units_table}.get(unit.pk) if unit is not None else None
    figures = (
        [own[code] for code in KPIS]
        if own is not None
        else selectors.figures(request.user, period.start, period.end, unit=unit, person=person)
    )
    lines = links.figure_lines(figures, period=period, unit=unit, person=person)
    return render(
        request,
        "kpis/overview.html",
        {
            "unit": unit,
            "person": person,
            "period": period,
            "previous": period.previous(),
            "next": period.next(),
            "lines": lines,
            "counted_at": selectors.counted_at(figures),
            "kpis": list(KPIS.values()),
            "units": selectors.kpi_units(request.user),
            # Each row's figures in the columns' order (the KPIs as defined).
            "units_table": [(u, [row[code] for code in KPIS]) for u, row in units_table],
            "people": [(someone, [row[code] for code in KPIS]) for someone, row in people],
            "period_kinds": PeriodKind.choices,
        },
    )


@login_required
def kpi_rows(request: HttpRequest) -> HttpResponse:
    """The rows behind a figure: the same definition the figure counted, so the list's
    length is the figure."""
    now = timezone.now()
    try:
        unit, person = read_subject(request.user, request.GET)
        period = read_period(request.GET, now=now)
    except BadQuery as error:
        messages.error(request, str(error))
        return redirect("kpis:overview")
    code, measure_code = request.GET.get("kpi", ""), request.GET.get("measure", "")
    part = request.GET.get("part", selectors.NUMERATOR)
    caption: object = ""
    if code in KPIS and part in selectors.PARTS:
        kpi = KPIS[code]
        source = selectors.source_of(kpi, part)
        found = selectors.kpi_rows(
            request.user, code, part, period.start, period.end, unit=unit, person=person
        )
        title = kpi.label
        caption = kpi.numerator_label if part == selectors.NUMERATOR else kpi.denominator_label
    elif measure_code in MEASURES:
        measure = MEASURES[measure_code]
        source = measure.source
        found = selectors.measure_rows(
            request.user, measure_code, start=period.start, end=period.end, unit=unit, person=person
        )
        title, caption = measure.label, ""
    else:
        raise Http404
    kind: ListKind = source.list_kind
    page = Paginator(listing.for_listing(kind, found), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "kpis/rows.html",
        {
            "title": title,
            "caption": caption,
            "unit": unit,
            "person": person,
            "period": period,
            "columns": listing.COLUMNS[kind],
            "page": page,
            "lines": [(listing.case_url(kind, row), listing.as_cells(kind, row)) for row in page],
            "query": query.urlencode(),
            "overview_url": links.overview_url(period=period, unit=unit, person=person),
        },
    )
