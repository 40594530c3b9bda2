from typing import Any

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat

from utilitydesk.accounts.typing import AnyUser

from .models import Channel, Message

# A message about nothing in particular is a group of its own.
SINGLE = "message:"


def inbox(user: AnyUser) -> QuerySet[Message]:
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def unread_count(user: AnyUser) -> int:
    """Unread messages still standing (a withdrawn notice no longer asks for attention)."""
    return inbox(user).filter(read_at__isnull=True, obsolete_at__isnull=True).count()


def inbox_groups(user: AnyUser) -> "QuerySet[Any, Any]":
    """The inbox by subject (a case, a fault …), newest first: one row per group with how
    many messages it has, how many are unread and how many still stand."""
    group = Case(
        When(reference="", then=Concat(Value(SINGLE), Cast("id", CharField()))),
        default=F("reference"),
        output_field=CharField(),
    )
    standing = Q(obsolete_at__isnull=True)
    return (
        inbox(user)
        .order_by()
        .annotate(group=group)
        .values("group")
        .annotate(
            latest=Max("created_at"),
            last_id=Max("id"),
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True) & standing),
            standing=Count("id", filter=standing),
        )
        .order_by("-latest", "-last_id")
    )


def messages_of(user: AnyUser, groups: list[str]) -> dict[str, list[Message]]:
    """The messages of some groups (a page of ``inbox_groups``), newest first."""
    references = [g for g in groups if not g.startswith(SINGLE)]
    ids = [int(g[len(SINGLE) :]) for g in groups if g.startswith(SINGLE)]
    found: dict[str, list[Message]] = {g: [] for g in groups}
    for message in inbox(user).filter(Q(reference__in=references) | Q(pk__in=ids)):
        key = message.reference or f"{SINGLE}{message.pk}"
        found[key].append(message)
    return found


def group_ids(user: AnyUser, group: str) -> list[int]:
    """The messages of one group the user may mark as read."""
    if group.startswith(SINGLE):
        pk = group[len(SINGLE) :]
        return [int(pk)] if pk.isdecimal() and len(pk) < 19 else []
    return list(inbox(user).filter(reference=group).values_list("pk", flat=True))


def delivery_figures() -> dict[str, int]:
    """The customer and staff messages waiting to go out by SMS or WeChat (queued or being
    sent) and those failed and not yet handled by an agent (the metrics endpoint)."""
    outbound = Message.objects.exclude(channel=Channel.INBOX)
    return {
        "queued": outbound.filter(
            status__in=[Message.Status.QUEUED, Message.Status.SENDING]
        ).count(),
        "failed": outbound.filter(status=Message.Status.FAILED, handling="").count(),
    }
