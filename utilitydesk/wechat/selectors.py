"""The WeChat messages agents answer."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min

from utilitydesk.accounts.typing import Actor

from .models import Follower, InboundMessage

ANSWER_PERMISSION = "cases.add_contact"


@dataclass
class Conversation:
    follower: Follower
    messages: list[InboundMessage] = field(default_factory=list)

    @property
    def waiting_since(self) -> datetime:
        return self.messages[0].received_at


def waiting(user: Actor, *, limit: int = 50) -> list[Conversation]:
    """Followers with texts nobody answered yet, the longest waiting first, each with its
    waiting texts; empty for a person who may not record contacts."""
    if not user.has_perm(ANSWER_PERMISSION):
        return []
    unanswered = InboundMessage.objects.filter(
        type=InboundMessage.Type.TEXT, answered_at__isnull=True
    )
    firsts = (
        unanswered.values("follower_id")
        .annotate(first=Min("received_at"))
        .order_by("first")[:limit]
    )
    order = [row["follower_id"] for row in firsts]
    followers = Follower.objects.select_related("customer").in_bulk(order)
    conversations = {pk: Conversation(followers[pk]) for pk in order}
    for message in unanswered.filter(follower_id__in=order).order_by("received_at"):
        conversations[message.follower_id].messages.append(message)
    return [conversations[pk] for pk in order]


def linked_followers(phone: str, customer_ids: list[int]) -> list[Follower]:
    """The followers linked to the household signed in with ``phone`` (each with the ones of
    ``customer_ids``, the accounts the number has bound now, it is told about)."""
    if not phone:
        return []
    followers = list(Follower.objects.filter(phone=phone).order_by("linked_at"))
    told = set(
        Follower.customers.through.objects.filter(
            follower_id__in=[f.pk for f in followers], customer_id__in=customer_ids
        ).values_list("follower_id", flat=True)
    )
    return [f for f in followers if f.pk in told]


def openids_for(customer_ids: list[int]) -> list[tuple[int, str]]:
    """(customer id, openid) of the followers linked to these customers and still following:
    the addresses of WeChat notices to them (``notifications.queue_customer_notices``)."""
    through = Follower.customers.through
    return list(
        through.objects.filter(customer_id__in=customer_ids, follower__subscribed=True)
        .order_by("customer_id", "follower_id")
        .values_list("customer_id", "follower__openid")
    )
