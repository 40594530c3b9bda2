"""Delivery backends behind one interface. Real SMS / WeChat gateways are adapters that
implement ``deliver``; development and tests use the file/console backend."""

import json
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    pass


class InboxBackend:
    """In-app messages need no delivery: the inbox reads the Message table."""

    def deliver(self, message) -> None:
        return None


class FileBackend:
    """Appends each message as one JSON line to var/outbox.jsonl (and prints nothing)."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.VAR_DIR / "outbox.jsonl")

    def deliver(self, message) -> None:
        record = {
            "id": message.pk,
            "channel": message.channel,
            "to": message.address
            or (message.recipient.get_username() if message.recipient else ""),
            "subject": message.subject,
            "body": message.body,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def backend_for(channel: str):
    dotted = settings.NOTIFICATION_BACKENDS.get(channel)
    if not dotted:
        raise DeliveryError(f"no backend configured for {channel}")
    return import_string(dotted)()
