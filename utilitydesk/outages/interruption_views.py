"""Pages of supply interruptions (mounted with the fault pages under /cases/): the list,
the form with its live scope preview, the detail page with its actions, the fee-reduction
list and its export, and the case page's link form."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.notifications.models import Message
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import interruption_scope as scopes
from . import interruptions as services
from . import reductions
from .interruption_forms import (
    CareCallForm,
    CloseForm,
    InterruptionFilterForm,
    InterruptionForm,
    MoveRestorationForm,
    OverrideForm,
    RestoreForm,
    ScopeForm,
)
from .interruption_selectors import (
    InterruptionFilters,
    linked_calls,
    may_manage,
    notice_counts,
    reduction_rows,
    search_interruptions,
    special_care_list,
    visible_interruptions,
)
from .models import InterruptionState, SpecialCareCall

VIEW = "outages.view_interruption"
S = InterruptionState


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(m for found in exc.message_dict.values() for m in found)
        return " ".join(exc.messages)
    return str(exc)


def _add_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        field = name.removesuffix("_ids").removesuffix("_id")
        form.add_error(field if field in form.fields else None, errors)


@login_required
@permission_required(VIEW, raise_exception=True)
def interruption_list(request):
    form = InterruptionFilterForm(request.GET or None)
    filters = InterruptionFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = InterruptionFilters(
            state=d["state"],
            utility=d["utility"],
            planned={"1": True, "0": False}.get(d["planned"]),
            q=d["q"].strip(),
        )
    found = search_interruptions(request.user, filters)
    if form.is_valid() and form.cleaned_data["override"]:
        found = found.filter(override_at__isnull=False)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "outages/interruptions.html",
        {
            "filter_form": form,
            "page": page,
            "query": query.urlencode(),
            "may_manage": may_manage(request.user),
        },
    )


@login_required
@permission_required("outages.manage_interruption", raise_exception=True)
def interruption_new(request):
    form = InterruptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        scope = form.scope()
        data = services.InterruptionInput(
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
            interruption = services.create_interruption(
                data, actor=request.user, now=timezone.now()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Interruption %(number)s recorded as a draft: check the scope and announce it.")
                % {"number": interruption.number},
            )
            return redirect("outages:interruption", pk=interruption.pk)
    counts = scopes.preview(form.scope()) if form.is_bound and form.is_valid() else None
    return render(request, "outages/interruption_form.html", {"form": form, "counts": counts})


@login_required
@permission_required("outages.manage_interruption", raise_exception=True)
def scope_preview(request):
    """htmx: the counts of the scope chosen so far (premises, customers, special care)."""
    form = ScopeForm(request.GET, user=request.user)
    # Nothing chosen yet: the hint, not a row of zeros.
    counts = scopes.preview(form.scope()) if form.is_valid() and not form.scope().empty else None
    return render(request, "outages/_scope_preview.html", {"counts": counts, "errors": form.errors})


def _interruption_or_404(request, pk: int):
    interruption = (
        visible_interruptions(request.user)
        .filter(pk=pk)
        .select_related("station", "recorded_by", "override_by", "restored_by", "major_fault")
        .prefetch_related("sources", "substations", "buildings__community", "units__building")
        .first()
    )
    if interruption is None:
        raise Http404
    return interruption


@login_required
@permission_required(VIEW, raise_exception=True)
@personal_data_view
def interruption_detail(request, pk: int):
    interruption = _interruption_or_404(request, pk)
    links = list(linked_calls(interruption)[:100])
    care = special_care_list(interruption)
    shown = {link.customer_id for link in links if link.customer_id} | {
        row["customer"].pk for row in care
    }
    record_access(request.user, Action.VIEW, shown, request=request)
    manage = may_manage(request.user, interruption)
    return render(
        request,
        "outages/interruption_detail.html",
        {
            "i": interruption,
            "events": interruption.events.select_related("actor").order_by("seq"),
            "notices": [
                (Message.Status(status).label, n)
                for status, n in notice_counts(interruption).items()
            ],
            "links": links,
            "care": care,
            "may_manage": manage,
            "may_call": manage or request.user.has_perm("cases.add_contact"),
            "override_form": OverrideForm(),
            "move_form": MoveRestorationForm(),
            "restore_form": RestoreForm(),
            "close_form": CloseForm(),
            "care_outcomes": SpecialCareCall.Outcome.choices,
            "preview": scopes.preview(scopes.Scope.of(interruption))
            if interruption.state == S.DRAFT
            else None,
        },
    )


ACTIONS = ("announce", "start", "move", "restore", "close")


@login_required
@require_POST
@permission_required("outages.manage_interruption", raise_exception=True)
def interruption_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    now = timezone.now()
    version = request.POST.get("expected_version", "")
    expected = int(version) if version.isdecimal() and len(version) < 10 else None
    try:
        if action in ("announce", "start"):
            form = OverrideForm(request.POST)
            form.is_valid()
            step = services.announce if action == "announce" else services.start
            step(
                pk,
                actor=request.user,
                now=now,
                override_reason=form.cleaned_data.get("override_reason", ""),
                expected_version=expected,
            )
        elif action == "move":
            move = MoveRestorationForm(request.POST)
            if not move.is_valid():
                raise ValidationError({k: list(v) for k, v in move.errors.items()})
            services.move_restoration(
                pk,
                expected_restoration_at=move.cleaned_data["expected_restoration_at"],
                reason=move.cleaned_data["reason"],
                actor=request.user,
                now=now,
                expected_version=expected,
            )
        elif action == "restore":
            restore = RestoreForm(request.POST)
            if not restore.is_valid():
                raise ValidationError({k: list(v) for k, v in restore.errors.items()})
            services.restore(
                pk,
                note=restore.cleaned_data["note"],
                restored_at=restore.cleaned_data["restored_at"],
                actor=request.user,
                now=now,
                expected_version=expected,
            )
        else:
            services.close(
                pk, note=request.POST.get("note", "")[:2000], actor=request.user, now=now
            )
    except services.Interruption.DoesNotExist as exc:
        raise Http404 from exc
    except (ValidationError, PermissionDenied, services.InterruptionConflict) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("outages:interruption", pk=pk)


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def care_call(request, pk: int):
    form = CareCallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the result of the call."))
        return redirect("outages:interruption", pk=pk)
    try:
        services.record_care_call(
            pk,
            customer_id=form.cleaned_data["customer_id"],
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            actor=request.user,
            now=timezone.now(),
        )
    except services.Interruption.DoesNotExist as exc:
        raise Http404 from exc
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Call recorded."))
    return redirect(f"{reverse('outages:interruption', args=[pk])}#care")


@login_required
@require_POST
def link_case(request, number: str):
    """The case page's form: link the case to an active interruption covering it."""
    raw = request.POST.get("interruption_id", "")
    if not (raw.isdecimal() and len(raw) < 19):
        messages.error(request, _("Choose the interruption."))
        return redirect("cases:detail", number=number)
    try:
        services.link_case(int(raw), number=number, actor=request.user, now=timezone.now())
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Linked to the interruption."))
    return redirect("cases:detail", number=number)


@login_required
@permission_required(VIEW, raise_exception=True)
@personal_data_view
def reduction_list(request):
    """R-807: premises and days of the interruptions long enough for a fee reduction."""
    raw = request.GET.get("interruption", "")
    interruption_id = int(raw) if raw.isdecimal() and len(raw) < 19 else None
    rows = reduction_rows(request.user, interruption_id)
    if request.GET.get("format") == "xlsx":
        stream = io.BytesIO()
        try:
            reductions.export_reductions(
                request.user, rows, stream, detail={"interruption": interruption_id}
            )
        except reductions.ExportTooLarge as exc:
            messages.error(request, str(exc))
            return redirect("outages:reductions")
        response = HttpResponse(
            stream.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="fee-reductions-{stamp}.xlsx"'
        return response
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    record_access(request.user, Action.VIEW, [r.customer_id for r in page], request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "outages/reductions.html",
        {
            "page": page,
            "query": query.urlencode(),
            "interruption_id": interruption_id,
            "may_export": request.user.has_perm(reductions.EXPORT_PERMISSION),
        },
    )
