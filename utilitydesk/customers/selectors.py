"""Reads of customer data, already limited to what the user may see and masked for them."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.audit.models import AccessLog, ChangeRecord
from utilitydesk.audit.selectors import history_of
from utilitydesk.org.selectors import station_scope
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.masking import can_see_full_phone, may_search_by_phone, phone_for, text_for

from . import phones as phone_numbers
from .models import Customer, CustomerPhone, EntryError, GradeChangeRequest, Premises
from .panels import lookup_notes

ACCOUNT_NO = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def can_export(user: AnyUser) -> bool:
    return user.has_perm("customers.export_customers")


def shown_phone(user: AnyUser, number: str) -> str:
    return phone_for(user, number)


__all__ = ["can_see_full_phone", "shown_phone"]


def visible_customers(user: AnyUser) -> QuerySet[Customer]:
    if not user.has_perm("customers.view_customer"):
        return Customer.objects.none()
    scope = station_scope(user)
    queryset = Customer.objects.all()
    if scope is not None:
        in_scope = Premises.objects.filter(customer=OuterRef("pk"), station_id__in=scope)
        queryset = queryset.filter(Exists(in_scope))
    return queryset


@dataclass
class CustomerFilters:
    q: str = ""
    station: int | None = None
    grade: str = ""
    customer_type: str = ""
    special_care_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


def _match_text(q: str, *, by_phone: bool = True) -> Q:
    q = q.strip()
    digits = phone_numbers.normalize(q)
    condition = Q(account_no=q) | Q(name=q)
    if by_phone and digits and len(digits) >= 7 and digits == re.sub(r"[\s-]", "", q).lstrip("+"):
        phone_match = CustomerPhone.objects.filter(customer=OuterRef("pk"), number=digits)
        condition = cast(Q, condition | Exists(phone_match))
    if len(q) >= 2 and not q.isdigit():
        address_match = Premises.objects.filter(customer=OuterRef("pk"), address_text__contains=q)
        condition = cast(Q, condition | Exists(address_match))
    return condition


def search_customers(user: AnyUser, filters: CustomerFilters) -> QuerySet[Customer]:
    queryset = visible_customers(user)
    if filters.q:
        queryset = queryset.filter(_match_text(filters.q, by_phone=may_search_by_phone(user)))
    if filters.station:
        queryset = queryset.filter(
            Exists(Premises.objects.filter(customer=OuterRef("pk"), station_id=filters.station))
        )
    if filters.grade:
        queryset = queryset.filter(grade=filters.grade)
    if filters.customer_type:
        queryset = queryset.filter(customer_type=filters.customer_type)
    if filters.special_care_only:
        queryset = queryset.exclude(special_care="")
    return queryset.prefetch_related(
        "phones",
        Prefetch(
            "premises",
            queryset=Premises.objects.select_related(
                "station", "building__grid", "building__substation"
            ),
        ),
    ).order_by("account_no")


def lookup_customers(
    user: AnyUser,
    *,
    phone: str = "",
    account_no: str = "",
    address: str = "",
    q: str = "",
    limit: int = 10,
    ip_address: str | None = None,
) -> list[dict[str, Any]]:
    """The screen-pop: who is calling? A compact summary of at most ``limit`` customers.

    The lookup is personal-data access, so it is logged for every customer shown.
    """
    queryset = visible_customers(user)
    if phone and not may_search_by_phone(user):
        return []
    if phone:
        number = phone_numbers.normalize(phone)
        queryset = queryset.filter(
            Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), number=number))
        )
    if account_no:
        queryset = queryset.filter(account_no=account_no.strip())
    if address:
        queryset = queryset.filter(
            Exists(Premises.objects.filter(customer=OuterRef("pk"), address_text__contains=address))
        )
    if q:
        queryset = queryset.filter(_match_text(q, by_phone=may_search_by_phone(user)))
    if not (phone or account_no or address or q):
        return []
    customers = list(
        queryset.prefetch_related(
            "phones",
            Prefetch(
                "premises",
                queryset=Premises.objects.select_related(
                    "station", "building__grid", "building__substation"
                ),
            ),
        ).order_by("account_no")[:limit]
    )
    if customers:
        record_access(
            user,
            AccessLog.Action.LOOKUP,
            customers,
            ip_address=ip_address,
            detail={
                k: v
                for k, v in {
                    "phone": phone,
                    "account_no": account_no,
                    "address": address,
                    "q": q,
                }.items()
                if v
            },
        )
    notes = lookup_notes(user, [p.pk for c in customers for p in c.premises.all()])
    summaries = []
    for customer in customers:
        summary = customer_summary(user, customer)
        summary["notes"] = list(
            dict.fromkeys(line for p in customer.premises.all() for line in notes.get(p.pk, []))
        )
        summaries.append(summary)
    return summaries


def customer_summary(user: AnyUser, customer: Customer) -> dict[str, Any]:
    premises = list(customer.premises.all())
    first = premises[0] if premises else None
    return {
        "id": customer.pk,
        "account_no": customer.account_no,
        "name": customer.name,
        "phones": [shown_phone(user, p.number) for p in customer.phones.all()],
        "customer_type": customer.customer_type,
        "grade": customer.grade,
        "special_care": customer.special_care,
        "address": first.address_text if first else "",
        "station": first.station.name if first and first.station else "",
        "grid": first.building.grid.name if first and first.building.grid else "",
        "substation": first.building.substation.name if first and first.building.substation else "",
        "supply_status": first.status if first else "",
        "premises_count": len(premises),
    }


def get_customer(user: AnyUser, customer_id: int, ip_address: str | None = None) -> Customer:
    """One customer with everything the 360 page shows; the view is logged (R-105)."""
    customer = (
        visible_customers(user)
        .prefetch_related(
            "phones",
            Prefetch(
                "premises",
                queryset=Premises.objects.select_related(
                    "station",
                    "building__community__district",
                    "building__substation",
                    "building__grid__responsible",
                ),
            ),
        )
        .select_related("created_by", "updated_by")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise PermissionDenied(_("This customer does not exist or is outside your area."))
    record_access(user, AccessLog.Action.VIEW, [customer], ip_address=ip_address)
    return customer


def customer_history(
    user: AnyUser, customer: Customer, premises: list[Premises], limit: int = 50
) -> list[ChangeRecord]:
    """The change history of a customer and their premises, phone numbers masked in old and
    new values for people who may not see them in full."""

    records = list(history_of(customer, *premises)[:limit])
    for record in records:
        record.old_shown = text_for(user, record.old_display)  # type: ignore[attr-defined]  # display-only
        record.new_shown = text_for(user, record.new_display)  # type: ignore[attr-defined]  # display-only
    return records


def pending_grade_requests(user: AnyUser) -> QuerySet[GradeChangeRequest]:
    if not user.has_perm("customers.approve_grade_change"):
        return GradeChangeRequest.objects.none()
    return GradeChangeRequest.objects.filter(
        status=GradeChangeRequest.Status.PENDING,
        customer__in=visible_customers(user),
    ).select_related("customer", "requested_by")


def entry_error_counts(since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Entry errors per clerk and kind in [since, until) for the monthly assessment (R-104)."""

    rows = (
        EntryError.objects.filter(noted_at__gte=since, noted_at__lt=until)
        .values("clerk_id", "clerk__username", "kind")
        .annotate(errors=Count("id"))
        .order_by("clerk__username", "kind")
    )
    return cast("list[dict[str, Any]]", list(rows))
