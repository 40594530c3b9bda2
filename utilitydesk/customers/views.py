import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.accounts.forms import client_ip
from utilitydesk.audit.models import AccessLog
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors, services
from .forms import (
    CustomerCreateForm,
    CustomerEditForm,
    CustomerFilterForm,
    GradeDecisionForm,
    GradeRequestForm,
    ImportForm,
    PremisesForm,
)
from .importing import megabytes, reasons_not_listed, upload_too_large
from .models import Grade, GradeChangeRequest, ImportJob
from .panels import contact_history, panels_for, premises_flags


def _filters(request) -> tuple[CustomerFilterForm, selectors.CustomerFilters]:
    form = CustomerFilterForm(request.GET or None)
    filters = selectors.CustomerFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.CustomerFilters(
            q=data["q"],
            station=data["station"].pk if data["station"] else None,
            grade=data["grade"],
            customer_type=data["customer_type"],
            special_care_only=data["special_care_only"],
        )
    return form, filters


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@personal_data_view
def customer_list(request):
    form, filters = _filters(request)
    page = Paginator(selectors.search_customers(request.user, filters), 25).get_page(
        request.GET.get("page")
    )
    rows = [selectors.customer_summary(request.user, c) for c in page.object_list]
    record_access(request.user, AccessLog.Action.LIST, page.object_list, request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_export": selectors.can_export(request.user),
        },
    )


@login_required
def customer_export(request):
    if not selectors.can_export(request.user):
        raise PermissionDenied(_("You are not allowed to export customer data."))
    _form, filters = _filters(request)
    stream = io.BytesIO()
    services.export_customers(filters, stream, actor=request.user, ip_address=client_ip(request))
    response = HttpResponse(
        stream.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.xlsx"'
    return response


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@personal_data_view
def customer_lookup(request):
    """htmx partial behind the screen-pop box in the shell header. The box posts, so the
    number typed stays out of request logs."""
    q = (request.POST.get("q") or request.GET.get("q", "")).strip()
    results = (
        selectors.lookup_customers(request.user, q=q, ip_address=client_ip(request))
        if len(q) >= 2
        else []
    )
    return render(request, "customers/_lookup_results.html", {"results": results, "q": q})


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@personal_data_view
def customer_detail(request, pk: int):
    customer = selectors.get_customer(request.user, pk, ip_address=client_ip(request))
    premises = list(customer.premises.all())
    flags = premises_flags(request.user, premises)
    for place in premises:
        place.flags = flags.get(place.pk, [])  # type: ignore[attr-defined]  # display-only
    raw_page = request.GET.get("history_page", "")
    history_page = int(raw_page) if raw_page.isdecimal() and len(raw_page) < 6 else 1
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "summary": selectors.customer_summary(request.user, customer),
            "premises": premises,
            "contacts": contact_history(request.user, customer, history_page),
            "history": selectors.customer_history(request.user, customer, premises),
            "grade_requests": customer.grade_requests.select_related("requested_by", "decided_by")[
                :10
            ],
            "grade_form": GradeRequestForm(
                initial={
                    "to_grade": Grade.VIP if customer.grade == Grade.GENERAL else Grade.GENERAL
                }
            ),
            "panels": panels_for(request, customer),
            "can_edit": request.user.has_perm("customers.change_customer"),
            "can_request_grade": request.user.has_perm("customers.request_grade_change"),
        },
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request, pk: int):
    customer = selectors.get_customer(request.user, pk, ip_address=client_ip(request))
    can_flag_error = request.user.has_perm("customers.record_entry_error")
    initial = {
        "name": customer.name,
        "phones": ";".join(p.number for p in customer.phones.all()),
        "customer_type": customer.customer_type,
        "special_care": customer.special_care,
        "notes": customer.notes,
        "long_term_since": customer.long_term_since,
    }
    form = CustomerEditForm(request.POST or None, initial=initial)
    if not can_flag_error:
        del form.fields["correcting_entry_error"]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        correcting = data.pop("correcting_entry_error", False)
        try:
            changed = services.update_customer(
                customer.pk,
                data,
                actor=request.user,
                source="web",
                correcting_entry_error=correcting,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request, _("Saved. %(count)d field(s) changed.") % {"count": len(changed)}
                )
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/edit.html", {"form": form, "customer": customer})


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@personal_data_view
def premises_edit(request, pk: int, premises_pk: int):
    """Stop, close or resume heating, and correct the heated area and the meter."""
    customer = selectors.get_customer(request.user, pk, ip_address=client_ip(request))
    premises = next((p for p in customer.premises.all() if p.pk == premises_pk), None)
    if premises is None:
        raise Http404
    form = PremisesForm(
        request.POST or None,
        initial={
            "status": premises.status,
            "heated_area": premises.heated_area,
            "metered": premises.metered,
            "meter_no": premises.meter_no,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.update_premises(
                premises.pk,
                {
                    "status": data["status"],
                    "heated_area": data["heated_area"],
                    "metered": data["metered"] or bool(data["meter_no"].strip()),
                    "meter_no": data["meter_no"].strip(),
                },
                actor=request.user,
                source="web",
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request, _("Saved. %(count)d field(s) changed.") % {"count": len(changed)}
                )
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/premises_edit.html",
        {"form": form, "customer": customer, "premises": premises},
    )


@login_required
@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request):
    form = CustomerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = services.create_customer(
                data["account_no"],
                services.CustomerInput(
                    name=data["name"],
                    phones=data["phones"],
                    customer_type=data["customer_type"],
                    special_care=data["special_care"],
                    notes=data["notes"],
                ),
                actor=request.user,
                premises={
                    "building": data["building"],
                    "unit_no": data["unit_no"],
                    "room_no": data["room_no"],
                    "heated_area": data["heated_area"],
                    "status": data["status"],
                    "meter_no": data["meter_no"],
                },
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Customer created."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/create.html", {"form": form})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "message_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def grade_request(request, pk: int):
    selectors.get_customer(request.user, pk, ip_address=client_ip(request))
    form = GradeRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_grade_change(
                pk, form.cleaned_data["to_grade"], form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The grade change was sent for approval."))
    else:
        messages.error(request, _("Choose a grade and give a reason."))
    return redirect("customers:detail", pk=pk)


@login_required
@permission_required("customers.approve_grade_change", raise_exception=True)
def grade_approvals(request):
    page = Paginator(selectors.pending_grade_requests(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "customers/grade_approvals.html", {"page": page})


@login_required
@require_POST
def grade_decide(request, pk: int):
    form = GradeDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_grade_change(
                pk, form.cleaned_data["approve"], form.cleaned_data["note"], actor=request.user
            )
        except (ValidationError, GradeChangeRequest.DoesNotExist) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("customers:grade_approvals")


@login_required
@permission_required("customers.import_customers", raise_exception=True)
def import_start(request):

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        # core.middleware stopped the upload at the size limit.
        form.errors["file"] = form.error_class([upload_too_large()])
    elif request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                form.cleaned_data["file"],
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                create_buildings=form.cleaned_data["create_buildings"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("customers:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).defer("report")[:10]
    limits = {
        "megabytes": megabytes(settings.IMPORT_MAX_FILE_BYTES),
        "rows": f"{settings.IMPORT_MAX_ROWS:,}",
    }
    return render(request, "customers/import.html", {"form": form, "jobs": jobs, "limits": limits})


@login_required
@permission_required("customers.import_customers", raise_exception=True)
def import_job(request, pk: int):

    job = get_object_or_404(ImportJob, pk=pk, created_by=request.user)
    template = (
        "customers/_import_progress.html"
        if request.headers.get("HX-Request")
        else "customers/import_job.html"
    )
    report = job.report or {}
    page = Paginator(report.get("rejected", []), 100).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {
            "job": job,
            "rejected_page": page,
            "not_listed": reasons_not_listed(report),
            "poll_url": reverse("customers:import_job", args=[pk]),
        },
    )
