"""The failed-delivery list: customer texts and WeChat messages that did not arrive, as
the agent working through them may see them (phones masked through privacy)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from utilitydesk.customers.selectors import visible_customers
from utilitydesk.notifications.delivery import NO_ANSWER, NO_TEMPLATE
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import WORK_FAILED, failed_customer_messages
from utilitydesk.notifications.tencent import NOT_A_MOBILE
from utilitydesk.privacy.masking import phone_for

OPEN, PHONED, ALL = "open", "phoned", "all"
STATES = {
    OPEN: _("To handle"),
    PHONED: _("Reached by phone"),
    ALL: _("All failed"),
}

# What a failure code means for the agent (others are shown as the provider gave them).
REASONS = {
    NOT_A_MOBILE: _("Not a mobile number"),
    "FailedOperation.PhoneNumberInBlacklist": _("The customer refuses texts (do-not-disturb list)"),
    "LimitExceeded.PhoneNumberDailyLimit": _("Daily limit of texts to this number reached"),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": _("Same text already sent today"),
    NO_ANSWER: _("Outcome unknown: the text may have been sent"),
    NO_TEMPLATE: _("The notice template has no provider template id"),
    "DELIVRD": _("Delivered"),
}


def may_work_failed(user: Any) -> bool:
    return bool(user and user.has_perm(WORK_FAILED))


def failed_notices(user: Any, *, reference: str = "", state: str = OPEN) -> QuerySet[Message]:
    """Failed customer messages, newest first; ``state``: open (not yet reached by phone),
    phoned, or all."""
    if not may_work_failed(user):
        return Message.objects.none()
    query = failed_customer_messages()
    if reference:
        query = query.filter(reference=reference)
    if state == OPEN:
        query = query.exclude(handling=Message.Handling.REACHED_BY_PHONE)
    elif state == PHONED:
        query = query.filter(handling=Message.Handling.REACHED_BY_PHONE)
    return query.select_related("handled_by").order_by("-created_at", "-id")


@dataclass(frozen=True)
class FailedRow:
    message: Message
    phone: str
    customer_id: int | None
    customer_name: str
    reason: str


def rows_for(user: Any, messages: list[Message]) -> list[FailedRow]:
    """One row per message: the phone as ``user`` may see it, the customer's name when the
    user may see the customer, the failure in words."""
    ids = {m.customer_id for m in messages if m.customer_id}
    names = dict(visible_customers(user).filter(pk__in=ids).values_list("pk", "name"))
    return [
        FailedRow(
            message=m,
            phone=phone_for(user, m.address),
            customer_id=m.customer_id if m.customer_id in names else None,
            customer_name=names.get(m.customer_id or 0, ""),
            reason=str(REASONS.get(m.error_code, "")) or m.error[:120],
        )
        for m in messages
    ]
