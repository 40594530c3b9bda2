"""The refunds page (R-706; docs/temperature.md): failed homes' credits with their band,
period, days and fraction of the season's fee, filtered and paginated (every customer shown
is access-logged); the approver the policy names approves or rejects (a rejection says
why). The amount is the fraction of the home's season fee: billing (issue 15) applies it;
no price is invented here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.org.models import Position
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import services
from .models import CreditStatus
from .refund_forms import DecisionForm, RefundFilterForm
from .refund_selectors import (
    VIEW_PERMISSION,
    RefundFilters,
    refund_seasons,
    refund_stations,
    search_refunds,
)

PAGE_SIZE = 50


def _position_label(code: str) -> str:
    return str(Position(code).label) if code in Position.values else code


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@personal_data_view
def refund_list(request):
    form = RefundFilterForm(
        request.GET or None,
        stations=refund_stations(request.user),
        seasons=refund_seasons(request.user),
    )
    filters = RefundFilters()
    if form.is_valid():
        filters = RefundFilters(
            status=form.cleaned_data["status"],
            season=form.cleaned_data["season"],
            station_id=form.cleaned_data["station"],
        )
    page = Paginator(search_refunds(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Whether the person decides depends on the position a credit names: asked once each.
    decides: dict[str, bool] = {}

    def may_decide(credit) -> bool:
        if credit.approver_position not in decides:
            decides[credit.approver_position] = services.may_decide_refund(
                credit, actor=request.user
            )
        return decides[credit.approver_position]

    rows = [
        {
            "credit": credit,
            "share_percent": credit.share * 100,
            "fraction_percent": credit.fee_fraction * 100,
            "approver": _position_label(credit.approver_position),
            "may_decide": credit.status == CreditStatus.PENDING and may_decide(credit),
        }
        for credit in page
    ]
    record_access(
        request.user,
        Action.VIEW,
        [row["credit"].premises.customer_id for row in rows],
        request=request,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "temperature/refunds.html",
        {
            "filter_form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "back": request.GET.urlencode(),
        },
    )


@login_required
@permission_required("temperature.decide_refund", raise_exception=True)
@require_POST
def refund_decide(request, pk: int):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            credit = services.decide_refund(
                pk, approve, form.cleaned_data["note"], actor=request.user
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not decide this refund."))
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            messages.success(
                request,
                (_("Refund approved: %(a)s.") if approve else _("Refund rejected: %(a)s."))
                % {"a": credit.premises.address_text},
            )
    back = QueryDict(request.POST.get("back", "")[:500])
    target = reverse("temperature_refunds:list")
    return redirect(f"{target}?{back.urlencode()}" if back else target)
