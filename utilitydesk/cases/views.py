import io
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.customers.selectors import customer_summary, visible_customers
from utilitydesk.knowledge.selectors import search as search_knowledge
from utilitydesk.knowledge.selectors import standard_phrases
from utilitydesk.org.models import Position
from utilitydesk.privacy.access import Action as AccessAction
from utilitydesk.privacy.access import record_access, record_cases_shown
from utilitydesk.privacy.web import personal_data_view

from . import deadline_selectors, export, selectors, services
from .actions import UnknownAction, perform_action
from .forms import (
    AssignForm,
    BookForm,
    CaseFilterForm,
    CodeForm,
    DispatchForm,
    IntakeForm,
    NoteForm,
    ReplyForm,
    ResolveForm,
)
from .hooks import field_sections_for, intake_sections_for, sections_for
from .labels import ACTION_LABELS
from .models import Status
from .slip import render_slip


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


@login_required
@permission_required("cases.add_contact", raise_exception=True)
@personal_data_view
def intake(request):
    customer = None
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if customer_id:
        customer = (
            visible_customers(request.user)
            .filter(pk=customer_id)
            .prefetch_related("premises", "phones")
            .first()
        )
        if customer is None:
            raise Http404
        if request.method == "GET":
            record_access(request.user, AccessAction.VIEW, [customer], request=request)
    form = IntakeForm(request.POST or None, customer=customer, user=request.user)
    duplicates = []
    link_to_case = request.POST.get("link_case", "").strip()
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.ContactInput(
            channel=d["channel"],
            kind=d["kind"],
            content=d["content"],
            received_at=d["received_at"],
            customer_id=customer.pk if customer else None,
            premises_id=d.get("premises"),
            caller_name=d.get("caller_name", ""),
            caller_phone=d.get("caller_phone", ""),
            emergency=d["emergency"],
            answer=d["answer"].strip(),
            knowledge_entry_id=d["knowledge_entry_id"],
            link_to_case=link_to_case,
            # Only the button "create a new case anyway" sends it; merging is the other
            # button (link_case): the form's default button never merges.
            allow_duplicate=request.POST.get("allow_duplicate") == "on",
            building_id=d.get("building"),
            unit_no=d.get("unit_no", ""),
            room_no=d.get("room_no", ""),
            reaction_data=form.reaction_data(),
            major_fault_id=_fault_id(request.POST.get("major_fault", "")),
        )
        try:
            contact = services.create_contact(data, actor=request.user)
        except services.DuplicateWarning as warning:
            duplicates = warning.cases
            form = IntakeForm(request.POST, customer=customer, user=request.user)
            form.is_valid()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = (
                    field.removesuffix("_id") if field.removesuffix("_id") in form.fields else field
                )
                form.add_error(name if name in form.fields else None, errors)
        else:
            if contact.closed_on_spot:
                messages.success(request, _("Answered and closed on the spot."))
                return redirect(
                    reverse("customers:detail", args=[customer.pk])
                    if customer
                    else reverse("cases:new")
                )
            case = contact.case
            if link_to_case:
                messages.success(request, _("Added to case %(number)s.") % {"number": case.number})
            elif case.held_by:
                messages.success(
                    request,
                    _(
                        "Case %(number)s recorded and held by the interruption: it is closed when supply returns."
                    )
                    % {"number": case.number},
                )
            else:
                unit = case.responsible_unit.name if case.responsible_unit else _("the dispatcher")
                messages.success(
                    request,
                    _("Case %(number)s created and sent to %(unit)s.")
                    % {"number": case.number, "unit": unit},
                )
            return redirect("cases:detail", number=case.number)
    open_cases = (
        list(
            selectors.cases_of_customer(request.user, customer.pk).filter(
                status__in=list(selectors.OPEN_STATUSES)
            )[:10]
        )
        if customer
        else []
    )
    # What other apps show on intake (cases.hooks): the major faults being handled.
    intake_templates, intake_context = intake_sections_for(request, customer)
    return render(
        request,
        "cases/intake.html",
        {
            "form": form,
            "customer": customer,
            "summary": customer_summary(request.user, customer) if customer else None,
            "open_cases": open_cases,
            "duplicates": duplicates,
            "phrases": standard_phrases(request.user),
            **intake_context,
            "intake_section_templates": intake_templates,
        },
    )


def _fault_id(raw: str) -> int | None:
    return int(raw) if raw.isdecimal() and len(raw) < 19 else None


@login_required
@permission_required("cases.view_case", raise_exception=True)
def knowledge_search(request):
    results = search_knowledge(request.GET.get("kq", ""))
    return render(request, "cases/_knowledge_results.html", {"results": results})


def _listed_cases(request):
    """The list a person looks at: a view (all, waiting for dispatch, the unit's open
    cases, due soon) narrowed by the filters; the same for the page and the export."""
    view = request.GET.get("view", "all")
    if view not in ("all", "dispatch", "unit", "due"):
        view = "all"
    form = CaseFilterForm(request.GET or None)
    now = timezone.now()
    filters = selectors.CaseFilters()
    if form.is_valid():
        d = form.cleaned_data
        start, end = selectors.period_dates(d["period"], timezone.localdate(now))
        filters = selectors.CaseFilters(
            q=d["q"],
            status=d["status"],
            kind=d["kind"],
            unit=d["unit"],
            open_only=d["open_only"],
            emergency_only=d["emergency_only"],
            channel=d["channel"],
            grade=d["grade"],
            received_from=max(filter(None, [start, d["received_from"]]), default=None),
            received_to=min(filter(None, [end, d["received_to"]]), default=None),
            overdue_only=d["overdue_only"],
        )
    if view == "dispatch":
        queryset = selectors.dispatch_queue(request.user)
    elif view == "due":
        queryset = selectors.due_queue(request.user, now)
    elif view == "unit":
        queryset = selectors.unit_queue(request.user)
    else:
        queryset = selectors.search_cases(request.user, filters, now)
    if view != "all":
        queryset = selectors.filter_cases(request.user, queryset, filters, now)
    return view, form, filters, queryset


@login_required
@permission_required("cases.view_case", raise_exception=True)
@personal_data_view
def case_list(request):
    view, form, _filters, queryset = _listed_cases(request)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    record_cases_shown(request, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "page": page,
            "view": view,
            "query": query.urlencode(),
            "may_export": request.user.has_perm("cases.export_case"),
        },
    )


@login_required
@permission_required("cases.export_case", raise_exception=True)
@personal_data_view
def case_export(request):
    """The filtered list as .xlsx (every row, not one page); logged per customer."""
    view, form, filters, queryset = _listed_cases(request)
    if not form.is_valid() and form.is_bound:
        messages.error(request, _("Correct the filters first."))
        return redirect(f"{reverse('cases:list')}?{request.GET.urlencode()}")
    stream = io.BytesIO()
    try:
        export.export_cases(
            request.user, queryset, stream, detail={"view": view, **filters.as_dict()}
        )
    except export.ExportTooLarge as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('cases:list')}?{request.GET.urlencode()}")
    response = HttpResponse(
        stream.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.xlsx"'
    return response


def _technicians_for(case):
    if case.responsible_unit is None:
        return []
    units = [case.responsible_unit.pk, *case.responsible_unit.children.values_list("pk", flat=True)]
    people = (
        get_user_model()
        .objects.filter(
            assignments__unit_id__in=units,
            assignments__is_active=True,
            assignments__position__in=[Position.TECHNICIAN, Position.TEAM_LEADER],
        )
        .distinct()
        .order_by("username")
    )
    return [(p.pk, f"{p.last_name}{p.first_name} ({p.username})") for p in people]


@login_required
@permission_required("cases.view_case", raise_exception=True)
@personal_data_view
def case_detail(request, number: str):
    case = selectors.get_case(request.user, number)
    if case is None:
        raise Http404
    record_cases_shown(request, [case])
    section_templates, section_context = sections_for(request, case)
    actions = [
        a for a in selectors.available_actions(request.user, case) if a not in ("note", "reply")
    ]
    assign_form = AssignForm(initial={"expected_version": case.version})
    cast(forms.ChoiceField, assign_form.fields["assignee"]).choices = _technicians_for(case)
    return render(
        request,
        "cases/detail.html",
        {
            **section_context,
            "section_templates": section_templates,
            "deadlines": deadline_selectors.deadlines_of(case),
            "statuses": dict(Status.choices),
            "escalations": deadline_selectors.escalations_of(case),
            "pauses": deadline_selectors.pauses_of(case),
            "case": case,
            "events": selectors.shown_timeline(request.user, case),
            "actions": actions,
            "labels": ACTION_LABELS,
            "phone": selectors.caller_phone_for(request.user, case),
            "may_text": services.may_text_customer(case, actor=request.user),
            "note_form": NoteForm(initial={"expected_version": case.version}),
            "dispatch_form": DispatchForm(initial={"expected_version": case.version}),
            "book_form": BookForm(initial={"expected_version": case.version}),
            "assign_form": assign_form,
            "resolve_form": ResolveForm(initial={"expected_version": case.version}),
            "code_form": CodeForm(initial={"expected_version": case.version}),
            "reply_form": ReplyForm(),
            "field_view": request.GET.get("field") == "1",
        },
    )


def _back(request, number):
    target = request.POST.get("next") or reverse("cases:detail", args=[number])
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("cases:detail", args=[number])
    return redirect(target)


FORMS = {
    "dispatch": DispatchForm,
    "redispatch": DispatchForm,
    "book": BookForm,
    "not_home": BookForm,
    "assign": AssignForm,
    "resolve": ResolveForm,
    "confirm_signoff_code": CodeForm,
    "reply": ReplyForm,
}


@login_required
@require_POST
def case_act(request, number: str, action: str):
    case = selectors.get_case(request.user, number)
    if case is None:
        raise Http404
    if action == "reply" and not services.may_text_customer(case, actor=request.user):
        raise PermissionDenied(
            _("Only the people handling the case and the service centre text its customer.")
        )
    form_class = FORMS.get(action, NoteForm)
    form = form_class(request.POST)
    if form_class is AssignForm:
        cast(forms.ChoiceField, form.fields["assignee"]).choices = _technicians_for(case)
    # The field page's forms come back with what was typed and why it was refused.
    on_field_page = action in FIELD_FORMS and request.POST.get("next") == reverse(
        "field:case", args=[number]
    )
    if not form.is_valid():
        if on_field_page:
            return _field_page_again(request, number, action)
        messages.error(
            request,
            " ".join(
                f"{form.fields[f].label if f in form.fields else ''} {' '.join(str(m) for m in e)}"
                for f, e in form.errors.items()
            ),
        )
        return _back(request, number)
    data = dict(form.cleaned_data)
    if data.get("unit"):
        data["unit_id"] = data.pop("unit").pk
    if "assignee" in data:
        data["assignee_id"] = data.pop("assignee")
    try:
        perform_action(request.user, number, action, data)
    except UnknownAction:
        raise Http404 from None
    except (services.ConflictError, ValidationError, PermissionDenied) as exc:
        if on_field_page:
            return _field_page_again(request, number, action, exc)
        if isinstance(exc, ValidationError):
            messages.error(request, _error_text(exc))
        else:
            messages.error(request, str(exc) or _("You are not allowed to do this."))
    else:
        label = ACTION_LABELS.get(action, _("Done"))
        messages.success(request, _("%(action)s: done.") % {"action": label})
    return _back(request, number)


@login_required
@permission_required("cases.view_case", raise_exception=True)
@personal_data_view
def slip_pdf(request, number: str):
    case = selectors.get_case(request.user, number)
    if case is None:
        raise Http404
    response = HttpResponse(render_slip(case, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}.pdf"'
    return response


FIELD_PAGE_SIZE = 30


@login_required
@permission_required("cases.handle_case", raise_exception=True)
@personal_data_view
def field_list(request):
    # A phone shows a page of the day's work, emergencies and the next bookings first; a
    # technician with hundreds of open orders pages on (and only what is shown is logged).
    page = Paginator(selectors.my_work_orders(request.user), FIELD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    orders = list(page.object_list)
    waiting = list(
        selectors.unit_queue(request.user).filter(
            assignee__isnull=True, status__in=[Status.DISPATCHED, Status.REOPENED]
        )[:20]
    )
    record_cases_shown(request, orders + waiting)
    # Other apps' work on this page (cases.hooks): monitoring points due for a visit.
    section_templates, section_context = field_sections_for(request)
    return render(
        request,
        "cases/field_list.html",
        {
            "orders": orders,
            "page": page,
            "waiting": waiting,
            "field_sections": section_templates,
            **section_context,
        },
    )


@login_required
@permission_required("cases.handle_case", raise_exception=True)
@personal_data_view
def field_case(request, number: str):
    case = selectors.get_case(request.user, number)
    if case is None:
        raise Http404
    return _field_page(request, case)


# The forms of the field page: action → (template name, form class, id prefix).
FIELD_FORMS = {
    "call_customer": ("call_form", NoteForm, "call_%s"),
    "book": ("book_form", BookForm, "id_%s"),
    "not_home": ("not_home_form", BookForm, "nothome_%s"),
    "confirm_signoff_code": ("code_form", CodeForm, "id_%s"),
    "resolve": ("resolve_form", ResolveForm, "id_%s"),
}


def _field_page(request, case, bound=None, status=200):
    record_cases_shown(request, [case])
    forms = {
        name: form_class(initial={"expected_version": case.version}, auto_id=auto_id)
        for name, form_class, auto_id in FIELD_FORMS.values()
    }
    forms.update(bound or {})
    phone = selectors.caller_phone_for(request.user, case)
    return render(
        request,
        "cases/field_case.html",
        {
            "case": case,
            "actions": selectors.available_actions(request.user, case),
            "events": selectors.shown_timeline(request.user, case),
            "phone": phone,
            # tel: only with the number itself, never a masked one.
            "phone_full": bool(phone) and phone == case.caller_phone,
            "labels": ACTION_LABELS,
            "open_form": next(iter(bound), "") if bound else "",
            **forms,
        },
        status=status,
    )


@personal_data_view
def _field_page_again(request, number: str, action: str, refusal=None):
    """The field page after a refused action: the form keeps what was typed (a drawn
    signature too) and says why. After someone else's change the page shows the case as
    it is now, and the form may be sent again against that version."""
    case = selectors.get_case(request.user, number)
    if case is None:
        raise Http404
    name, form_class, auto_id = FIELD_FORMS[action]
    data = request.POST.copy()
    if isinstance(refusal, services.ConflictError):
        data["expected_version"] = str(case.version)
    form = form_class(data, auto_id=auto_id)
    form.is_valid()
    if isinstance(refusal, ValidationError):
        errors = refusal.message_dict if hasattr(refusal, "message_dict") else {}
        for field_name, field_errors in errors.items() or [(None, refusal.messages)]:
            field_name = "signature" if field_name == "signoff" else field_name
            form.add_error(field_name if field_name in form.fields else None, field_errors)
    elif refusal is not None:
        form.add_error(None, str(refusal) or _("You are not allowed to do this."))
    status = {services.ConflictError: 409, PermissionDenied: 403}.get(type(refusal), 400)
    return _field_page(request, case, {name: form}, status=status)
