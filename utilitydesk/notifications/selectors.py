from django.db.models import QuerySet

from .models import Channel, Message


def inbox(user) -> QuerySet[Message]:
    return Message.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()
