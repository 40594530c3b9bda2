"""Duty pages (docs/duty.md): the roster as a month grid (edited as a draft, published with
R-1001 / R-206 checked), substitutes, the duty log, the handover page and the printable log."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.org.models import OrgUnit

from . import pdf, selectors, services
from .forms import (
    AcceptForm,
    EntryForm,
    LogEntryForm,
    LogFilterForm,
    NotesForm,
    RefuseForm,
    SubstituteForm,
    apply_errors,
)
from .models import Handover, HandoverStatus, LogKind, Roster, RosterEntry, Shift
from .selectors import KEEP_LOG, PUBLISH_ROSTER, VIEW_LOG, VIEW_ROSTER

PAGE_SIZE = 30


def _unit(request) -> OrgUnit:
    unit = selectors.unit_for(request.user, request.GET.get("unit") or request.POST.get("unit"))
    if unit is None:
        raise Http404
    return unit


def _day(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if 2000 <= parsed.year <= 2100 else None


def _month(value: str | None) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = timezone.localdate()
    return today.year, today.month


def _roster_url(unit: OrgUnit, first: date) -> str:
    query = urlencode({"unit": str(unit.pk), "month": f"{first:%Y-%m}"})
    return f"{reverse('duty:roster')}?{query}"


# --- the roster ------------------------------------------------------------------------


def _render_roster(request, unit, year, month, entry_form=None, status=200):
    first, last = selectors.month_bounds(year, month)
    roster = selectors.roster_for_month(request.user, unit, year, month)
    patterns = selectors.shifts()
    may_edit = request.user.has_perm(PUBLISH_ROSTER)
    people = selectors.rosterable_people(unit)
    if entry_form is None and roster is not None and roster.is_draft and may_edit:
        entry_form = EntryForm(people=people, initial={"first_day": first, "last_day": last})
    previous = date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return render(
        request,
        "duty/roster.html",
        {
            "unit": unit,
            "units": selectors.duty_units(),
            "first": first,
            "roster": roster,
            "patterns": patterns,
            "rows": selectors.roster_grid(first, last, roster, patterns),
            "problems": services.roster_problems(roster)
            if roster is not None and roster.is_draft
            else [],
            "may_edit": may_edit,
            "entry_form": entry_form,
            "previous": previous,
            "following": following,
        },
        status=status,
    )


@login_required
@permission_required(VIEW_ROSTER, raise_exception=True)
def roster(request):
    year, month = _month(request.GET.get("month"))
    return _render_roster(request, _unit(request), year, month)


@login_required
@permission_required(PUBLISH_ROSTER, raise_exception=True)
@require_POST
def roster_create(request):
    unit = _unit(request)
    year, month = _month(request.POST.get("month"))
    first, last = selectors.month_bounds(year, month)
    services.create_roster(unit.pk, first, last, actor=request.user)
    messages.success(request, _("A draft roster was created."))
    return redirect(_roster_url(unit, first))


def _roster_or_404(request, pk: int) -> Roster:
    if not request.user.has_perm(VIEW_ROSTER):
        raise Http404
    found = (
        Roster.objects.select_related("unit").filter(pk=pk, unit__in=selectors.duty_units()).first()
    )
    if found is None:
        raise Http404
    return found


@login_required
@permission_required(PUBLISH_ROSTER, raise_exception=True)
@require_POST
def roster_add(request, pk: int):
    roster_ = _roster_or_404(request, pk)
    form = EntryForm(request.POST, people=selectors.rosterable_people(roster_.unit))
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.add_entries(
                roster_.pk,
                first_day=data["first_day"],
                last_day=data["last_day"],
                shift_id=data["shift"].pk,
                person_id=data["person"].pk,
                role=data["role"],
                actor=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(n)s days added to the roster.") % {"n": len(created)})
            return redirect(_roster_url(roster_.unit, roster_.period_start))
    first = roster_.period_start
    return _render_roster(request, roster_.unit, first.year, first.month, form, status=400)


@login_required
@permission_required(PUBLISH_ROSTER, raise_exception=True)
@require_POST
def entry_remove(request, pk: int):
    entry = get_object_or_404(RosterEntry.objects.select_related("roster__unit"), pk=pk)
    try:
        services.remove_entry(entry.pk, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(_roster_url(entry.roster.unit, entry.roster.period_start))


@login_required
@permission_required(PUBLISH_ROSTER, raise_exception=True)
@require_POST
def roster_publish(request, pk: int):
    roster_ = _roster_or_404(request, pk)
    try:
        services.publish_roster(roster_.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _("The roster was not published:"))
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The roster is published."))
    return redirect(_roster_url(roster_.unit, roster_.period_start))


@login_required
@permission_required(PUBLISH_ROSTER, raise_exception=True)
def substitute(request, pk: int):
    entry = get_object_or_404(
        RosterEntry.objects.select_related("roster__unit", "shift", "person", "substitute"), pk=pk
    )
    people = selectors.rosterable_people(entry.roster.unit)
    form = SubstituteForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            services.substitute(
                entry.pk,
                substitute_id=form.cleaned_data["substitute"].pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The substitute is recorded."))
            return redirect(_roster_url(entry.roster.unit, entry.roster.period_start))
    return render(
        request,
        "duty/substitute.html",
        {"entry": entry, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- the duty log ----------------------------------------------------------------------


@login_required
@permission_required(VIEW_LOG, raise_exception=True)
def log(request):
    unit = _unit(request)
    form = None
    if request.method == "POST":
        if not request.user.has_perm(KEEP_LOG):
            raise PermissionDenied
        form = LogEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.write_log_entry(
                    unit.pk,
                    kind=data["kind"],
                    occurred_at=data["occurred_at"],
                    text=data["text"],
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The entry is in the duty log."))
                if entry.kind == LogKind.MAJOR_EVENT:
                    if entry.director_notified_at:
                        messages.success(request, _("The director has been notified."))
                    else:
                        messages.error(
                            request,
                            _("No director of the service centre was found: report it by phone."),
                        )
                return redirect(f"{reverse('duty:log')}?unit={unit.pk}")
    if form is None and request.user.has_perm(KEEP_LOG):
        form = LogEntryForm(
            initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
    filters = LogFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.log_entries(
        request.user,
        unit,
        date_from=criteria.get("date_from"),
        date_to=criteria.get("date_to"),
        kinds=criteria.get("kind") or (),
        day=_day(request.GET.get("day")),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "duty/log.html",
        {
            "unit": unit,
            "form": form,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
        status=400 if form is not None and form.is_bound else 200,
    )


# --- handover --------------------------------------------------------------------------


def _shift_or_404(shift_id) -> Shift:
    try:
        return get_object_or_404(Shift, pk=int(shift_id))
    except (TypeError, ValueError):
        raise Http404 from None


def _shift_url(unit: OrgUnit, day: date, shift: Shift, view: str = "duty:handover") -> str:
    """The handover page of a shift (or, with ``view``, its printable log)."""
    query = urlencode({"unit": str(unit.pk), "day": f"{day:%Y-%m-%d}", "shift": str(shift.pk)})
    return f"{reverse(view)}?{query}"


def _render_handover(
    request, unit, day, shift, *, notes_form=None, accept_form=None, refuse_form=None, status=200
):
    patterns = selectors.shifts()
    handover = selectors.handover_of(unit, day, shift)
    incoming_day, incoming = selectors.next_shift(day, shift, patterns)
    user = request.user
    state = handover.status if handover else HandoverStatus.OPEN
    previous = selectors.previous_shift(day, shift, patterns)
    if notes_form is None:
        notes_form = NotesForm(initial={"notes": handover.notes if handover else ""})
    return render(
        request,
        "duty/handover.html",
        {
            "unit": unit,
            "day": day,
            "shift": shift,
            "span": shift.span(day),
            "handover": handover,
            "state": state,
            "outgoing": selectors.on_duty_entries(unit, day, shift),
            "incoming_day": incoming_day,
            "incoming": incoming,
            "incoming_people": selectors.on_duty_entries(unit, incoming_day, incoming),
            "published": selectors.is_published_for(unit, day),
            "unfinished": selectors.unfinished_work(),
            "log_entries": selectors.log_entries(user, unit, day=day, shift=shift),
            "may_write": selectors.may_hand_over(user, unit, day, shift, state),
            "may_take_over": selectors.may_take_over(user, unit, incoming_day, incoming, state),
            "notes_form": notes_form,
            "accept_form": accept_form or AcceptForm(),
            "refuse_form": refuse_form or RefuseForm(),
            "previous_url": _shift_url(unit, *previous) if previous else "",
            "next_url": _shift_url(unit, incoming_day, incoming),
            "print_url": _shift_url(unit, day, shift, "duty:print"),
        },
        status=status,
    )


@login_required
@permission_required(VIEW_LOG, raise_exception=True)
def handover(request):
    unit = _unit(request)
    day = _day(request.GET.get("day"))
    if day is not None and request.GET.get("shift"):
        shift = _shift_or_404(request.GET.get("shift"))
    else:
        current = selectors.shift_at(timezone.now())
        if current is None:
            raise Http404
        day, shift = current
    return _render_handover(request, unit, day, shift)


@login_required
@permission_required(KEEP_LOG, raise_exception=True)
@require_POST
def handover_write(request, unit_id: int, day: str, shift_id: int):
    unit = get_object_or_404(selectors.duty_units(), pk=unit_id)
    duty_day = _day(day)
    if duty_day is None:
        raise Http404
    shift = _shift_or_404(shift_id)
    form = NotesForm(request.POST)
    if form.is_valid():
        sign = "sign" in request.POST
        try:
            services.hand_over(
                unit.pk,
                duty_day,
                shift.pk,
                notes=form.cleaned_data["notes"],
                sign=sign,
                actor=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Handed over: the incoming shift signs to take over.")
                if sign
                else _("The handover notes are saved."),
            )
            return redirect(_shift_url(unit, duty_day, shift))
    return _render_handover(request, unit, duty_day, shift, notes_form=form, status=400)


def _handover_or_404(pk: int):
    found = Handover.objects.select_related("unit", "shift").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _incoming_decision(request, pk: int, form_class, form_name: str, decide, done: str):
    """The incoming shift takes over or refuses: the same round trip with another form and
    service. ``decide(handover_id, cleaned_data)``; ``form_name`` is the form's slot on the
    handover page when it comes back with errors."""
    found = _handover_or_404(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            decide(found.pk, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(_shift_url(found.unit, found.day, found.shift))
    return _render_handover(
        request, found.unit, found.day, found.shift, **{form_name: form}, status=400
    )


@login_required
@permission_required(KEEP_LOG, raise_exception=True)
@require_POST
def handover_accept(request, pk: int):
    return _incoming_decision(
        request,
        pk,
        AcceptForm,
        "accept_form",
        lambda handover_id, data: services.accept_handover(
            handover_id, confirm_unfinished=data["confirm_unfinished"], actor=request.user
        ),
        _("You have taken over the shift."),
    )


@login_required
@permission_required(KEEP_LOG, raise_exception=True)
@require_POST
def handover_refuse(request, pk: int):
    return _incoming_decision(
        request,
        pk,
        RefuseForm,
        "refuse_form",
        lambda handover_id, data: services.refuse_handover(
            handover_id, conditions=data["conditions"], note=data["note"], actor=request.user
        ),
        _("The handover is refused: the outgoing shift stays on duty."),
    )


# --- printable log ---------------------------------------------------------------------


@login_required
@permission_required(VIEW_LOG, raise_exception=True)
def print_log(request):
    unit = _unit(request)
    day = _day(request.GET.get("day")) or timezone.localdate()
    shift = _shift_or_404(request.GET["shift"]) if request.GET.get("shift") else None
    document = pdf.render_log(
        unit,
        day,
        shift,
        selectors.log_entries(request.user, unit, day=day, shift=shift).order_by(
            "occurred_at", "id"
        ),
        selectors.handovers(request.user, unit, day=day, shift=shift),
        printed_by=request.user,
    )
    response = HttpResponse(document, content_type="application/pdf")
    name = f"duty-log-{day:%Y%m%d}{'-' + shift.code if shift else ''}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
