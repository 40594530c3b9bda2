"""Arrears pages (R-803, R-805): the list per station with filters, the total of the
filtered rows and the Excel export; an account's path (steps asked, approved, rejected,
carried out) and its 催缴通知书; stop / resume heat applications (报停 / 复热). Every
customer shown is access-logged."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.privacy.access import Action, client_ip, record_access
from utilitydesk.privacy.web import personal_data_view

from . import export, pdf, selectors, services
from .forms import ApplicationForm, ArrearsFilterForm, StepForm
from .models import ActionStatus, ApplicationStatus, HeatApplication, PathStep

PAGE_SIZE = 50


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("You are not allowed to do this.")


def _filters(form: ArrearsFilterForm) -> selectors.Filters:
    if not form.is_valid():
        return selectors.Filters()
    data = form.cleaned_data
    return selectors.Filters(
        season=data["season"],
        station_id=data["station"],
        district_id=data["district"],
        customer_type=data["customer_type"],
        min_amount=data["min_amount"],
        max_amount=data["max_amount"],
        step=data["step"],
        min_days=data["min_days"],
    )


@login_required
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@personal_data_view
def arrears_list(request):
    form = ArrearsFilterForm(
        request.GET or None,
        stations=selectors.list_stations(request.user),
        districts=selectors.list_districts(),
    )
    filters = _filters(form)
    rows = selectors.arrears_rows(request.user, filters)
    if request.GET.get("format") == "xlsx":
        stream = io.BytesIO()
        try:
            export.export_arrears(
                request.user,
                rows,
                stream,
                ip_address=client_ip(request),
                detail={"filters": request.GET.urlencode()[:500]},
            )
        except export.ExportTooLarge as exc:
            messages.error(request, str(exc))
            return redirect("arrears:list")
        response = HttpResponse(
            stream.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="arrears-{stamp}.xlsx"'
        return response
    count, total = selectors.totals(rows)
    page = Paginator(
        selectors.CountedRows(selectors.with_details(rows), count), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    record_access(request.user, Action.LIST, [r.customer_id for r in page], request=request)
    query = request.GET.copy()
    query.pop("page", None)
    export_query = query.copy()
    export_query["format"] = "xlsx"
    return render(
        request,
        "arrears/list.html",
        {
            "filter_form": form,
            "page": page,
            "count": count,
            "total": total,
            "query": query.urlencode(),
            "export_query": export_query.urlencode(),
            "may_export": request.user.has_perm(selectors.EXPORT_PERMISSION),
        },
    )


def _record_or_404(request, pk):
    record = selectors.record_for(request.user, pk)
    if record is None:
        raise Http404
    return record


@login_required
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@personal_data_view
def record_detail(request, pk):
    record = _record_or_404(request, pk)
    now = timezone.now()
    actions = selectors.actions_of(record)
    rows = [
        {
            "action": action,
            "approver": services.position_label(action.approver_position),
            "may_decide": action.status == ActionStatus.PENDING
            and services.may_approve(action, request.user),
            "may_carry_out": action.status == ActionStatus.APPROVED
            and action.step in ("limit", "stop")
            and not action.work_order
            and request.user.has_perm(services.WORK_PERMISSION),
        }
        for action in actions
    ]
    steps = [
        {
            "step": step,
            "approver": services.position_label(step.approver_position),
            "problems": services.step_problems(record, step, now),
        }
        for step in PathStep.objects.filter(policy_id=record.policy_id).order_by("order")
    ]
    record_access(request.user, Action.VIEW, [record.customer_id], request=request)
    return render(
        request,
        "arrears/detail.html",
        {
            "record": record,
            "rows": rows,
            "steps": steps,
            "step_form": StepForm(),
            "may_work": request.user.has_perm(services.WORK_PERMISSION),
        },
    )


@login_required
@require_POST
@permission_required(services.WORK_PERMISSION, raise_exception=True)
def request_step(request, pk):
    record = _record_or_404(request, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a step."))
        return redirect("arrears:detail", pk=record.pk)
    try:
        action = services.request_step(
            record.pk, form.cleaned_data["step"], form.cleaned_data["note"], actor=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        if action.status == ActionStatus.APPROVED:
            messages.success(request, _("Step recorded."))
        else:
            messages.success(request, _("Step recorded: it awaits approval."))
    return redirect("arrears:detail", pk=record.pk)


@login_required
@require_POST
@permission_required(services.WORK_PERMISSION, raise_exception=True)
def decide_step(request, pk, action_pk):
    record = _record_or_404(request, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_step(
            action_pk, approve, request.POST.get("note", "")[:2000], actor=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect("arrears:detail", pk=record.pk)


@login_required
@require_POST
@permission_required(services.WORK_PERMISSION, raise_exception=True)
def carry_out(request, pk, action_pk):
    record = _record_or_404(request, pk)
    try:
        action = services.carry_out(action_pk, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("Work order %(n)s sent to the station.") % {"n": action.work_order}
        )
    return redirect("arrears:detail", pk=record.pk)


@login_required
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@personal_data_view
def letter(request, pk):
    record = _record_or_404(request, pk)
    record_access(request.user, Action.PRINT, [record.customer_id], request=request)
    response = HttpResponse(pdf.render_letter(record), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="cuijiao-{record.customer.account_no}-{record.season}.pdf"'
    )
    return response


@login_required
@permission_required(services.APPLICATION_PERMISSION, raise_exception=True)
@personal_data_view
def applications(request):
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        premises = Premises.objects.filter(
            customer__account_no=data["account_no"].strip(),
            customer__in=visible_customers(request.user),
        ).exclude(status=SupplyStatus.CLOSED)
        if data["premises"]:
            premises = premises.filter(pk=data["premises"])
        found = list(premises[:2])
        if not found:
            form.add_error("account_no", _("No home found for this account number."))
        elif len(found) > 1:
            form.add_error(
                "premises", _("The account has several homes: give the premises number.")
            )
        else:
            try:
                application = services.apply_for_heat(
                    found[0].pk, data["kind"], data["note"], actor=request.user
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(
                    request,
                    _("Application recorded: work order %(n)s sent to the station.")
                    % {"n": application.work_order},
                )
                return redirect("arrears:applications")
    window = services.application_window(timezone.localdate())
    recent = list(
        HeatApplication.objects.filter(premises__customer__in=visible_customers(request.user))
        .select_related("premises", "requested_by")
        .order_by("-requested_at")[:PAGE_SIZE]
    )
    record_access(
        request.user, Action.LIST, [a.premises.customer_id for a in recent], request=request
    )
    return render(
        request,
        "arrears/applications.html",
        {
            "form": form,
            "window": window,
            "window_open": window.is_open(timezone.localdate()),
            "recent": recent,
            "may_reissue": request.user.has_perm("billing.correct_bill"),
            "done": ApplicationStatus.DONE,
        },
    )


@login_required
@require_POST
@permission_required("billing.correct_bill", raise_exception=True)
def reissue(request, pk):
    try:
        application = services.reissue_bill(pk, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, application.bill_note)
    return redirect("arrears:applications")
