"""Billing pages (docs/billing.md, "Pages, notices and interfaces"): season runs with their
progress, bills and their detail, the payment notice PDF, meter-reading imports, and the
correction forms the fee complaint's case page posts to. Thin: reads through
`selectors`, writes through `services`, `corrections`, `notices` and `meter_import`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.audit.models import AccessLog
from utilitydesk.kernel.background import enqueue
from utilitydesk.policy.services import current_policy
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.web import personal_data_view
from utilitydesk.temperature.method import season_of

from . import corrections, meter_import, notices, selectors, services
from .forms import BillFilterForm, CorrectionForm, DecisionForm, MeterImportForm, RunForm
from .models import BillCorrection, BillRun
from .sections import correction_context
from .tasks import generate_bills_task, send_payment_notices_task

MAX_UPLOAD = 20 * 1024 * 1024


def current_season() -> int:
    policy = current_policy()
    return season_of(timezone.now(), policy.season_start if policy else "11-15")


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- season runs ------------------------------------------------------------------------------


@login_required
@permission_required(selectors.GENERATE, raise_exception=True)
def runs(request):
    form = RunForm(request.POST or None, initial={"season": current_season()})
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_run(form.cleaned_data["season"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            transaction.on_commit(lambda: enqueue(generate_bills_task, run.pk))
            return redirect("billing:run", pk=run.pk)
    return render(
        request,
        "billing/runs.html",
        {"form": form, "runs": selectors.recent_runs(), "season": current_season()},
    )


@login_required
@permission_required(selectors.GENERATE, raise_exception=True)
def run_detail(request, pk: int):
    run = get_object_or_404(BillRun.objects.select_related("started_by", "schedule"), pk=pk)
    labels = selectors.premises_labels([s["premises"] for s in run.skipped])
    skipped = [
        {"premises": s["premises"], "label": labels.get(s["premises"], ""), "reason": s["reason"]}
        for s in run.skipped
    ]
    percent = round(100 * run.done_premises / run.total_premises) if run.total_premises else 0
    template = (
        "billing/_run_progress.html" if request.headers.get("HX-Request") else "billing/run.html"
    )
    return render(
        request,
        template,
        {
            "run": run,
            "percent": 100 if run.state == BillRun.State.DONE else percent,
            "skipped": skipped,
            "poll_url": reverse("billing:run", args=[pk]),
        },
    )


@login_required
@permission_required(selectors.GENERATE, raise_exception=True)
@require_POST
def send_notices(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the heating season."))
        return redirect("billing:runs")
    season = form.cleaned_data["season"]
    transaction.on_commit(lambda: enqueue(send_payment_notices_task, season))
    messages.success(
        request,
        _("The payment notices of season %(season)s are being queued, one text per bill.")
        % {"season": season},
    )
    return redirect("billing:runs")


# --- bills --------------------------------------------------------------------------------


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
@personal_data_view
def bill_list(request):
    form = BillFilterForm(request.GET or None)
    filters = selectors.BillFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.BillFilters(
            season=data["season"],
            station=data["station"].pk if data["station"] else None,
            status=data["status"],
            account=data["account"].strip(),
        )
    page = Paginator(selectors.search_bills(request.user, filters), 25).get_page(
        request.GET.get("page")
    )
    record_access(
        request.user,
        AccessLog.Action.LIST,
        [bill.customer_id for bill in page.object_list],
        request=request,
        detail={"bills": len(page.object_list)},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "billing/bill_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
@personal_data_view
def bill_detail(request, number: str):
    detail = selectors.bill_detail(request.user, number)
    if detail is None:
        raise Http404
    bill = detail.bill
    record_access(
        request.user,
        AccessLog.Action.VIEW,
        [bill.customer_id],
        request=request,
        detail={"bill": bill.number},
    )
    return render(
        request,
        "billing/bill_detail.html",
        {
            "detail": detail,
            "bill": bill,
            "balance": selectors.balance_for(bill.customer),
            **correction_context(request, [bill]),
        },
    )


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
@personal_data_view
def bill_notice(request, number: str):
    detail = selectors.bill_detail(request.user, number)
    if detail is None:
        raise Http404
    pdf = notices.render_notice(detail.bill, request.user, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{detail.bill.number}.pdf"'
    return response


# --- corrections -----------------------------------------------------------------------------


@login_required
@permission_required(selectors.CORRECT, raise_exception=True)
@require_POST
def correction_request(request, number: str):
    form = CorrectionForm(request.POST)
    fallback = reverse("billing:bill", args=[number])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_back(request, fallback))
    data = form.cleaned_data
    try:
        correction = corrections.request_correction(
            number,
            area_m2=data["area_m2"],
            adjustment=data["adjustment"] or "0",
            reason=data["reason"],
            case_number=request.POST.get("case", "")[:20],
            actor=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect(_back(request, fallback))
    if correction.new_bill is not None:
        messages.success(
            request,
            _("The bill is corrected: new bill %(number)s, total %(total)s yuan.")
            % {"number": correction.new_bill.number, "total": correction.new_total},
        )
    else:
        messages.success(
            request,
            _(
                "A change of %(amount)s yuan is beyond your authority: the correction awaits approval."
            )
            % {"amount": correction.delta},
        )
    return redirect(_back(request, fallback))


@login_required
@permission_required(selectors.CORRECT, raise_exception=True)
@require_POST
def correction_decide(request, pk: int):
    correction = get_object_or_404(BillCorrection.objects.select_related("bill"), pk=pk)
    if selectors.bill_detail(request.user, correction.bill.number) is None:
        raise Http404
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    fallback = reverse("billing:bill", args=[correction.bill.number])
    try:
        decided = corrections.decide_correction(
            pk, approve, form.cleaned_data.get("note", ""), actor=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect(_back(request, fallback))
    if approve:
        messages.success(
            request,
            _("Correction approved: new bill %(number)s, total %(total)s yuan.")
            % {
                "number": decided.new_bill.number if decided.new_bill else "",
                "total": decided.new_total,
            },
        )
    else:
        messages.success(request, _("Correction rejected."))
    return redirect(_back(request, fallback))


# --- meter readings -----------------------------------------------------------------------------


@login_required
@permission_required(selectors.IMPORT_READINGS, raise_exception=True)
def readings_import(request):
    form = MeterImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            try:
                report = meter_import.import_readings(
                    upload.read(), actor=request.user, source=upload.name
                )
            except ValidationError as exc:
                form.add_error("file", _errors(exc))
    rejected = report.rejected[:500] if report else []
    return render(
        request,
        "billing/readings_import.html",
        {"form": form, "report": report, "rejected": rejected},
    )
