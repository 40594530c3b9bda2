"""What a household sees on its pages: only the accounts its number is bound to. Every
read starts from the bindings of the signed-in number, so another household's case or
bill is simply not found (404), whatever id is typed."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, QuerySet
from django.db.models import Window as Over
from django.db.models.functions import RowNumber

from utilitydesk.accounts.names import display_name
from utilitydesk.arrears.models import HeatApplication
from utilitydesk.arrears.services import Window, application_window, current_arrears_policy
from utilitydesk.billing.models import Bill, BillStatus
from utilitydesk.billing.selectors import balances_of
from utilitydesk.cases.labels import ACTION_LABELS
from utilitydesk.cases.models import Case, CaseEvent, Status
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.knowledge import selectors as knowledge
from utilitydesk.knowledge.models import Entry
from utilitydesk.outages.interruption_selectors import active_for_premises
from utilitydesk.outages.models import Interruption
from utilitydesk.payments.models import Payment
from utilitydesk.privacy.masking import mask_phone

from .models import Binding, Photo

MY_CASES_SHOWN = 50
MAX_ID = 2**31 - 1  # the id columns' range: a longer number in a URL is simply not found
PAYMENTS_SHOWN = 20  # per account
# The steps a household is shown on its case's timeline; notes, escalations and deadline
# events are the company's own.
CUSTOMER_STEPS = {
    "registered",
    "dispatched",
    "dispatch",
    "redispatch",
    "accept",
    "assign",
    "book",
    "not_home",
    "arrive",
    "resolve",
    "record_callback",
    "close",
    "reopen",
    "cancel",
    "settle",
    "held",
    "reply",
    "contact_added",
}
# Of those, the steps whose text is written for the customer.
STEPS_WITH_TEXT = {"reply"}


def bound_customer_ids(phone: str) -> QuerySet[Binding, int]:
    return Binding.objects.filter(phone=phone).values_list("customer_id", flat=True)


def _bound_customers(phone: str) -> QuerySet[Customer]:
    return Customer.objects.filter(pk__in=bound_customer_ids(phone)).order_by("account_no")


def my_customers(phone: str) -> list[Customer]:
    """With their premises, as the home page lists them."""
    return list(_bound_customers(phone).prefetch_related("premises"))


def other_numbers(phone: str, customer_ids: list[int]) -> dict[int, list[str]]:
    """The other numbers bound to each account, masked: the household sees who else may
    read its account."""
    found: dict[int, list[str]] = {}
    for customer_id, number in (
        Binding.objects.filter(customer_id__in=customer_ids)
        .exclude(phone=phone)
        .order_by("created_at")
        .values_list("customer_id", "phone")
    ):
        found.setdefault(customer_id, []).append(mask_phone(number))
    return found


def my_premises(phone: str) -> list[Premises]:
    return list(
        Premises.objects.filter(customer_id__in=bound_customer_ids(phone))
        .select_related("customer")
        .order_by("customer__account_no", "pk")
    )


def my_cases(phone: str) -> list[Case]:
    """The bound accounts' latest cases: one query, by the (customer, status) index."""
    return list(
        Case.objects.filter(customer_id__in=bound_customer_ids(phone))
        .only("number", "kind", "status", "received_at", "address_text", "appointment_at")
        .order_by("-received_at")[:MY_CASES_SHOWN]
    )


def my_case(phone: str, number: str) -> Case | None:
    return (
        Case.objects.filter(number=number, customer_id__in=bound_customer_ids(phone))
        .select_related("assignee")
        .first()
    )


def my_photos(case: Case) -> list[Photo]:
    """The photos sent with the report (or added to the case later); ``case`` is one
    ``my_case`` found."""
    return list(Photo.objects.filter(case=case).order_by("pk"))


def my_photo(phone: str, number: str, photo_id: int) -> Photo | None:
    """One photo of a bound account's case: another household's id is not found."""
    if not 0 < photo_id <= MAX_ID:
        return None
    return (
        Photo.objects.filter(
            pk=photo_id, case__number=number, case__customer_id__in=bound_customer_ids(phone)
        )
        .select_related("case")
        .first()
    )


@dataclass
class Step:
    at: object
    label: str
    text: str = ""


def customer_timeline(case: Case) -> list[Step]:
    events = (
        CaseEvent.objects.filter(case=case, action__in=CUSTOMER_STEPS)
        .only("at", "action", "note")
        .order_by("seq")
    )
    return [
        Step(
            event.at,
            str(ACTION_LABELS.get(event.action, event.action)),
            event.note if event.action in STEPS_WITH_TEXT else "",
        )
        for event in events
    ]


def technician_of(case: Case) -> str:
    """The technician's name once the case is theirs, for the household to recognise."""
    if case.assignee is None or case.status in (Status.REGISTERED, Status.DISPATCHED):
        return ""
    return display_name(case.assignee)


@dataclass
class PremisesInterruptions:
    premises: Premises
    interruptions: list[Interruption] = field(default_factory=list)


def my_interruptions(phone: str) -> list[PremisesInterruptions]:
    premises = my_premises(phone)
    found = active_for_premises([p.pk for p in premises])
    return [PremisesInterruptions(p, found.get(p.pk, [])) for p in premises]


@dataclass
class AccountMoney:
    customer: Customer
    balance: Decimal
    overdue: Decimal
    bills: list[Bill]
    payments: list[Payment]


def my_money(phone: str) -> list[AccountMoney]:
    customers = list(_bound_customers(phone))  # the bills carry their own premises
    ids = [c.pk for c in customers]
    balances = balances_of(ids)
    bills: dict[int, list[Bill]] = {}
    for bill in (
        Bill.objects.filter(customer_id__in=ids, status=BillStatus.ISSUED)
        .select_related("premises")
        .order_by("-season", "number")
    ):
        bills.setdefault(bill.customer_id, []).append(bill)
    payments: dict[int, list[Payment]] = {}
    latest = (
        Payment.objects.filter(customer_id__in=ids)
        .annotate(
            row=Over(RowNumber(), partition_by=F("customer_id"), order_by=F("received_at").desc())
        )
        .filter(row__lte=PAYMENTS_SHOWN)
        .order_by("customer_id", "-received_at")
    )
    for payment in latest:
        payments.setdefault(payment.customer_id, []).append(payment)
    return [
        AccountMoney(
            customer,
            balances[customer.pk].balance,
            balances[customer.pk].overdue,
            bills.get(customer.pk, []),
            payments.get(customer.pk, []),
        )
        for customer in customers
    ]


def my_bill(phone: str, number: str) -> Bill | None:
    return (
        Bill.objects.filter(
            number=number, customer_id__in=bound_customer_ids(phone), status=BillStatus.ISSUED
        )
        .select_related("premises", "customer")
        .first()
    )


def my_applications(phone: str) -> list[HeatApplication]:
    return list(
        HeatApplication.objects.filter(premises__customer_id__in=bound_customer_ids(phone))
        .select_related("premises")
        .order_by("-requested_at")[:20]
    )


def heat_window(on: date) -> Window | None:
    policy = current_arrears_policy()
    return application_window(on, policy) if policy is not None else None


def faq(query: str = "") -> list[Entry]:
    if query.strip():
        return knowledge.search(query, limit=20)
    return list(Entry.objects.filter(is_active=True).order_by("kind", "-used_count", "pk")[:40])
