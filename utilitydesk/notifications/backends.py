"""Delivery backends behind one interface. Real SMS / WeChat gateways are adapters that
implement ``deliver``; development and tests use the file/console backend.

Customer notices (templates) are sent by ``send_notices`` where a backend has it (one
provider request for up to ``max_batch`` numbers sharing a template and its values, one
``Outcome`` per message); a backend with only ``deliver`` sends them one by one."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    """What became of one message handed to a provider.

    ``retryable``: not sent, worth another try later (rate limit, provider busy).
    ``unknown``: the provider may have sent it (the answer was lost): never sent again
    automatically (docs/outages.md, at most once)."""

    message_id: int
    sent: bool
    serial: str = ""
    code: str = ""
    error: str = ""
    retryable: bool = False
    unknown: bool = False


class InboxBackend:
    """In-app messages need no delivery: the inbox reads the Message table."""

    def deliver(self, message, text: str | None = None) -> None:
        return None


class FileBackend:
    """Appends each message as one JSON line to var/outbox.jsonl (and prints nothing).

    The file is a log, not a gateway: it holds the stored text, in which a secret (a
    sign-off code) is shown as ``******``; ``text``, the text with the secret, is not
    written. A real gateway adapter sends ``text or message.body``."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.VAR_DIR / "outbox.jsonl")

    def deliver(self, message, text: str | None = None) -> None:  # noqa: ARG002
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


class MemoryBackend:
    """Keeps what a gateway would have sent, secrets included, in ``MemoryBackend.sent``
    (tests: the customer's side of a text)."""

    sent: list[dict] = []

    def deliver(self, message, text: str | None = None) -> None:
        MemoryBackend.sent.append({"to": message.address, "text": text or message.body})


def backend_for(channel: str):
    dotted = settings.NOTIFICATION_BACKENDS.get(channel)
    if not dotted:
        raise DeliveryError(f"no backend configured for {channel}")
    return import_string(dotted)()
