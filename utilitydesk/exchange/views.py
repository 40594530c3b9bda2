"""The exchange page: failed and dead messages with a retry button, the figures per unit,
the latest orders with return and extension forms."""

from typing import cast

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.accounts.typing import Actor

from . import selectors, services


def _actor(request: HttpRequest) -> Actor:
    return cast(Actor, request.user)  # login_required has run


@login_required
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "exchange/overview.html",
        {
            "messages_": list(selectors.troubled_messages(request.user)[:200]),
            "figures": selectors.figures(since=selectors.month_start(now)),
            "orders": selectors.recent_orders(request.user),
            "link": selectors.link_status(),
            "may_act": request.user.has_perm(services.ACT_PERMISSION),
        },
    )


def _done(request: HttpRequest, action) -> HttpResponse:
    try:
        action()
    except (ValidationError, PermissionDenied) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        flash.error(request, text or _("You are not allowed to do this."))
    else:
        flash.success(request, _("Done."))
    return redirect("exchange:overview")


@login_required
@permission_required(services.ACT_PERMISSION, raise_exception=True)
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("message") if pk.isdecimal() and len(pk) < 19]
    return _done(request, lambda: services.retry(ids, actor=_actor(request)))


@login_required
@permission_required(services.ACT_PERMISSION, raise_exception=True)
@require_POST
def return_order(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")[:500]
    return _done(request, lambda: services.return_order(pk, reason, actor=_actor(request)))


@login_required
@permission_required(services.ACT_PERMISSION, raise_exception=True)
@require_POST
def extension(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("days", "")
    days = int(raw) if raw.isdecimal() and len(raw) < 4 else 0
    reason = request.POST.get("reason", "")[:500]
    return _done(
        request, lambda: services.request_extension(pk, days, reason, actor=_actor(request))
    )
