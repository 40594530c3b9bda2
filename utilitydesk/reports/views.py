"""The report pages (docs/reports.md): the list, a report's tables with its downloads,
and "generate now" (htmx shows the work in progress and goes to the report when done)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors, services
from .forms import FilterForm, GenerateForm
from .models import ReportKind
from .rendering import cell_colour, cell_text

PAGE_SIZE = 30


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
def report_list(request):
    units = selectors.report_units(request.user)
    form = FilterForm(request.GET or None, units=units)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "kind": form.cleaned_data["kind"],
            "unit": form.cleaned_data["unit"],
            "period": form.cleaned_data["period"],
        }
    page = Paginator(selectors.visible_reports(request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_generate": request.user.has_perm(selectors.GENERATE),
        },
    )


def _display(part: dict[str, Any]) -> dict[str, Any]:
    kinds = [c["type"] for c in part["columns"]]
    return {
        "title": part["title"],
        "note": part.get("note", ""),
        "more": part.get("more", 0),
        "columns": part["columns"],
        "rows": [
            [
                {
                    "text": cell_text(value, kind),
                    "colour": cell_colour(value, kind),
                    "numeric": kind != "text",
                }
                for value, kind in zip(row, kinds, strict=False)
            ]
            for row in part["rows"]
        ],
    }


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
def report_detail(request, pk: int):
    report = selectors.visible_reports(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "period_label": report.content.get("period", {}).get("label", report.period),
            "sections": [_display(part) for part in report.content.get("sections", [])],
            "may_generate": selectors.may_generate(request.user, report.unit),
        },
    )


def _form_again(request, form: GenerateForm) -> HttpResponse:
    """The form with its errors and what was typed: the whole page (400), or for htmx the
    form alone (200, so htmx swaps it in)."""
    if request.headers.get("HX-Request") == "true":
        return render(request, "reports/_generate_form.html", {"form": form})
    return render(request, "reports/generate.html", {"form": form}, status=400)


@login_required
@permission_required(selectors.GENERATE, raise_exception=True)
def generate(request):
    units = selectors.report_units(request.user)
    if request.method != "POST":
        initial = {
            "kind": request.GET.get("kind", ReportKind.WEEKLY),
            "unit": request.GET.get("unit"),
            "period": request.GET.get("period", ""),
        }
        form = GenerateForm(initial=initial, units=units)
        return render(request, "reports/generate.html", {"form": form})
    form = GenerateForm(request.POST, units=units)
    if not form.is_valid():
        return _form_again(request, form)
    try:
        report = services.generate(
            form.cleaned_data["kind"],
            form.cleaned_data["unit"],
            form.cleaned_data["period_obj"],
            actor=request.user,
            now=timezone.now(),
        )
    except PermissionDenied:
        form.add_error("unit", _("You may not generate reports for this unit."))
        return _form_again(request, form)
    messages.success(request, _("The report has been generated."))
    target = reverse("reports:detail", args=[report.pk])
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
