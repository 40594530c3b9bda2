"""Reads of the 12345 exchange: the messages that need an agent, the orders, and the
figures per unit (signed in time, answered in time, pushed the same day)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from utilitydesk.accounts.typing import AnyUser

from .models import Link, Order, Outbound

VIEW_PERMISSION = "exchange.view_exchange"


def troubled_messages(user: AnyUser) -> QuerySet[Outbound]:
    """Failed and dead messages, oldest first (what the retry button is for)."""
    if not user.has_perm(VIEW_PERMISSION):
        return Outbound.objects.none()
    return (
        Outbound.objects.filter(state__in=[Outbound.State.FAILED, Outbound.State.DEAD])
        .select_related("order", "order__case")
        .order_by("created_at", "pk")
    )


def recent_orders(user: AnyUser, limit: int = 50) -> list[Order]:
    if not user.has_perm(VIEW_PERMISSION):
        return []
    return list(Order.objects.select_related("case", "unit").order_by("-transferred_at")[:limit])


def link_status() -> Link | None:
    return Link.objects.filter(name="12345").first()


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int | None
    unit_name: str
    orders: int
    signed: int
    signed_in_time: int
    answered: int
    answered_in_time: int
    returned: int
    urged: int
    dissatisfied: int

    @property
    def answer_due(self) -> int:
        return self.orders - self.returned


def figures(since: datetime | None = None, until: datetime | None = None) -> list[UnitFigures]:
    """Per unit, of the orders transferred in the period: how many were signed (in time:
    acknowledged by the sign limit), answered (in time: the result acknowledged by the
    answer limit, extensions included), returned, urged, judged dissatisfied."""
    orders = Order.objects.all()
    if since is not None:
        orders = orders.filter(transferred_at__gte=since)
    if until is not None:
        orders = orders.filter(transferred_at__lt=until)
    rows = (
        orders.values("unit_id", "unit__name")
        .annotate(
            total=Count("pk"),
            signed=Count("pk", filter=Q(signed_at__isnull=False)),
            signed_in_time=Count("pk", filter=Q(signed_at__lte=F("sign_due_at"))),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            answered_in_time=Count("pk", filter=Q(answered_at__lte=F("answer_due_at"))),
            returned=Count("pk", filter=Q(state=Order.State.RETURNED)),
            urged=Count("pk", filter=Q(urge_count__gt=0)),
            dissatisfied=Count("pk", filter=Q(verdict="dissatisfied")),
        )
        .order_by("unit__name")
    )
    return [
        UnitFigures(
            unit_id=row["unit_id"],
            unit_name=row["unit__name"] or "—",
            orders=row["total"],
            signed=row["signed"],
            signed_in_time=row["signed_in_time"],
            answered=row["answered"],
            answered_in_time=row["answered_in_time"],
            returned=row["returned"],
            urged=row["urged"],
            dissatisfied=row["dissatisfied"],
        )
        for row in rows
    ]


def month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
