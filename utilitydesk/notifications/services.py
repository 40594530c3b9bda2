from collections.abc import Mapping

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .backends import backend_for
from .models import Channel, Message

REDACTED = "******"


def _fill(body: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        body = body.replace("{" + name + "}", value)
    return body


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
    secret: Mapping[str, str] | None = None,
    sent_by=None,
) -> Message | None:
    """Record and deliver one message. With ``dedupe_key``, a second send with the same key
    does nothing and returns None: callers that may run twice never notify twice.

    ``secret`` fills ``{name}`` placeholders of ``body`` (a sign-off code) for the gateway
    only: the stored message, the outbox and any recorded error show ``******``."""
    secret = dict(secret or {})
    try:
        with transaction.atomic():
            message = Message.objects.create(
                channel=channel,
                recipient=recipient,
                address=address,
                subject=subject,
                body=_fill(body, dict.fromkeys(secret, REDACTED)),
                link=link,
                reference=reference,
                dedupe_key=dedupe_key,
                sent_by=sent_by,
            )
    except IntegrityError:
        if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    try:
        backend_for(channel).deliver(message, _fill(body, secret) if secret else None)
    except Exception as exc:  # a gateway failure is recorded, not raised into the caller
        error = str(exc)
        for value in secret.values():
            error = error.replace(value, REDACTED)
        message.status = Message.Status.FAILED
        message.error = error[:2000]
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
    phone: str,
    body: str,
    reference: str = "",
    dedupe_key: str | None = None,
    *,
    secret: Mapping[str, str] | None = None,
    sent_by=None,
) -> Message | None:
    return send(
        Channel.SMS,
        body,
        address=phone,
        reference=reference,
        dedupe_key=dedupe_key,
        secret=secret,
        sent_by=sent_by,
    )


def texts_sent_by(user, since) -> int:
    """Texts to customers a staff member sent since ``since`` (their daily limit)."""
    return Message.objects.filter(sent_by=user, channel=Channel.SMS, created_at__gte=since).count()


def deliver_queued(limit: int = 1000) -> int:
    """Deliver messages recorded as queued (the sweeper writes them in bulk). Each message
    is claimed under a row lock, so two runners never send one twice."""

    delivered = 0
    with transaction.atomic():
        queued = Message.objects.filter(status=Message.Status.QUEUED).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        for message in list(queued[:limit]):
            try:
                backend_for(message.channel).deliver(message, None)
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
