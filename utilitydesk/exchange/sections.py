"""The 12345 orders a case carries, on the case page."""

from typing import Any

from django.http import HttpRequest

from utilitydesk.cases.models import Case, Channel

from .models import Order


def case_section(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    if case.channel != Channel.GOV_12345 and not Order.objects.filter(case=case).exists():
        return None
    orders = list(Order.objects.filter(case=case).select_related("unit").order_by("pk"))
    return {"gov_orders": orders} if orders else None
