"""The temperature report page (R-707, 测温报表): the season's pass rate per station and per
substation, the spread of home temperatures, and the failed homes still waiting for their
re-measurement (with addresses and masked phones, access-logged); the same as a workbook.
A station head reads their station only (the selectors' scope)."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import reports, selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_SEASON, LAST_SEASON = 2000, 2100
PAGE_SIZE = 30


def _number(raw: str, low: int, high: int) -> int:
    if raw.isdecimal() and len(raw) < 19 and low <= int(raw) <= high:
        return int(raw)
    raise ValueError(raw)


@login_required
@permission_required(reports.PERMISSION, raise_exception=True)
@personal_data_view
def report(request):
    user = request.user
    now = timezone.now()
    current = selectors.current_season(now)
    try:
        raw_season = request.GET.get("season", "")
        season = _number(raw_season, FIRST_SEASON, LAST_SEASON) if raw_season else current
        raw_station = request.GET.get("station", "")
        station_id = _number(raw_station, 1, 2**63 - 1) if raw_station else None
    except ValueError:
        messages.error(request, _("Choose a season and a station from the lists."))
        return redirect("temperature_reports:report")

    if request.GET.get("format") == "xlsx":
        stream = io.BytesIO()
        reports.write_workbook(user, season, stream, now=now)
        response = HttpResponse(stream.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="temperature-{season}-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx"'
        )
        return response

    station_rows = selectors.season_pass_rates(user, season, selectors.BY_STATION)
    substation_rows = selectors.season_pass_rates(user, season, selectors.BY_SUBSTATION)
    stations = [row for row in station_rows if row.unit_id is not None]
    if station_id is not None and station_id not in {row.unit_id for row in stations}:
        station_id = None
    bins = selectors.reading_distribution(user, season, station_id)
    most = max((b.count for b in bins), default=0)
    bars = [(b, round(b.count * 100 / most) if most else 0) for b in bins]

    page = Paginator(selectors.failed_not_remeasured(user, season, station_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    failed = selectors.failed_home_rows(user, page.object_list, now=now)
    record_access(
        user,
        Action.VIEW,
        [row.customer_id for row in failed],
        request=request,
        detail={
            "temperature_report": season,
            "measurements": [r.measurement.number for r in failed],
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    seasons = sorted(set(selectors.seasons_recorded(user)) | {current, season}, reverse=True)
    return render(
        request,
        "temperature/report.html",
        {
            "season": season,
            "seasons": seasons,
            "station_id": station_id,
            "stations": stations,
            "station_rows": station_rows,
            "station_total": selectors.total_row(station_rows),
            "substation_rows": substation_rows,
            "substation_total": selectors.total_row(substation_rows),
            "bars": bars,
            "page": page,
            "failed": failed,
            "query": query.urlencode(),
        },
    )
