"""Delivery of queued customer notices (first version: one message at a time through the
channel's backend; batching, leases, retries and the rate limit follow)."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .backends import backend_for
from .models import Message


def deliver_due(limit: int | None = None) -> int:
    limit = limit or settings.NOTIFICATION_CLAIM_BATCH
    sent = 0
    with transaction.atomic():
        due = Message.objects.filter(status=Message.Status.QUEUED).exclude(template_code="")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for message in list(due.order_by("id")[:limit]):
            try:
                backend_for(message.channel).deliver(message, None)
            except Exception as exc:
                message.status, message.error = Message.Status.FAILED, str(exc)[:2000]
            else:
                message.status, message.sent_at = Message.Status.SENT, timezone.now()
                sent += 1
            message.save(update_fields=["status", "error", "sent_at"])
    return sent
