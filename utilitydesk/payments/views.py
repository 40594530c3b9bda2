"""The billing clerk's pages (docs/billing.md): the counter (find the account, its bills and
balance, take a payment, print the receipt), reversals and refunds, bank file imports with
their report, the reconciliation with its issues, the month's statistics with the Excel
export. Every customer shown is access-logged."""

import io
import uuid
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from utilitydesk.customers.models import Premises
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import bankfiles, reconciliation, selectors, services
from .forms import (
    AccountForm,
    BankFileForm,
    CounterPaymentForm,
    IssueFilterForm,
    ReasonForm,
    ReconcileForm,
    ResolveForm,
    StatisticsForm,
)
from .models import BankFileImport, IssueStatus, PaymentKind, PaymentStatus
from .receipt import capitals, receipt_fields, render_receipt


def _messages_of(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(m for ms in error.message_dict.values() for m in ms)
    return " ".join(error.messages)


@login_required
@permission_required("payments.take_payment", raise_exception=True)
@personal_data_view
def counter(request):
    """Find the account; show its bills, balance and payments; take a payment."""
    search = AccountForm(request.GET or None)
    customer = None
    if search.is_valid():
        customer = selectors.counter_customer(request.user, search.cleaned_data["account"])
        if customer is None:
            messages.error(request, _("No customer with this account number."))
    context = {"search": search, "customer": customer}
    if customer is not None:
        premises = list(Premises.objects.filter(customer=customer).order_by("pk"))
        form = CounterPaymentForm(
            request.POST or None,
            premises=premises,
            initial={"key": uuid.uuid4().hex},
        )
        if request.method == "POST" and form.is_valid():
            try:
                payment = services.take_counter_payment(
                    customer.pk,
                    form.cleaned_data["amount"],
                    form.cleaned_data["channel"],
                    form.cleaned_data["premises"] or None,
                    form.cleaned_data["key"],
                    actor=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    target = field if field in form.fields else None
                    for message in errors:
                        form.add_error(target, message)
            else:
                messages.success(
                    request,
                    _("Payment %(n)s taken: %(a)s yuan.")
                    % {"n": payment.number, "a": payment.amount},
                )
                return redirect("payments:receipt", number=payment.number)
        account = selectors.account_of(customer)
        record_access(request.user, Action.VIEW, [customer], request=request)
        context.update({"form": form, "account": account, "premises": premises})
    return render(request, "payments/counter.html", context)


def _visible_payment(request, number: str):
    payment = selectors.visible_payment(request.user, number)
    if payment is None:
        raise Http404
    return payment


@login_required
@permission_required("payments.view_payment", raise_exception=True)
@personal_data_view
def receipt(request, number: str):
    """The receipt's print view, with reversal and refund for those who may."""
    payment = _visible_payment(request, number)
    record_access(request.user, Action.PRINT, [payment.customer_id], request=request)
    may_correct = (
        request.user.has_perm("payments.reverse_payment")
        and payment.kind == PaymentKind.PAYMENT
        and payment.status == PaymentStatus.RECEIVED
    )
    return render(
        request,
        "payments/receipt.html",
        {
            "payment": payment,
            "fields": receipt_fields(payment),
            "capitals": capitals(payment.amount),
            "corrections": payment.corrections.order_by("received_at"),
            "may_correct": may_correct,
            "refund_key": uuid.uuid4().hex,
        },
    )


@login_required
@permission_required("payments.view_payment", raise_exception=True)
@personal_data_view
def receipt_pdf(request, number: str):
    payment = _visible_payment(request, number)
    record_access(
        request.user, Action.PRINT, [payment.customer_id], request=request, detail={"pdf": number}
    )
    response = HttpResponse(render_receipt(payment), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="receipt-{payment.receipt_no or number}.pdf"'
    )
    return response


@login_required
@permission_required("payments.reverse_payment", raise_exception=True)
@require_POST
def correct(request, number: str, action: str):
    """Reverse a payment, or refund part or all of it (rows of their own)."""
    payment = _visible_payment(request, number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect("payments:receipt", number=payment.number)
    try:
        if action == "reverse":
            row = services.reverse_payment(
                payment.number, form.cleaned_data["reason"], actor=request.user
            )
            messages.success(request, _("Payment reversed: %(n)s.") % {"n": row.number})
        elif action == "refund":
            row = services.refund(
                payment.number,
                form.cleaned_data["amount"],
                form.cleaned_data["reason"],
                form.cleaned_data["key"],
                actor=request.user,
            )
            messages.success(
                request, _("Refund %(n)s: %(a)s yuan.") % {"n": row.number, "a": row.amount}
            )
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    except PermissionDenied:
        messages.error(request, _("You are not allowed to do this."))
    return redirect("payments:receipt", number=payment.number)


@login_required
@permission_required("payments.import_bank_file", raise_exception=True)
def bank_files(request):
    form = BankFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = bankfiles.import_bank_file(
                form.cleaned_data["layout"].code,
                upload.name,
                upload.read(),
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, _messages_of(error))
        else:
            return redirect("payments:bank_file", pk=record.pk)
    return render(
        request,
        "payments/bank_files.html",
        {"form": form, "imports": selectors.recent_imports()},
    )


@login_required
@permission_required("payments.import_bank_file", raise_exception=True)
def bank_file(request, pk: int):
    record = get_object_or_404(
        BankFileImport.objects.select_related("layout", "imported_by"), pk=pk
    )
    return render(request, "payments/bank_file.html", {"record": record})


def _month(raw: str) -> date | None:
    try:
        year, month = raw.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


@login_required
@permission_required("payments.reconcile", raise_exception=True)
def reconcile(request):
    run_form = ReconcileForm(request.POST or None)
    if request.method == "POST" and run_form.is_valid():
        day = run_form.cleaned_data["day"]
        month = _month(run_form.cleaned_data["month"] or "")
        try:
            if day is not None:
                run = reconciliation.reconcile(day, actor=request.user)
            elif month is not None:
                run = reconciliation.reconcile_month(month, actor=request.user)
            else:
                raise ValidationError({"day": [_("Choose a day or a month.")]})
        except ValidationError as error:
            messages.error(request, _messages_of(error))
        else:
            messages.success(
                request,
                _("Reconciled: receipts %(r)s, money %(m)s, ledger %(l)s; %(n)s mismatches.")
                % {
                    "r": run.receipts_total,
                    "m": run.money_total,
                    "l": run.ledger_total,
                    "n": run.issues_found,
                },
            )
            return redirect(reverse("payments:reconcile"))
    filters = IssueFilterForm(request.GET or {"status": IssueStatus.OPEN})
    status = filters.cleaned_data["status"] if filters.is_valid() else IssueStatus.OPEN
    return render(
        request,
        "payments/reconcile.html",
        {
            "run_form": run_form,
            "filters": filters,
            "issues": selectors.issues(status)[:500],
            "runs": selectors.last_runs(),
            "resolve_form": ResolveForm(),
        },
    )


@login_required
@permission_required("payments.reconcile", raise_exception=True)
@require_POST
def resolve(request, pk: int):
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the mismatch was resolved."))
    else:
        try:
            reconciliation.resolve_issue(pk, form.cleaned_data["note"], actor=request.user)
        except ValidationError as error:
            messages.error(request, _messages_of(error))
        else:
            messages.success(request, _("Issue resolved."))
    return redirect("payments:reconcile")


@login_required
@permission_required("payments.view_payment_statistics", raise_exception=True)
def statistics(request):
    today = timezone.localdate()
    form = StatisticsForm(request.GET or {"month": today.strftime("%Y-%m"), "by": "station"})
    rows = []
    month = None
    by = "station"
    if form.is_valid():
        month = _month(form.cleaned_data["month"])
        by = form.cleaned_data["by"]
        if month is None:
            form.add_error("month", _("Enter a month as YYYY-MM."))
        else:
            rows = selectors.monthly_statistics(request.user, month, by)
    if month is not None and request.GET.get("format") == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Statistics"))
        label = dict(form.fields["by"].choices)[by]
        append_row(sheet, [str(label), _("Billed"), _("Paid"), _("Outstanding")])
        for row in rows:
            append_row(sheet, [row.label, row.billed, row.paid, row.outstanding])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="payments-{month:%Y-%m}-{by}.xlsx"'
        return response
    totals = {
        "billed": sum((r.billed for r in rows), 0),
        "paid": sum((r.paid for r in rows), 0),
        "outstanding": sum((r.outstanding for r in rows), 0),
    }
    return render(
        request,
        "payments/statistics.html",
        {"form": form, "rows": rows, "totals": totals, "query": request.GET.urlencode()},
    )
