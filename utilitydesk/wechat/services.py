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
from django.db.models import Q
from django.urls import reverse
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
    """The follower bound to one customer (or to none)."""
    return link_household(openid, phone=phone, customer_ids=[customer_id] if customer_id else [])


def link_household(
    openid: str, *, phone: str, customer_ids: list[int], now: datetime | None = None
) -> Follower:
    """The follower who opened the web-page authorisation, linked to the household signed in
    to /my/: ``customer_ids`` are the accounts that number has bound (given by the caller from
    the session, never by the follower). What the follower was linked to before is replaced,
    so a WeChat user who signs in with another number stops hearing about the first one's
    accounts."""
    now = now or timezone.now()
    ids = sorted(set(customer_ids))
    if len(ids) != Customer.objects.filter(pk__in=ids).count():
        raise ValidationError({"customer": [_("Unknown customer.")]})
    with transaction.atomic():
        _follower(openid)
        follower = Follower.objects.select_for_update().get(openid=openid)
        follower.customer_id = ids[0] if ids else None
        follower.phone = phone if ids else ""
        follower.linked_at = now if ids else None
        follower.save(update_fields=["customer", "phone", "linked_at"])
        follower.customers.set(ids)
    return follower


def unlink_household(phone: str) -> int:
    """The household stops WeChat notices: every follower linked to the number is unlinked.
    Returns how many were."""
    with transaction.atomic():
        followers = list(Follower.objects.select_for_update().filter(phone=phone).exclude(phone=""))
        for follower in followers:
            follower.customers.clear()
        Follower.objects.filter(pk__in=[f.pk for f in followers]).update(
            customer=None, phone="", linked_at=None
        )
    return len(followers)


def forget_customer(phone: str, customer_id: int) -> None:
    """The number no longer has ``customer_id`` bound (the household removed the account):
    its followers stop being told about that account."""
    with transaction.atomic():
        followers = list(Follower.objects.select_for_update().filter(phone=phone).exclude(phone=""))
        for follower in followers:
            follower.customers.remove(customer_id)
            if follower.customer_id == customer_id:
                remaining = follower.customers.order_by("pk").values_list("pk", flat=True).first()
                follower.customer_id = remaining
                follower.save(update_fields=["customer"])


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
                    "sub_button": [
                        view(_("My cases"), "cases/"),
                        view(_("My bills"), "bills/"),
                        # Through WeChat's web-page authorisation (wechat.views.oauth_start).
                        {
                            "type": "view",
                            "name": _("WeChat notices"),
                            "url": f"{base}{reverse('wechat:notices')}",
                        },
                    ],
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


# --- retention --------------------------------------------------------------------------------


def purge_messages(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete what followers sent more than ``WECHAT_MESSAGE_RETENTION_DAYS`` ago, except
    texts still waiting for an agent: an answered text lives on in its WeChat contact
    (content and answer), events in the follower's state. In batches; a second run at the
    same time finds nothing left. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WECHAT_MESSAGE_RETENTION_DAYS)
    waiting = Q(type=InboundMessage.Type.TEXT, answered_at__isnull=True)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                InboundMessage.objects.filter(received_at__lt=cutoff)
                .exclude(waiting)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return deleted
            deleted += InboundMessage.objects.filter(id__in=ids).delete()[0]
