"""The official account's message protocol as WeChat publishes it: the server URL's
signature (SHA1 of the sorted token, timestamp and nonce), the XML of incoming messages
and events, and the passive text reply."""

import hashlib
import hmac
import re
import time
import xml.etree.ElementTree as ET  # nosec B405 - DOCTYPE refused before parsing
from dataclasses import dataclass

MAX_BODY = 64 * 1024
LAST_TIME = 4_102_444_800  # 2100-01-01: a CreateTime beyond is no message's
# Entity expansion needs a DOCTYPE: a message with one is refused before it is parsed.
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class MalformedMessage(ValueError):
    pass


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """SHA1 of the lexicographically sorted parts (``extra``: the ciphertext in safe mode)."""
    parts = sorted([token, timestamp, nonce, *extra])
    return hashlib.sha1("".join(parts).encode(), usedforsecurity=False).hexdigest()


def signed(token: str, query: dict[str, str]) -> bool:
    given = query.get("signature", "")
    if not token or not given:
        return False
    expected = signature(token, query.get("timestamp", ""), query.get("nonce", ""))
    return hmac.compare_digest(expected, given.lower())


@dataclass(frozen=True)
class Incoming:
    to_user: str  # the official account (gh_…)
    from_user: str  # the follower's openid
    create_time: int
    msg_type: str
    content: str = ""
    msg_id: str = ""
    event: str = ""
    event_key: str = ""

    @property
    def key(self) -> str:
        """What WeChat repeats when it sends the message again."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.from_user}:{self.create_time}:{self.event}"


def _fields(body: bytes) -> dict[str, str]:
    if not body or len(body) > MAX_BODY:
        raise MalformedMessage("empty or too long")
    if _DECLARATION.search(body):
        raise MalformedMessage("declarations are not accepted")
    try:
        root = ET.fromstring(body)  # noqa: S314  # nosec B314 - no DOCTYPE, size limited
    except ET.ParseError as error:
        raise MalformedMessage(str(error)) from error
    if root.tag != "xml":
        raise MalformedMessage("not a message")
    return {child.tag: (child.text or "").strip() for child in root}


def encrypted_part(body: bytes) -> str:
    """The ``<Encrypt>`` of a message in safe or compatible mode."""
    ciphertext = _fields(body).get("Encrypt", "")
    if not ciphertext:
        raise MalformedMessage("Encrypt is required in safe mode")
    return ciphertext


def parse(body: bytes) -> Incoming:
    fields = _fields(body)
    to_user, from_user = fields.get("ToUserName", ""), fields.get("FromUserName", "")
    msg_type = fields.get("MsgType", "")
    created = fields.get("CreateTime", "")
    if not (created.isascii() and created.isdigit() and int(created) < LAST_TIME):
        raise MalformedMessage("CreateTime")
    create_time = int(created)
    if not (to_user and from_user and msg_type) or len(from_user) > 64 or len(msg_type) > 16:
        raise MalformedMessage("ToUserName, FromUserName and MsgType are required")
    msg_id = fields.get("MsgId", "")
    if msg_type != "event" and not (msg_id.isascii() and msg_id.isdigit() and len(msg_id) <= 32):
        raise MalformedMessage("MsgId")
    return Incoming(
        to_user=to_user,
        from_user=from_user,
        create_time=create_time,
        msg_type=msg_type,
        content=fields.get("Content", ""),
        msg_id=msg_id if msg_type != "event" else "",
        event=fields.get("Event", "")[:32],
        event_key=fields.get("EventKey", "")[:256],
    )


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(incoming: Incoming, text: str, *, now: float | None = None) -> str:
    """The passive reply: from the account to the sender of ``incoming``."""
    created = int(now if now is not None else time.time())
    return (
        f"<xml><ToUserName>{cdata(incoming.from_user)}</ToUserName>"
        f"<FromUserName>{cdata(incoming.to_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(text)}</Content></xml>"
    )
