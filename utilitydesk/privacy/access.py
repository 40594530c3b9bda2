"""Every read of personal data leaves a row in the access log (R-105, PIPL art. 51), and a
volume that looks like harvesting is throttled and reported to the service office."""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.audit.models import AccessLog
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import Position
from utilitydesk.org.selectors import everyone_holding

log = logging.getLogger("utilitydesk.privacy")

Action = AccessLog.Action


def client_ip(request: HttpRequest | Request | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _customer_ids(customers: Iterable[Model | int | None]) -> list[int]:
    seen: dict[int, None] = {}
    for customer in customers:
        pk = customer.pk if isinstance(customer, Model) else customer
        if pk is not None:
            seen.setdefault(int(pk), None)
    return list(seen)


def record_access(
    user: AnyUser | None,
    action: str,
    customers: Iterable[Model | int | None] = (),
    *,
    request: HttpRequest | Request | None = None,
    ip_address: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """One access-log row per customer shown (a page of customers is one bulk insert), or
    one row without a customer when the page shows only a caller's number or a name.
    Returns the number of rows written."""
    if user is None or not user.is_authenticated:
        return 0
    now = now or timezone.now()
    ip_address = ip_address or client_ip(request)
    detail = dict(detail or {})
    if request is not None and "page" not in detail:
        detail["page"] = request.path
    ids = _customer_ids(customers)
    rows = [
        AccessLog(
            actor=user,
            action=action,
            customer_id=pk,
            at=now,
            ip_address=ip_address,
            detail=detail,
        )
        for pk in ids
    ] or [AccessLog(actor=user, action=action, at=now, ip_address=ip_address, detail=detail)]
    AccessLog.objects.bulk_create(rows)
    _count_towards_harvest_alert(user, len(ids), now)
    return len(rows)


def _count_towards_harvest_alert(user: Actor, shown: int, now: datetime) -> None:
    """Counts customers shown to ``user`` in the current hour; past the threshold the
    service-management office is told once for that hour."""
    # The self-service pages read each household's own record under one account: its
    # volume is the number of households online, not a person harvesting.
    if not shown or getattr(user, "username", None) == settings.SELFSERVICE_ACTOR:
        return
    hour = now.strftime("%Y%m%d%H")
    key = f"privacy:shown:{user.pk}:{hour}"
    cache.add(key, 0, timeout=3700)
    try:
        total = cache.incr(key, shown)
    except ValueError:  # evicted between add and incr
        cache.set(key, shown, timeout=3700)
        total = shown
    threshold = settings.HARVEST_ALERT_CUSTOMERS_PER_HOUR
    if total - shown < threshold <= total:
        raise_harvest_alert(user, total, now)


def raise_harvest_alert(user: Actor, customers_shown: int, now: datetime) -> int:
    office = everyone_holding(Position.SERVICE_OFFICE)
    local = timezone.localtime(now)
    log.warning(
        "personal-data harvest alert: user %s saw %s customers in the hour from %s",
        user.pk,
        customers_shown,
        local.strftime("%Y-%m-%d %H:00"),
    )
    return notify_staff(
        office,
        _("Unusual volume of personal data read"),
        _(
            "%(user)s (%(username)s) has seen %(count)d customers' personal data since "
            "%(hour)s. Check the access log and ask why."
        )
        % {
            "user": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "count": customers_shown,
            "hour": local.strftime("%Y-%m-%d %H:00"),
        },
        link=f"/admin/audit/accesslog/?actor__id__exact={user.pk}",
        reference=f"privacy:harvest:{user.pk}",
        dedupe_prefix=f"privacy:harvest:{user.pk}:{local:%Y%m%d%H}",
    )


class PersonalDataThrottle(UserRateThrottle):
    """Requests per user to pages and endpoints that show personal data (settings
    API_THROTTLE_RATES["personal_data"]); web views use it through ``personal_data_view``."""

    scope = "personal_data"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)


class ShownCase(Protocol):
    """What the access log reads of a case (privacy sits below the cases app)."""

    @property
    def number(self) -> str: ...

    @property
    def customer_id(self) -> int | None: ...


def record_cases_shown(request: HttpRequest | Request, cases: Iterable[ShownCase]) -> int:
    """A page or response showing cases: one row per customer on it, with the case numbers
    (cases of callers without a customer record are in the numbers)."""
    cases = list(cases)
    if not cases:
        return 0
    return record_access(
        request.user,
        Action.CASE,
        [c.customer_id for c in cases],
        request=request,
        detail={"cases": [c.number for c in cases]},
    )


EXPORT_LOG_BATCH = 5000


def record_export(
    user: AnyUser | None,
    customers: list[int],
    *,
    ip_address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """An export names every customer in it: one access-log row each, written in batches
    (a city-wide export holds a million), or one row when it named none."""
    if not customers:
        return record_access(user, Action.EXPORT, ip_address=ip_address, detail=detail)
    written = 0
    for begin in range(0, len(customers), EXPORT_LOG_BATCH):
        written += record_access(
            user,
            Action.EXPORT,
            customers[begin : begin + EXPORT_LOG_BATCH],
            ip_address=ip_address,
            detail=detail,
        )
    return written
