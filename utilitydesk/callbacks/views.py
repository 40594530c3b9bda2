from datetime import date, datetime, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.privacy.access import Action as AccessAction
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors, services
from .models import CallbackTask, Outcome, SpotCheck


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Result"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    if_dissatisfied = forms.ChoiceField(
        label=gettext_lazy("If dissatisfied"),
        initial="reopen",
        choices=[
            ("reopen", gettext_lazy("Reopen the case")),
            ("complaint", gettext_lazy("Open a complaint")),
        ],
    )


class SpotCheckForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.filter(
            kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
        ),
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=gettext_lazy("Quarter"), min_value=1, max_value=4)
    seed = forms.CharField(label=gettext_lazy("Seed (optional)"), required=False, max_length=40)


@login_required
@permission_required("callbacks.make_callback", raise_exception=True)
@personal_data_view
def queue(request):
    now = timezone.now()
    tasks = selectors.callable_now(request.user, now)
    page = Paginator(tasks, 25).get_page(request.GET.get("page"))
    record_access(
        request.user,
        AccessAction.LIST,
        [t.customer_id or (t.case.customer_id if t.case_id else None) for t in page],
        request=request,
        detail={"callbacks": [t.pk for t in page]},
    )
    from utilitydesk.sla.services import current_policy

    policy = current_policy()
    return render(
        request,
        "callbacks/queue.html",
        {
            "page": page,
            "form": OutcomeForm(),
            "allowed": services.may_call_at(now, policy),
            "policy": policy,
        },
    )


def _next_page(request) -> str:
    """Back to the page the form was on, never to another site (open redirect)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("callbacks:queue")


@login_required
@require_POST
def record(request, pk: int):
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the result of the call."))
        return redirect(_next_page(request))
    try:
        task = services.record_outcome(
            request.user,
            pk,
            form.cleaned_data["outcome"],
            form.cleaned_data["comment"],
            form.cleaned_data["if_dissatisfied"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except CallbackTask.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("Callback recorded for %(number)s.")
            % {"number": task.case.number if task.case_id else task.customer},
        )
    return redirect(_next_page(request))


@login_required
@permission_required("callbacks.run_spot_check", raise_exception=True)
def spot_checks(request):
    today = timezone.localtime()
    form = SpotCheckForm(
        request.POST or None, initial={"year": today.year, "quarter": (today.month - 1) // 3 + 1}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = services.create_spot_check(
                request.user, d["unit"], d["year"], d["quarter"], d["seed"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("callbacks:spot_check", pk=check.pk)
    return render(
        request,
        "callbacks/spot_checks.html",
        {"form": form, "checks": SpotCheck.objects.order_by("-created_at")[:30]},
    )


@login_required
@permission_required("callbacks.run_spot_check", raise_exception=True)
def spot_check(request, pk: int):
    check = get_object_or_404(SpotCheck, pk=pk)
    return render(
        request,
        "callbacks/spot_check.html",
        {
            "check": check,
            "rows": selectors.spot_check_comparison(check),
            "form": OutcomeForm(),
            "tasks": {t.case_id: t for t in check.tasks.all()},
        },
    )


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
    if not request.user.has_perm("callbacks.view_callbacktask"):
        raise PermissionDenied
    units = OrgUnit.objects.filter(
        kind__in=[UnitKind.COMPANY, UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
    )
    raw_unit = request.GET.get("unit", "")
    if raw_unit and not (raw_unit.isdecimal() and len(raw_unit) < 19):
        messages.error(request, _("Choose a unit from the list."))
        return redirect("callbacks:rates")
    unit = (
        units.filter(pk=int(raw_unit or 0)).first() or units.filter(kind=UnitKind.COMPANY).first()
    )
    today = timezone.localdate()
    try:
        first = _date_param(request, "from", today.replace(day=1))
        last = _date_param(request, "to", today)
    except ValueError:
        messages.error(request, _("Dates are YYYY-MM-DD, from 2000 to 2100."))
        return redirect("callbacks:rates")
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last, datetime.min.time()) + timedelta(days=1)
    aware_start, aware_end = timezone.make_aware(start), timezone.make_aware(end)
    result = selectors.rates(unit, aware_start, aware_end) if unit else None
    return render(
        request,
        "callbacks/rates.html",
        {
            "units": units,
            "unit": unit,
            "result": result,
            "table": selectors.rates_by_unit(aware_start, aware_end),
            "start": start.date(),
            "end": (end - timedelta(days=1)).date(),
        },
    )
