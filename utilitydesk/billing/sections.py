"""What billing shows on other apps' pages (registered in apps.py): the balance and overdue
amount on the customer 360 page, in the screen-pop box and on the intake screen, and the
fee complaint's section of the case page (the bill's lines, the tariff and the area used,
the correction form and the corrections awaiting approval). Every customer shown here is
written to the access log like any personal data (the screen-pop's lookup already logs the
customers it shows)."""

from typing import Any

from django.utils.translation import gettext as _

from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.models import Case, Kind
from utilitydesk.complaints.models import Category, Complaint
from utilitydesk.privacy.access import record_access

from . import corrections, selectors
from .forms import CorrectionForm, DecisionForm
from .models import BillCorrection, BillStatus


def _money(amount: Any) -> str:
    return f"{amount:,.2f}"


# --- the customer 360 page --------------------------------------------------------------------


def panel_context(request: Any, customer: Any) -> dict[str, Any]:
    if not selectors.may_view_bills(request.user):
        return {"hidden": True}
    # The 360 page logs the customer's view once for all its panels.
    return {
        "hidden": False,
        "balance": selectors.balance_for(customer),
        "bills": selectors.customer_bills(customer),
    }


# --- the screen-pop box ---------------------------------------------------------------------------


def lookup_note(balance: selectors.Balance) -> str:
    if balance.owes:
        if balance.overdue:
            return _("Owes %(amount)s yuan, %(overdue)s overdue") % {
                "amount": _money(balance.balance),
                "overdue": _money(balance.overdue),
            }
        return _("Owes %(amount)s yuan") % {"amount": _money(balance.balance)}
    if balance.credit:
        return _("%(amount)s yuan in credit") % {"amount": _money(balance.credit)}
    return _("Heating fee paid up")


def lookup_notes(user: Any, premises_ids: list[int]) -> dict[int, list[str]]:
    """One read for the whole lookup (selectors.premises_balances); the same line for each
    premises of a customer, shown once."""
    if not selectors.may_view_bills(user):
        return {}
    return {
        premises_id: [lookup_note(balance)]
        for premises_id, balance in selectors.premises_balances(premises_ids).items()
        if balance.has_entries
    }


# --- intake -------------------------------------------------------------------------------------


def intake_section(request: Any, customer: Any) -> dict[str, Any] | None:
    if customer is None or not selectors.may_view_bills(request.user):
        return None
    # The intake page logs the customer's view once for all its sections.
    bills = [b for b in selectors.customer_bills(customer, 5) if b.status == BillStatus.ISSUED]
    return {
        "billing_intake_balance": selectors.balance_for(customer),
        "billing_intake_bills": bills,
    }


def correction_context(request: Any, bills: list[Any]) -> dict[str, Any]:
    """Pending corrections of the bills with whether the reader may decide each, and the
    correction form when the reader may correct."""
    user = request.user
    pending = selectors.pending_corrections([b.pk for b in bills])
    rows = [
        {
            "correction": c,
            "may_decide": user.has_perm(selectors.CORRECT)
            and c.requested_by_id != user.pk
            and corrections.within_authority(user, c.bill.schedule_id, c.delta),
        }
        for c in pending
    ]
    return {
        "billing_pending": rows,
        "billing_may_correct": user.has_perm(selectors.CORRECT) and not pending,
        "billing_correction_form": CorrectionForm(),
        "billing_decision_form": DecisionForm(),
    }


# --- the case page --------------------------------------------------------------------------------


def is_fee_case(case: Case) -> bool:
    if case.premises_id is None:
        return False
    if case.kind == Kind.FEE:
        return True
    return (
        case.kind == Kind.COMPLAINT
        and Complaint.objects.filter(case=case, category=Category.FEE).exists()
    )


def case_section(request: Any, case: Case) -> dict[str, Any] | None:
    if (
        case.premises_id is None
        or not selectors.may_view_bills(request.user)
        or not is_fee_case(case)
    ):
        return None
    bill = selectors.current_bill(case.premises_id)
    customer_id = bill.customer_id if bill else case.customer_id
    record_access(
        request.user,
        AccessLog.Action.VIEW,
        [customer_id],
        request=request,
        detail={"bill": bill.number if bill else "", "case": case.number},
    )
    balance = selectors.balances_of([customer_id])[customer_id] if customer_id else None
    context: dict[str, Any] = {
        "billing_bill": bill,
        "billing_balance": balance,
        "billing_case_corrections": list(
            BillCorrection.objects.filter(case_number=case.number)
            .select_related("bill", "new_bill", "decided_by")
            .order_by("requested_at")
        ),
    }
    if bill is not None:
        context.update(correction_context(request, [bill]))
    return context
