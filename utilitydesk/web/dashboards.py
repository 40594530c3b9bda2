"""Each role's home page (issue 16 item 3, docs/kpis.md "Dashboards"): the tiles of their
dashboard, each a section that refreshes itself through its own URL (htmx, every 60 s),
every figure a link to the drill-down list behind it (``kpis:rows``).

- company (general manager, deputy, department heads, service office): today's counts,
  the month's KPIs against their targets, the trend by week, the stations ranked;
- service centre (its department head): today's counts, intake by hour and channel,
  agents' load, callbacks to make;
- station (a station head): the station's queue, technicians' load, callback results
  and temperature pass rate;
- agent: the cases of my contacts still open, my callbacks to make.
Technicians and team leaders start at their work list; everyone else at the office home."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from utilitydesk.accounts.names import display_name
from utilitydesk.callbacks.followup import followed_cases
from utilitydesk.kpis import dashboard as data
from utilitydesk.kpis import links, selectors
from utilitydesk.kpis.definitions import KPIS, MEASURES
from utilitydesk.kpis.periods import Period, PeriodKind, period_containing
from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position
from utilitydesk.org.roles import SCOPED_POSITIONS
from utilitydesk.org.selectors import positions_of

COMPANY = "company"
SERVICE_CENTRE = "service_centre"
STATION = "station"
AGENT = "agent"
FIELD = "field"

TILES_OF: dict[str, tuple[str, ...]] = {
    COMPANY: ("today", "trend", "kpis", "stations"),
    SERVICE_CENTRE: ("today", "intake", "agents", "callbacks"),
    STATION: ("queue", "technicians", "results"),
    AGENT: ("mine", "my_callbacks"),
}
COMPANY_POSITIONS = {
    Position.GENERAL_MANAGER,
    Position.DEPUTY_GM,
    Position.PARENT_GM,
    Position.SERVICE_OFFICE,
}
MINE_SHOWN = 10
# Counts whose label on a tile says more than the measure's own.
COUNT_LABELS = {"received": _lazy("Cases received today")}


def dashboard_kind(user: Any) -> str | None:
    """Which dashboard is the user's home, from their positions: the most senior wins
    (a general manager who also answers the phone gets the company's)."""
    if not user.is_authenticated or user.is_superuser:
        return None
    held = positions_of(user)
    positions = {a.position for a in held}
    if positions & COMPANY_POSITIONS:
        return COMPANY
    heads = [a for a in held if a.position == Position.DEPARTMENT_HEAD]
    if heads:
        centre = any(a.unit.function == DepartmentFunction.SERVICE_CENTRE for a in heads)
        return SERVICE_CENTRE if centre else COMPANY
    if positions and positions <= SCOPED_POSITIONS:
        return STATION if Position.STATION_HEAD in positions else FIELD
    if Position.AGENT in positions:
        return AGENT
    return None


@dataclass
class Moment:
    now: datetime
    today: Period
    week: Period
    month: Period

    @classmethod
    def at(cls, now: datetime) -> "Moment":
        day = timezone.localdate(now)
        return cls(
            now,
            period_containing(PeriodKind.DAY, day),
            period_containing(PeriodKind.WEEK, day),
            period_containing(PeriodKind.MONTH, day),
        )


def _percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _count_cells(
    numbers: dict[str, int], moment: Moment, unit: OrgUnit | None = None, person: Any = None
) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "label": COUNT_LABELS.get(code, MEASURES[code].label),
            "count": count,
            "url": links.rows_url(period=moment.today, unit=unit, person=person, measure=code),
            "alert": code in ("overdue", "escalated", "emergencies") and count > 0,
        }
        for code, count in numbers.items()
    ]


def _company(user: Any) -> OrgUnit:
    unit = data.company_unit(user)
    if unit is None:
        raise PermissionDenied
    return unit


def _station(user: Any) -> OrgUnit:
    stations = data.station_units(user)
    if not stations:
        raise PermissionDenied
    return stations[0]


# --- the tiles -------------------------------------------------------------------------


def tile_today(user: Any, moment: Moment) -> dict[str, Any]:
    company = _company(user)
    numbers = data.counts(user, data.COMPANY_MEASURES, day=moment.today, unit=company)
    return {"unit": company, "cells": _count_cells(numbers, moment, unit=company)}


def tile_kpis(user: Any, moment: Moment) -> dict[str, Any]:
    company = _company(user)
    figures = selectors.figures(user, moment.month.start, moment.month.end, unit=company)
    return {
        "unit": company,
        "period": moment.month,
        "rows": links.figure_lines(figures, period=moment.month, unit=company),
        "counted_at": selectors.counted_at(figures),
        "overview_url": links.overview_url(period=moment.month, unit=company),
    }


def tile_trend(user: Any, moment: Moment) -> dict[str, Any]:
    company = _company(user)
    weeks = data.last_weeks(moment.today.first)
    trend = selectors.figures_by_week(user, company, weeks, data.TREND_KPIS)
    chart = {
        "type": "line",
        "percent": True,
        "labels": [f"{w.first:%m-%d}" for w in weeks],
        "series": [
            {
                "name": str(KPIS[code].label),
                "points": [
                    {
                        "value": _percent(figure.value),
                        "url": links.rows_url(period=week, unit=company, kpi=code),
                        "detail": f"{figure.numerator}/{figure.denominator}",
                    }
                    for week, figure in zip(weeks, figures, strict=True)
                ],
            }
            for code, figures in trend.items()
        ],
    }
    return {"unit": company, "weeks": weeks, "chart": chart}


def tile_stations(user: Any, moment: Moment) -> dict[str, Any]:
    _company(user)
    ranked = data.stations_ranked(user, moment.month)
    return {
        "period": moment.month,
        "kpis": [KPIS[code] for code in data.RANK_KPIS],
        "rows": [
            {
                "unit": unit,
                "cells": [
                    {
                        "figure": figures[code],
                        "url": links.rows_url(period=moment.month, unit=unit, kpi=code),
                    }
                    for code in data.RANK_KPIS
                ],
            }
            for unit, figures in ranked
        ],
    }


def tile_intake(user: Any, moment: Moment) -> dict[str, Any]:
    company = _company(user)
    intake = data.intake(user, moment.today.start, moment.today.end)
    numbers = data.counts(user, ["contacts", "received"], day=moment.today, unit=company)
    return {
        "intake": intake,
        "contacts": numbers["contacts"],
        "contacts_url": links.rows_url(period=moment.today, unit=company, measure="contacts"),
        "received": numbers["received"],
        "received_url": links.rows_url(period=moment.today, unit=company, measure="received"),
        "hours_chart": {
            "type": "bar",
            "name": _("Contacts"),
            "labels": [f"{hour}" for hour in range(24)],
            "points": [{"value": n} for n in intake.by_hour],
        },
        "channels_chart": {
            "type": "pie",
            "name": _("Channel"),
            "points": [{"name": label, "value": n} for _code, label, n in intake.by_channel],
        },
    }


def tile_agents(user: Any, moment: Moment) -> dict[str, Any]:
    _company(user)
    loads = data.agents_load(user, moment.today.start, moment.today.end)
    rows = [
        {
            "person": load.person,
            "count": load.count,
            "url": links.rows_url(period=moment.today, person=load.person, measure="contacts"),
        }
        for load in loads
    ]
    return {
        "rows": rows,
        "chart": {
            "type": "bar",
            "horizontal": True,
            "name": _("Contacts taken today"),
            "labels": [display_name(row["person"]) for row in rows],
            "points": [{"value": row["count"], "url": row["url"]} for row in rows],
        },
    }


def tile_callbacks(user: Any, moment: Moment) -> dict[str, Any]:
    company = _company(user)
    numbers = data.counts(user, ["callbacks_due"], day=moment.today, unit=company)
    return {"cells": _count_cells(numbers, moment, unit=company)}


def tile_queue(user: Any, moment: Moment) -> dict[str, Any]:
    station = _station(user)
    numbers = data.counts(user, data.STATION_MEASURES, day=moment.today, unit=station)
    return {
        "unit": station,
        "cells": _count_cells(numbers, moment, unit=station),
        "queue_url": reverse("cases:list") + "?view=unit",
    }


def tile_technicians(user: Any, moment: Moment) -> dict[str, Any]:
    station = _station(user)
    loads = data.technicians_load(user, station)
    rows = [
        {
            "person": load.person,
            "count": load.count,
            "url": links.rows_url(period=moment.today, person=load.person, measure="open"),
        }
        for load in loads
    ]
    return {
        "unit": station,
        "rows": rows,
        "chart": {
            "type": "bar",
            "name": _("Open cases"),
            "labels": [display_name(row["person"]) for row in rows],
            "points": [{"value": row["count"], "url": row["url"]} for row in rows],
        },
    }


def tile_results(user: Any, moment: Moment) -> dict[str, Any]:
    station = _station(user)
    figures = selectors.figures(
        user, moment.month.start, moment.month.end, unit=station, codes=data.STATION_RESULT_KPIS
    )
    return {
        "unit": station,
        "period": moment.month,
        "rows": links.figure_lines(figures, period=moment.month, unit=station),
    }


def tile_mine(user: Any, moment: Moment) -> dict[str, Any]:
    cases = followed_cases(user, open_only=True).select_related("responsible_unit")
    return {"count": cases.count(), "cases": list(cases[:MINE_SHOWN])}


def tile_my_callbacks(user: Any, moment: Moment) -> dict[str, Any]:
    numbers = data.counts(user, ["callbacks_due"], day=moment.today, person=user)
    return {"cells": _count_cells(numbers, moment, person=user)}


TILES: dict[str, Callable[[Any, Moment], dict[str, Any]]] = {
    "today": tile_today,
    "kpis": tile_kpis,
    "trend": tile_trend,
    "stations": tile_stations,
    "intake": tile_intake,
    "agents": tile_agents,
    "callbacks": tile_callbacks,
    "queue": tile_queue,
    "technicians": tile_technicians,
    "results": tile_results,
    "mine": tile_mine,
    "my_callbacks": tile_my_callbacks,
}


def render_tile(request: HttpRequest, name: str, moment: Moment) -> SafeString:
    context = TILES[name](request.user, moment)
    context |= {
        "tile": name,
        "tile_url": reverse("core:dashboard_tile", args=[name]),
        "moment": moment,
    }
    return render_to_string(f"dashboards/tiles/{name}.html", context, request=request)


def may_have_dashboard(user: Any, kind: str) -> bool:
    """A company or station dashboard needs the unit's figures (``callbacks.view_rates``);
    without them the person keeps the office home."""
    if kind in (COMPANY, SERVICE_CENTRE):
        return data.company_unit(user) is not None
    if kind == STATION:
        return bool(data.station_units(user))
    return kind == AGENT


def dashboard(request: HttpRequest, kind: str) -> HttpResponse:
    """The home page of a dashboard role (called by ``web.views.home``)."""
    moment = Moment.at(timezone.now())
    return render(
        request,
        "dashboards/home.html",
        {
            "kind": kind,
            "tiles": [render_tile(request, name, moment) for name in TILES_OF[kind]],
        },
    )


@login_required
def tile(request: HttpRequest, name: str) -> HttpResponse:
    """One tile alone: what its section's htmx refresh fetches. Only the tiles of the
    person's own dashboard."""
    if name not in TILES:
        raise Http404
    kind = dashboard_kind(request.user)
    if kind not in TILES_OF or name not in TILES_OF[kind]:
        raise PermissionDenied
    if not may_have_dashboard(request.user, kind):
        raise PermissionDenied
    return HttpResponse(render_tile(request, name, Moment.at(timezone.now())))
