"""Pages of the suspected incidents (issue 13 part 6), beside the interruption pages: the
list, one signal with the calls behind it, "confirm" (the interruption form filled in with
the signal's place) and "dismiss" with a reason."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.accounts.typing import Actor
from utilitydesk.policy.services import current_policy

from . import detection
from . import interruption_scope as scopes
from .detection_forms import DismissForm, SignalFilterForm
from .detection_selectors import calls_of, may_decide, signal_list, visible_signals
from .interruption_forms import InterruptionForm
from .interruption_selectors import MANAGE, VIEW, policy_value
from .interruptions import InterruptionInput
from .models import IncidentSignal, InterruptionKind, SignalPlace, SignalState

OPEN = SignalState.OPEN


def _person(request: HttpRequest) -> Actor:
    """The signed-in person (the views require a login)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for found in exc.message_dict.values() for m in found)
    return " ".join(exc.messages)


@login_required
@permission_required(VIEW, raise_exception=True)
def signals(request: HttpRequest) -> HttpResponse:
    form = SignalFilterForm(request.GET or {"state": OPEN})
    state = form.cleaned_data["state"] if form.is_valid() else OPEN
    page = Paginator(signal_list(request.user, state), 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "outages/signals.html",
        {
            "filter_form": form,
            "page": page,
            "query": query.urlencode(),
            "may_decide": may_decide(request.user),
        },
    )


def _signal_or_404(request: HttpRequest, pk: int) -> IncidentSignal:
    signal = (
        visible_signals(request.user)
        .select_related(
            "substation", "building__community", "station", "decided_by", "interruption"
        )
        .filter(pk=pk)
        .first()
    )
    if signal is None:
        raise Http404
    return signal


@login_required
@permission_required(VIEW, raise_exception=True)
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    signal = _signal_or_404(request, pk)
    building = signal.place_kind == SignalPlace.BUILDING
    proposed = scopes.Scope(
        substation_ids=[] if building or signal.substation_id is None else [signal.substation_id],
        building_ids=[signal.building_id] if building and signal.building_id else [],
    )
    return render(
        request,
        "outages/signal_detail.html",
        {
            "s": signal,
            "preview": scopes.preview(proposed),
            "calls": calls_of(signal),
            "may_decide": may_decide(request.user, signal) and signal.state == OPEN,
            "dismiss_form": DismissForm(),
        },
    )


def _initial(signal: IncidentSignal, now: datetime) -> dict[str, Any]:
    """The interruption form filled in from the signal: unplanned, over its place, from
    its first call, restored within the policy's commitment."""
    building = signal.place_kind == SignalPlace.BUILDING
    place = str(signal.place)
    hours = int(policy_value(current_policy(), "outage_restoration_hours"))
    return {
        "planned": "0",
        "utility": signal.utility,
        "kind": InterruptionKind.PIPE_BURST if building else InterruptionKind.OTHER,
        "title": _("%(place)s: supply failure") % {"place": place},
        "description": _(
            "Seen from %(calls)d calls about no supply between %(first)s and %(last)s."
        )
        % {
            "calls": signal.calls,
            "first": timezone.localtime(signal.first_call_at).strftime("%H:%M"),
            "last": timezone.localtime(signal.last_call_at).strftime("%H:%M"),
        },
        "start_at": signal.first_call_at,
        "expected_restoration_at": now + timedelta(hours=hours),
        "buildings": [signal.building_id] if building else [],
        "substations": [] if building else [signal.substation_id],
    }


@login_required
@permission_required(MANAGE, raise_exception=True)
def signal_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The interruption form, filled in with the signal's place; saving it records the
    draft and links the signal to it."""
    now = timezone.now()
    try:
        signal = detection.check_open(pk, actor=_person(request))
    except IncidentSignal.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("outages:signal", pk=pk)
    form = InterruptionForm(request.POST or None, user=request.user, initial=_initial(signal, now))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        scope = form.scope()
        data = InterruptionInput(
            kind=d["kind"],
            title=d["title"],
            start_at=d["start_at"],
            expected_restoration_at=d["expected_restoration_at"],
            planned=d["planned"],
            utility=d["utility"],
            description=d["description"],
            source_ids=scope.source_ids,
            substation_ids=scope.substation_ids,
            building_ids=scope.building_ids,
            units=scope.units,
        )
        try:
            interruption = detection.confirm_signal(pk, data, actor=_person(request), now=now)
        except IncidentSignal.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            if "state" in getattr(exc, "message_dict", {}):
                messages.error(request, _error_text(exc))
                return redirect("outages:signal", pk=pk)
            for name, errors in exc.message_dict.items():
                field = name.removesuffix("_ids").removesuffix("_id")
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Interruption %(number)s recorded as a draft: check the scope and announce it.")
                % {"number": interruption.number},
            )
            return redirect("outages:interruption", pk=interruption.pk)
    counts = scopes.preview(form.scope()) if form.is_bound and form.is_valid() else None
    return render(
        request,
        "outages/signal_confirm.html",
        {"form": form, "counts": counts, "s": signal},
    )


@login_required
@require_POST
@permission_required(MANAGE, raise_exception=True)
def signal_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this is not an incident."))
        return redirect("outages:signal", pk=pk)
    try:
        detection.dismiss_signal(
            pk, reason=form.cleaned_data["reason"], actor=_person(request), now=timezone.now()
        )
    except IncidentSignal.DoesNotExist as exc:
        raise Http404 from exc
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Dismissed."))
    return redirect("outages:signal", pk=pk)
