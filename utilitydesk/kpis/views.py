"""The service rates page (服务指标): one unit's four rates and every unit's table for a
period (docs/rates.md)."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.org.models import UnitKind

from . import selectors


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
