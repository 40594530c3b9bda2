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
