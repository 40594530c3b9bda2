from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.cases.models import Case, Contact
from utilitydesk.cases.selectors import get_case, visible_cases

from . import selectors, services
from .forms import FaultAnalysisForm, FaultAreaForm, FaultForm


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


def _count_of(model):
    """How many rows of ``model`` name the fault (a subquery: no join fan-out)."""
    rows = model.objects.filter(major_fault=OuterRef("pk")).order_by().values("major_fault")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


@login_required
@permission_required("outages.view_majorfault", raise_exception=True)
def fault_list(request):
    form = FaultForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            fault = services.report_major_fault(
                actor=request.user,
                title=d["title"],
                occurred_at=d["occurred_at"],
                place=d["place"],
                symptoms=d["symptoms"],
                response_plan=d["response_plan"],
                unit_ids=[u.pk for u in d["units"]],
                building_ids=d["buildings"],
                substation_ids=d["substations"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(
                request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            messages.success(
                request, _("Major fault reported; the responsible leaders were notified.")
            )
            return redirect("outages:fault", pk=fault.pk)
    faults = (
        selectors.visible_faults(request.user)
        .annotate(case_count=_count_of(Case), call_count=_count_of(Contact))
        .prefetch_related("substations", "buildings__community")
        .order_by("-occurred_at", "-pk")
    )
    page = Paginator(faults, 20).get_page(request.GET.get("page"))
    return render(request, "outages/faults.html", {"form": form, "page": page})


@login_required
@permission_required("outages.view_majorfault", raise_exception=True)
def fault_detail(request, pk: int):
    fault = (
        selectors.visible_faults(request.user)
        .filter(pk=pk)
        .prefetch_related("units", "substations__station", "buildings__community")
        .first()
    )
    if fault is None:
        raise Http404
    changing_area = request.method == "POST" and "change_area" in request.POST
    form = FaultAnalysisForm(
        request.POST if request.method == "POST" and not changing_area else None
    )
    area_form = FaultAreaForm(
        request.POST if changing_area else None,
        user=request.user,
        initial={
            "substations": [s.pk for s in fault.substations.all()],
            "buildings": [b.pk for b in fault.buildings.all()],
        },
    )
    if request.method == "POST":
        # Someone who may see the fault but not act on it is refused outright (403).
        if not selectors.may_act_on_fault(request.user, fault):
            raise PermissionDenied(_("Only the units named in the major fault can do this."))
        try:
            if changing_area:
                if area_form.is_valid():
                    services.set_fault_area(
                        pk,
                        actor=request.user,
                        building_ids=area_form.cleaned_data["buildings"],
                        substation_ids=area_form.cleaned_data["substations"],
                    )
                    messages.success(request, _("Affected area saved."))
                    return redirect("outages:fault", pk=pk)
            elif request.POST.get("share"):
                sent = services.share_fault_report(pk, actor=request.user)
                messages.success(request, _("Report sent to %(n)d customers.") % {"n": sent})
                return redirect("outages:fault", pk=pk)
            if form.is_valid():
                services.close_major_fault(pk, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Fault analysis recorded."))
                return redirect("outages:fault", pk=pk)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    cases = visible_cases(request.user).filter(major_fault=fault).select_related("responsible_unit")
    return render(
        request,
        "outages/fault_detail.html",
        {
            "fault": fault,
            "form": form,
            "area_form": area_form,
            "call_count": fault.contacts.count(),
            "cases": cases[:200],
            "may_act": selectors.may_act_on_fault(request.user, fault),
        },
    )


@login_required
@require_POST
def link_case(request, number: str):
    """The case page's "link to a major fault" form (outages/_case_section.html)."""
    if get_case(request.user, number) is None:
        raise Http404
    raw = request.POST.get("fault_id", "")
    fault_id = int(raw) if raw.isdecimal() and len(raw) < 19 else 0
    try:
        services.link_case_to_fault(number, fault_id, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do this."))
    else:
        messages.success(request, _("%(action)s: done.") % {"action": _("Done")})
    target = request.POST.get("next") or reverse("cases:detail", args=[number])
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("cases:detail", args=[number])
    return redirect(target)
