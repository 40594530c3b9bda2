"""The 供热管网 pages: the network tree (children loaded with htmx when a node is opened)
and the upload of the network workbook (``area.network_import``), answered with its row
report in the same request: a network workbook is a few thousand rows."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from utilitydesk.area.models import Utility
from utilitydesk.area.network_import import import_network, template_workbook

from . import network
from .importing import upload_too_large

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NetworkFilterForm(forms.Form):
    utility = forms.ChoiceField(
        label=gettext_lazy("Utility"),
        choices=[("", gettext_lazy("All utilities")), *Utility.choices],
        required=False,
    )
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("Code or name of a source, substation or building")}
        ),
    )


class NetworkImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Network workbook (.xlsx)"))
    dry_run = forms.BooleanField(label=gettext_lazy("Check only, write nothing"), required=False)


def _filters(request: HttpRequest) -> tuple[NetworkFilterForm, str, str]:
    form = NetworkFilterForm(request.GET or None)
    if form.is_valid():
        return form, form.cleaned_data["utility"], form.cleaned_data["q"].strip()
    return form, "", ""


@login_required
@permission_required("area.view_substation", raise_exception=True)
def tree(request: HttpRequest) -> HttpResponse:
    form, utility, q = _filters(request)
    context = {
        "form": form,
        "utility": utility,
        "q": q,
        "totals": network.network_totals(request.user),
    }
    if q:
        context["hits"] = network.search_network(request.user, q, utility=utility)
    else:
        context["nodes"] = network.source_nodes(request.user, utility=utility)
    return render(request, "network/tree.html", context)


@login_required
@permission_required("area.view_substation", raise_exception=True)
def children(request: HttpRequest, kind: str, pk: int = 0) -> HttpResponse:
    """One node's children, as the rows the tree inserts under it."""
    _form, utility, _q = _filters(request)
    nodes: list[network.Node] | None
    if kind == network.NodeKind.SOURCE:
        nodes = network.substation_nodes(request.user, pk)
    elif kind == network.NodeKind.UNLINKED:
        nodes = network.substation_nodes(request.user, None, utility=utility)
    elif kind == network.NodeKind.SUBSTATION:
        nodes = network.building_nodes(request.user, pk)
    elif kind == network.NodeKind.BUILDING:
        nodes = network.unit_nodes(request.user, pk)
    else:
        nodes = None
    if nodes is None:
        raise Http404
    return render(request, "network/_nodes.html", {"nodes": nodes, "utility": utility})


@login_required
@permission_required("area.import_network", raise_exception=True)
def upload(request: HttpRequest) -> HttpResponse:
    form = NetworkImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        form.errors["file"] = form.error_class([upload_too_large()])
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            form.add_error("file", _("Only .xlsx workbooks can be imported."))
        else:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "network.xlsx"
                with path.open("wb") as stored:
                    for chunk in upload.chunks():
                        stored.write(chunk)
                report = import_network(
                    path,
                    actor=request.user,
                    now=timezone.now(),
                    dry_run=form.cleaned_data["dry_run"],
                )
    return render(request, "network/import.html", {"form": form, "report": report})


@login_required
@permission_required("area.import_network", raise_exception=True)
def template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename=network-template.xlsx"
    return response
