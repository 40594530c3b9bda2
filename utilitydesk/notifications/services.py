from django.db import IntegrityError, transaction
from django.utils import timezone

from .backends import backend_for
from .models import Channel, Message


def send(
    channel: str,
    body: str,
    *,
    recipient=None,
    address: str = "",
    subject: str = "",
    link: str = "",
    reference: str = "",
    dedupe_key: str | None = None,
) -> Message | None:
    """Record and deliver one message. With ``dedupe_key``, a second send with the same key
    does nothing and returns None: callers that may run twice never notify twice."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                channel=channel,
                recipient=recipient,
                address=address,
                subject=subject,
                body=body,
                link=link,
                reference=reference,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    try:
        backend_for(channel).deliver(message)
    except Exception as exc:  # a gateway failure is recorded, not raised into the caller
        message.status = Message.Status.FAILED
        message.error = str(exc)[:2000]
    else:
        message.status = Message.Status.SENT
        message.sent_at = timezone.now()
    message.save(update_fields=["status", "error", "sent_at"])
    return message


def notify_staff(
    users,
    subject: str,
    body: str,
    link: str = "",
    reference: str = "",
    dedupe_prefix: str | None = None,
) -> int:
    """An inbox message to each user; returns how many were new."""
    sent = 0
    for user in users:
        key = f"{dedupe_prefix}:{user.pk}" if dedupe_prefix else None
        if send(
            Channel.INBOX,
            body,
            recipient=user,
            subject=subject,
            link=link,
            reference=reference,
            dedupe_key=key,
        ):
            sent += 1
    return sent


def send_sms(
    phone: str, body: str, reference: str = "", dedupe_key: str | None = None
) -> Message | None:
    return send(Channel.SMS, body, address=phone, reference=reference, dedupe_key=dedupe_key)


def deliver_queued(limit: int = 1000) -> int:
    """Deliver messages recorded as queued (the sweeper writes them in bulk). Each message
    is claimed under a row lock, so two runners never send one twice."""
    from django.db import connection

    delivered = 0
    with transaction.atomic():
        queued = Message.objects.filter(status=Message.Status.QUEUED).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        for message in list(queued[:limit]):
            try:
                backend_for(message.channel).deliver(message)
            except Exception as exc:
                message.status, message.error = Message.Status.FAILED, str(exc)[:2000]
            else:
                message.status, message.sent_at = Message.Status.SENT, timezone.now()
                delivered += 1
            message.save(update_fields=["status", "error", "sent_at"])
    return delivered


def staff_mobile(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.mobile if profile is not None else ""


def mark_read(user, message_ids: list[int] | None = None) -> int:
    """Mark the user's inbox messages (all, or the given ones) as read."""
    queryset = Message.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if message_ids is not None:
        queryset = queryset.filter(pk__in=message_ids)
    return queryset.update(read_at=timezone.now())
