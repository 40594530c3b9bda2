from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.notifications import services
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors

PER_PAGE = 50


def _filters(data) -> dict[str, str]:
    state = data.get("state", selectors.OPEN)
    return {
        "reference": data.get("reference", "").strip()[:64],
        "state": state if state in selectors.STATES else selectors.OPEN,
    }


def _back(filters: dict[str, str]) -> HttpResponse:
    return redirect(reverse("notices:failed") + "?" + urlencode(filters))


@login_required
@permission_required(services.WORK_FAILED, raise_exception=True)
@personal_data_view
def failed_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    query = selectors.failed_notices(request.user, **filters)
    page = Paginator(query, PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.rows_for(request.user, list(page.object_list))
    record_access(
        request.user,
        Action.LIST,
        [r.customer_id for r in rows if r.customer_id],
        request=request,
        detail={"messages": [r.message.pk for r in rows], **filters},
    )
    return render(
        request,
        "notices/failed_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "states": selectors.STATES.items(),
            "query": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


@login_required
@permission_required(services.WORK_FAILED, raise_exception=True)
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    """Send one message again, or (``all``) every open one of the filtered reference."""
    filters = _filters(request.POST)
    ids = [int(pk) for pk in request.POST.getlist("message") if pk.isdecimal() and len(pk) < 19]
    reference = filters["reference"] if request.POST.get("all") else ""
    count = services.retry_failed(
        actor=request.user, now=timezone.now(), message_ids=ids, reference=reference
    )
    flash.success(request, _("%(count)d messages queued to be sent again.") % {"count": count})
    return _back(filters)


@login_required
@permission_required(services.WORK_FAILED, raise_exception=True)
@require_POST
def reached_by_phone(request: HttpRequest, pk: int) -> HttpResponse:
    filters = _filters(request.POST)
    try:
        services.record_reached_by_phone(
            pk, request.POST.get("note", "")[:500], actor=request.user, now=timezone.now()
        )
    except ValidationError as error:
        flash.error(request, "; ".join(error.messages))
    else:
        flash.success(request, _("Recorded: the customer was reached by phone."))
    return _back(filters)
