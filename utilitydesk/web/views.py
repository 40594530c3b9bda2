from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from utilitydesk.cases.selectors import case_counts
from utilitydesk.customers.selectors import pending_grade_requests
from utilitydesk.kpis.selectors import rates
from utilitydesk.org.models import Position
from utilitydesk.org.roles import SCOPED_POSITIONS
from utilitydesk.org.selectors import leader_unit, positions_of

from . import dashboards


def _leader_overview(user, now) -> dict | None:
    """Today's intake, open, overdue and escalated cases, and the month's rates."""
    unit = leader_unit(user)
    if unit is None:
        return None
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {
        "unit": unit,
        "counts": case_counts(user, now),
        "rates": rates(unit, month_start, now),
        "month": month_start,
    }


def _field_home(user) -> str | None:
    """Where someone holding only field positions starts: their work, not the office
    home. Technicians and team leaders 我的工单; a station head without the station's
    figures (their dashboard otherwise) the unit's queue."""

    held = {a.position for a in positions_of(user)}
    if user.is_superuser or not held or not held <= SCOPED_POSITIONS:
        return None
    if Position.STATION_HEAD in held:
        return reverse("cases:list") + "?view=unit"
    return reverse("field:list")


@login_required
def home(request):
    # Each role's dashboard (web/dashboards.py); the office home for the others.
    kind = dashboards.dashboard_kind(request.user)
    if kind in dashboards.TILES_OF and dashboards.may_have_dashboard(request.user, kind):
        return dashboards.dashboard(request, kind)
    field_home = _field_home(request.user)
    if field_home:
        return redirect(field_home)
    return render(
        request,
        "core/home.html",
        {
            "positions": positions_of(request.user),
            "pending_grade_requests": pending_grade_requests(request.user).count(),
            "overview": _leader_overview(request.user, timezone.now()),
        },
    )
