"""Pages for routing rules (路由规则) and the service-area picker fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.area.models import Building, Substation

from . import routing
from .forms import AreaPickerForm, RoutingPreviewForm, RoutingRuleForm
from .models import RoutingRule


@login_required
@permission_required("cases.view_routingrule", raise_exception=True)
def rule_list(request):
    preview_form = RoutingPreviewForm(request.GET or None)
    place, rows = None, []
    if preview_form.is_bound and preview_form.is_valid():
        d = preview_form.cleaned_data
        building = (
            Building.objects.select_related("community", "substation__station", "grid__station")
            .filter(pk=preview_form.picked["building"])
            .first()
            if preview_form.picked["building"]
            else None
        )
        substation = (
            Substation.objects.select_related("station").filter(pk=d["substation"]).first()
            if d.get("substation") and building is None
            else None
        )
        if building is not None or substation is not None:
            place, rows = routing.preview(building, substation, d.get("kind") or "")
    context = {
        "rules": routing.rules(),
        "may_edit": routing.may_edit_rules(request.user),
        "preview_form": preview_form,
        "form": preview_form,  # the picker fragment reads ``form``
        "place": place,
        "rows": rows,
    }
    return render(request, "cases/routing/list.html", context)


@login_required
@permission_required("cases.view_routingrule", raise_exception=True)
def rule_edit(request, pk: int | None = None):
    if not routing.may_edit_rules(request.user):
        raise PermissionDenied(_("You are not allowed to change the routing rules."))
    rule = None
    if pk is not None:
        rule = RoutingRule.objects.filter(pk=pk).first()
        if rule is None:
            raise Http404
    before = routing.snapshot(rule) if rule is not None else None
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = routing.save_rule(request.user, form.save(commit=False), before)
        messages.success(request, _("Routing rule “%(name)s” saved.") % {"name": saved.name})
        return redirect("cases:routing")
    return render(request, "cases/routing/edit.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_act(request, pk: int, action: str):
    if not RoutingRule.objects.filter(pk=pk).exists():
        raise Http404
    if action in ("up", "down"):
        routing.move(request.user, pk, up=action == "up")
    elif action in ("activate", "deactivate"):
        rule = routing.set_active(request.user, pk, action == "activate")
        message = (
            _("Routing rule “%(name)s” is active again.")
            if rule.is_active
            else _("Routing rule “%(name)s” switched off.")
        )
        messages.success(request, message % {"name": rule.name})
    else:
        raise Http404
    return redirect("cases:routing")


@login_required
@permission_required("area.view_building", raise_exception=True)
def area_picker(request):
    """The picker re-rendered after a choice (htmx): the next level's options."""
    form = AreaPickerForm(request.GET)
    if request.GET.get("picker") == "building":  # the routing preview: no entrance or room
        del form.fields["unit_no"]
        del form.fields["room_no"]
    return render(request, "cases/_area_selects.html", {"form": form})
