"""What the official account does with what it receives, and an agent's answer.

A follower's text waits in the WeChat messages list (selectors.waiting); the agent's answer
is recorded through the cases intake as a WeChat contact answered on the spot (its received
time the first waiting message's) and sent back as a customer-service message."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.cases.models import Channel, Contact, Kind
from utilitydesk.cases.services import ContactInput, create_contact
from utilitydesk.customers.models import Customer
from utilitydesk.notifications.wechat import WeChatError, WeChatTemplateBackend

from .models import Follower, InboundMessage
from .protocol import Incoming

# WeChat lets the account write to a follower this long after the follower's last message.
ANSWER_WINDOW = timedelta(hours=48)
ANSWER_MAX = 600
ANSWER_KINDS = (Kind.CONSULTATION, Kind.FEE, Kind.SUGGESTION, Kind.PRAISE)
HOTLINE_KEY = "HOTLINE"


def client() -> WeChatTemplateBackend:
    return WeChatTemplateBackend()


def _follower(openid: str) -> Follower:
    follower, _created = Follower.objects.get_or_create(openid=openid)
    return follower


def _hotline() -> str:
    return str(settings.OUTAGE_NOTICE_HOTLINE)


def receive(incoming: Incoming, *, now: datetime | None = None) -> str | None:
    """Record what arrived (once, however often WeChat repeats it) and return the passive
    text reply, or None for none."""
    now = now or timezone.now()
    sent_at = datetime.fromtimestamp(incoming.create_time, tz=UTC)
    if incoming.msg_type == "event":
        kind = InboundMessage.Type.EVENT
    elif incoming.msg_type == "text":
        kind = InboundMessage.Type.TEXT
    else:
        kind = InboundMessage.Type.OTHER
    content = incoming.content.strip() if kind == InboundMessage.Type.TEXT else ""
    try:
        with transaction.atomic():
            follower = _follower(incoming.from_user)
            InboundMessage.objects.create(
                key=incoming.key,
                follower=follower,
                type=kind,
                content=content,
                event=incoming.event,
                event_key=incoming.event_key,
                sent_at=sent_at,
                received_at=now,
            )
            _apply(follower, incoming, kind, bool(content), now)
    except IntegrityError:
        pass  # the same message again: answer as the first time
    return _reply(incoming, kind, bool(content))


def _apply(
    follower: Follower, incoming: Incoming, kind: str, has_text: bool, now: datetime
) -> None:
    changed: list[str] = []
    if incoming.event == "subscribe":
        follower.subscribed, follower.subscribed_at = True, now
        changed += ["subscribed", "subscribed_at"]
    elif incoming.event == "unsubscribe":
        follower.subscribed, follower.unsubscribed_at = False, now
        changed += ["subscribed", "unsubscribed_at"]
    if kind != InboundMessage.Type.EVENT:
        follower.last_message_at = now
        changed.append("last_message_at")
    if kind == InboundMessage.Type.TEXT and not has_text:
        InboundMessage.objects.filter(key=incoming.key).update(answered_at=now)
    if changed:
        follower.save(update_fields=changed)


def _reply(incoming: Incoming, kind: str, has_text: bool) -> str | None:
    with translation.override(settings.LANGUAGE_CODE):
        if incoming.event == "subscribe":
            return _(
                "Welcome! Report a fault, follow your cases, read the interruption notices "
                "and your bills from the menu below, or write to us here: an agent will answer."
            )
        if incoming.event == "CLICK" and incoming.event_key == HOTLINE_KEY:
            return _("Our 24-hour service hotline: %(hotline)s") % {"hotline": _hotline()}
        if kind == InboundMessage.Type.EVENT:
            return None
        if kind == InboundMessage.Type.TEXT and has_text:
            return _(
                "We have your message; an agent will answer here soon. "
                "In an emergency call %(hotline)s."
            ) % {"hotline": _hotline()}
        return _("Please write your question as text; an agent will answer here.")


@dataclass
class Answer:
    text: str
    kind: str = Kind.CONSULTATION
    # The agent called the customer (past WeChat's 48 hours, say): the answer is what they
    # were told, recorded and not sent.
    by_phone: bool = False


def answer(follower_id: int, data: Answer, *, actor: Actor, now: datetime | None = None) -> Contact:
    """Answer a follower's waiting texts: the contact (channel WeChat, answered on the spot,
    the agent its first responder) and the customer-service message, or neither. Answered
    ``by_phone``: the contact only."""
    now = now or timezone.now()
    text = (data.text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the answer.")]
    elif len(text) > ANSWER_MAX:
        errors["text"] = [_("At most %(n)d characters.") % {"n": ANSWER_MAX}]
    if data.kind not in ANSWER_KINDS:
        errors["kind"] = [_("Choose what the message was about.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follower = Follower.objects.select_for_update().filter(pk=follower_id).first()
        if follower is None:
            raise ValidationError({"text": [_("Unknown WeChat follower.")]})
        waiting = list(
            follower.messages.filter(
                type=InboundMessage.Type.TEXT, answered_at__isnull=True
            ).order_by("received_at")
        )
        if not waiting:
            raise ValidationError({"text": [_("This follower's messages are answered already.")]})
        late = follower.last_message_at is None or now - follower.last_message_at > ANSWER_WINDOW
        if late and not data.by_phone:
            raise ValidationError(
                {
                    "text": [
                        _(
                            "WeChat allows an answer only within 48 hours of the follower's "
                            "last message: call the customer and record what you told them."
                        )
                    ]
                }
            )
        contact = create_contact(
            ContactInput(
                channel=Channel.WECHAT,
                kind=data.kind,
                content="\n".join(m.content for m in waiting),
                received_at=waiting[0].received_at,
                customer_id=follower.customer_id,
                caller_name=_caller_name(),
                caller_phone=follower.phone,
                answer=text,
            ),
            actor=actor,
            now=now,
        )
        InboundMessage.objects.filter(pk__in=[m.pk for m in waiting]).update(
            contact=contact, answered_at=now, answered_by=actor
        )
        if data.by_phone:
            return contact
        try:
            client().send_text(follower.openid, text)
        except WeChatError as error:
            raise ValidationError(
                {"text": [_("WeChat did not take the answer (%(error)s).") % {"error": error}]}
            ) from error
    return contact


def _caller_name() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("WeChat follower")


def link_follower(openid: str, *, customer_id: int | None, phone: str = "") -> Follower:
    """The follower bound to a customer (called by the customer pages when a follower
    signs in there from the menu)."""
    if customer_id is not None and not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("Unknown customer.")]})
    follower = _follower(openid)
    follower.customer_id, follower.phone = customer_id, phone
    follower.save(update_fields=["customer", "phone"])
    return follower


# --- the menu ---------------------------------------------------------------------------------


def menu(site_url: str) -> dict[str, Any]:
    """The account's menu: the customer pages under /my/ and the hotline."""
    base = site_url.rstrip("/")

    def view(name: str, path: str) -> dict[str, str]:
        return {"type": "view", "name": name, "url": f"{base}/my/{path}"}

    with translation.override(settings.LANGUAGE_CODE):
        return {
            "button": [
                view(_("Report a fault"), "report/"),
                {
                    "name": _("My account"),
                    "sub_button": [view(_("My cases"), "cases/"), view(_("My bills"), "bills/")],
                },
                {
                    "name": _("Service"),
                    "sub_button": [
                        view(_("Interruption notices"), "interruptions/"),
                        view(_("Questions"), "faq/"),
                        {"type": "click", "name": _("Hotline"), "key": HOTLINE_KEY},
                    ],
                },
            ]
        }


def publish_menu(site_url: str) -> dict[str, Any]:
    built = menu(site_url)
    client().create_menu(built)
    return built
