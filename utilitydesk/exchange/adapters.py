"""The 12345 platform behind one interface (``Adapter``) and the one format implemented:
JSON over HTTP, each body signed with HMAC-SHA256 under a shared secret
(docs/exchange-12345.md). Parsing refuses what it cannot read with field messages."""

import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-12345-Signature"
TIMESTAMP_HEADER = "X-12345-Timestamp"

# The platform's categories and the case kind each becomes.
CATEGORIES = {
    "consult": "consultation",
    "help": "repair",
    "complaint": "complaint",
    "suggestion": "suggestion",
    "praise": "praise",
}
VERDICTS = ("satisfied", "basically_satisfied", "dissatisfied")
EVENT_TYPES = ("urge", "verdict", "extension")


class BadPayload(ValueError):
    """The body is not what the format says; ``fields`` names what is wrong."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))


class Undelivered(Exception):
    """The platform did not acknowledge a message; ``permanent`` when sending it again
    cannot help (the platform refused it)."""

    def __init__(self, message: str, *, permanent: bool = False):
        self.permanent = permanent
        super().__init__(message)


@dataclass(frozen=True)
class OrderData:
    order_no: str
    category: str
    kind: str
    title: str
    content: str
    caller_name: str
    caller_phone: str
    address: str
    account_no: str
    transferred_at: datetime
    raw: dict[str, Any]


@dataclass(frozen=True)
class EventData:
    event_id: str
    order_no: str
    type: str
    at: datetime
    text: str
    verdict: str
    approved: bool
    days: int
    raw: dict[str, Any]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 of ``timestamp + "." + body`` under ``secret``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    stamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body),
    }


class Adapter(ABC):
    """What the exchange needs of a platform: four outbound calls (each raises
    ``Undelivered`` unless acknowledged) and reading what the platform sends."""

    @abstractmethod
    def sign(self, order: Any, *, message_id: str) -> None: ...

    @abstractmethod
    def return_order(self, order: Any, reason: str, *, message_id: str) -> None: ...

    @abstractmethod
    def request_extension(self, order: Any, days: int, reason: str, *, message_id: str) -> None: ...

    @abstractmethod
    def push_result(self, order: Any, result: dict[str, Any], *, message_id: str) -> None: ...

    @abstractmethod
    def verify(self, body: bytes, headers: Any) -> bool: ...

    @abstractmethod
    def parse_order(self, body: bytes) -> OrderData: ...

    @abstractmethod
    def parse_event(self, body: bytes) -> EventData: ...


def _text(
    data: dict[str, Any],
    name: str,
    errors: dict[str, list[str]],
    *,
    limit: int,
    required: bool = True,
) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        errors[name] = [_("Must be text.")]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [_("This field is required.")]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    return str(value)


def _moment(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> datetime:
    raw = data.get(name)
    value = parse_datetime(raw) if isinstance(raw, str) else None
    if value is None or value.tzinfo is None:
        errors[name] = [_("An ISO 8601 time with its offset, e.g. 2026-11-24T09:30:00+08:00.")]
        return datetime.fromtimestamp(0).astimezone()
    return value


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadPayload({"body": [_("Not JSON in UTF-8.")]}) from None
    if not isinstance(data, dict):
        raise BadPayload({"body": [_("A JSON object is expected.")]})
    return data


class JsonHttpAdapter(Adapter):
    """The JSON-over-HTTP format of docs/exchange-12345.md."""

    def __init__(
        self, base_url: str | None = None, secret: str | None = None, timeout: float | None = None
    ):
        self.base_url = base_url if base_url is not None else settings.EXCHANGE_12345_BASE_URL
        self.secret = secret if secret is not None else settings.EXCHANGE_12345_SECRET
        self.timeout = timeout or settings.EXCHANGE_12345_TIMEOUT_SECONDS

    # --- outbound ---------------------------------------------------------------------

    def _post(self, order: Any, action: str, message_id: str, fields: dict[str, Any]) -> None:
        if not self.base_url:
            raise Undelivered("EXCHANGE_12345_BASE_URL is not set")
        body = json.dumps(
            {"message_id": message_id, "order_no": order.order_no, **fields},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        url = f"{self.base_url.rstrip('/')}/orders/{order.order_no}/{action}"
        try:
            answer = requests.post(
                url, data=body, headers=signed_headers(self.secret, body), timeout=self.timeout
            )
        except requests.RequestException as error:
            raise Undelivered(f"{type(error).__name__}: {error}"[:500]) from None
        if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
            raise Undelivered(f"HTTP {answer.status_code}: {answer.text[:300]}", permanent=True)
        if answer.status_code != 200:
            raise Undelivered(f"HTTP {answer.status_code}: {answer.text[:300]}")
        try:
            ok = answer.json().get("ok") is True
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            raise Undelivered(f"not acknowledged: {answer.text[:300]}")

    def sign(self, order: Any, *, message_id: str) -> None:
        self._post(order, "sign", message_id, {})

    def return_order(self, order: Any, reason: str, *, message_id: str) -> None:
        self._post(order, "return", message_id, {"reason": reason})

    def request_extension(self, order: Any, days: int, reason: str, *, message_id: str) -> None:
        self._post(order, "extension", message_id, {"days": days, "reason": reason})

    def push_result(self, order: Any, result: dict[str, Any], *, message_id: str) -> None:
        self._post(order, "result", message_id, result)

    # --- inbound ----------------------------------------------------------------------

    def verify(self, body: bytes, headers: Any) -> bool:
        if not self.secret:
            return False
        stamp = str(headers.get(TIMESTAMP_HEADER, ""))
        given = str(headers.get(SIGNATURE_HEADER, ""))
        if not stamp.isdecimal() or not given:
            return False
        if abs(time.time() - int(stamp)) > settings.EXCHANGE_12345_CLOCK_TOLERANCE_SECONDS:
            return False
        return hmac.compare_digest(signature(self.secret, stamp, body), given)

    def parse_order(self, body: bytes) -> OrderData:
        data = _object(body)
        errors: dict[str, list[str]] = {}
        order_no = _text(data, "order_no", errors, limit=40)
        category = _text(data, "category", errors, limit=20)
        if category and category not in CATEGORIES:
            errors["category"] = [_("One of %(values)s.") % {"values": ", ".join(CATEGORIES)}]
        content = _text(data, "content", errors, limit=4000)
        result = OrderData(
            order_no=order_no,
            category=category,
            kind=CATEGORIES.get(category, ""),
            title=_text(data, "title", errors, limit=200, required=False),
            content=content,
            caller_name=_text(data, "caller_name", errors, limit=100),
            caller_phone=_text(data, "caller_phone", errors, limit=20),
            address=_text(data, "address", errors, limit=300, required=False),
            account_no=_text(data, "account_no", errors, limit=32, required=False),
            transferred_at=_moment(data, "transferred_at", errors),
            raw=data,
        )
        if errors:
            raise BadPayload(errors)
        return result

    def parse_event(self, body: bytes) -> EventData:
        data = _object(body)
        errors: dict[str, list[str]] = {}
        kind = _text(data, "type", errors, limit=20)
        if kind and kind not in EVENT_TYPES:
            errors["type"] = [_("One of %(values)s.") % {"values": ", ".join(EVENT_TYPES)}]
        verdict = _text(data, "verdict", errors, limit=20, required=kind == "verdict")
        if kind == "verdict" and verdict and verdict not in VERDICTS:
            errors["verdict"] = [_("One of %(values)s.") % {"values": ", ".join(VERDICTS)}]
        approved = data.get("approved", False)
        days = data.get("days", 0)
        if kind == "extension":
            if not isinstance(approved, bool):
                errors["approved"] = [_("true or false.")]
            if approved and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
                errors["days"] = [_("Working days granted, at least 1.")]
        result = EventData(
            event_id=_text(data, "event_id", errors, limit=64),
            order_no=_text(data, "order_no", errors, limit=40),
            type=kind,
            at=_moment(data, "at", errors),
            text=_text(data, "text", errors, limit=2000, required=False),
            verdict=verdict,
            approved=approved is True,
            days=days if isinstance(days, int) and not isinstance(days, bool) else 0,
            raw=data,
        )
        if errors:
            raise BadPayload(errors)
        return result


def adapter() -> Adapter:
    """The configured platform (one format so far)."""
    return JsonHttpAdapter()
