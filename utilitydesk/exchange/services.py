"""The 12345 exchange's writes (docs/exchange-12345.md): receiving orders and events,
the messages we owe the platform (sign, return, extension, result) and sending them with
retries, and the alert when the exchange is dead."""

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.cases import services as cases
from utilitydesk.cases.hooks import CaseHappened
from utilitydesk.cases.models import OPEN_STATUSES, Case, Channel, Status
from utilitydesk.customers import phones
from utilitydesk.customers.models import Customer
from utilitydesk.notifications.delivery import backoff
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import Position
from utilitydesk.org.selectors import everyone_holding, holders_of
from utilitydesk.policy import deadlines as arithmetic
from utilitydesk.policy import services as policy

from .adapters import Adapter, EventData, OrderData, Undelivered, adapter
from .models import Inbound, Link, Order, Outbound

LINK = "12345"
# Returning an order, asking for an extension and sending a message again.
ACT_PERMISSION = "exchange.act_on_exchange"


def exchange_actor() -> Actor:
    """The account the platform's orders are recorded by: no password, only the right to
    record contacts and see cases (created on first use)."""
    users = get_user_model()
    name = settings.EXCHANGE_12345_USERNAME
    user = users.objects.filter(username=name).first()
    if user is None:
        try:
            with transaction.atomic():
                user = users(username=name, first_name=_("12345 platform"))
                user.set_unusable_password()
                user.save()
                user.user_permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label="cases", codename__in=["add_contact", "view_case"]
                    )
                )
        except IntegrityError:
            user = users.objects.get(username=name)
    return user


def _answer_due(transferred_at: datetime, days: int) -> arithmetic.Deadline:
    return arithmetic.compute(
        transferred_at,
        arithmetic.Limit("answer", days, arithmetic.WORKING_DAYS),
        policy.calendar(),
    )


def _queue(order: Order, kind: str, body: dict[str, Any], now: datetime) -> Outbound:
    return Outbound.objects.create(
        order=order,
        kind=kind,
        message_id=uuid.uuid4().hex,
        body=body,
        next_attempt_at=now,
        created_at=now,
    )


def _customer_of(data: OrderData) -> Customer | None:
    if data.account_no:
        found = Customer.objects.filter(account_no=data.account_no).first()
        if found is not None:
            return found
    number = phones.normalize(data.caller_phone)
    matches = list(Customer.objects.filter(phones__number=number).distinct()[:2])
    return matches[0] if len(matches) == 1 else None


def receive_order(data: OrderData, *, now: datetime | None = None) -> tuple[Order, bool]:
    """Record a transferred order once per platform order number: a new case through the
    hotline's intake (duplicate check and routing), or the customer's open case of the same
    kind; the signing is queued. Returns (order, False) for an order already received."""
    now = now or timezone.now()
    found = Order.objects.filter(order_no=data.order_no).select_related("case").first()
    if found is not None:
        return found, False
    actor = exchange_actor()
    customer = _customer_of(data)
    content = f"【12345 {data.order_no}】{data.title}\n{data.content}".strip()
    contact_input = cases.ContactInput(
        channel=Channel.GOV_12345,
        kind=data.kind,
        content=content,
        received_at=min(data.transferred_at, now),
        customer_id=customer.pk if customer else None,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        extra={"address": data.address},
    )
    try:
        with transaction.atomic():
            opened = True
            try:
                contact = cases.create_contact(contact_input, actor=actor, now=now)
            except cases.DuplicateWarning as duplicate:
                opened = False
                contact_input.link_to_case = duplicate.cases[0].number
                contact = cases.create_contact(contact_input, actor=actor, now=now)
            case = Case.objects.get(pk=cast(int, contact.case_id))
            current = case.policy_version or policy.current_policy()
            answer = _answer_due(
                data.transferred_at, policy.exchange_answer_days(current, case.kind)
            )
            sign_hours = current.exchange_sign_hours if current else 2
            order = Order.objects.create(
                order_no=data.order_no,
                kind=case.kind,
                title=data.title,
                content=data.content,
                caller_name=data.caller_name,
                caller_phone=phones.normalize(data.caller_phone),
                address=data.address,
                transferred_at=data.transferred_at,
                received_at=now,
                payload=data.raw,
                case=case,
                opened_case=opened,
                unit=case.responsible_unit,
                sign_due_at=data.transferred_at + timedelta(hours=sign_hours),
                answer_due_at=answer.due_at,
                provisional_due=answer.provisional,
            )
            _queue(order, Outbound.Kind.SIGN, {}, now)
            _link_alive(now)
    except IntegrityError:
        # The same order arrived twice at once: the first one's transaction won.
        again = Order.objects.filter(order_no=data.order_no).select_related("case").first()
        if again is None:
            raise
        return again, False
    return order, True


def receive_event(data: EventData, *, now: datetime | None = None) -> tuple[Inbound, bool]:
    """An urge, verdict or extension decision, applied once per the platform's event id."""
    now = now or timezone.now()
    found = Inbound.objects.filter(event_id=data.event_id).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(order_no=data.order_no).first()
            if order is None:
                raise ValidationError({"order_no": [_("Unknown 12345 order.")]})
            event = Inbound.objects.create(
                event_id=data.event_id,
                order=order,
                kind=data.type,
                payload=data.raw,
                received_at=now,
            )
            if data.type == Inbound.Kind.URGE:
                _urged(order, data, now)
            elif data.type == Inbound.Kind.VERDICT:
                _verdict(order, data, now)
            else:
                _extension_decided(order, data, now)
            _link_alive(now)
    except IntegrityError:
        again = Inbound.objects.filter(event_id=data.event_id).first()
        if again is None:
            raise
        return again, False
    return event, True


def _note(order: Order, text: str, now: datetime, data: dict[str, Any]) -> Case:
    case = Case.objects.select_for_update().get(pk=order.case_id)
    cases.append_event(case, "note", text, actor=exchange_actor(), now=now, data=data)
    return case


def _urged(order: Order, data: EventData, now: datetime) -> None:
    """An urge (催办) escalates: noted on the case, told to whoever holds it and to the
    head of its unit."""
    order.urge_count += 1
    order.last_urged_at = now
    order.save(update_fields=["urge_count", "last_urged_at"])
    text = _("12345 urge no. %(n)d on order %(order)s: %(text)s") % {
        "n": order.urge_count,
        "order": order.order_no,
        "text": data.text or "—",
    }
    case = _note(order, text, now, {"exchange": "urge", "event_id": data.event_id})
    if case.status not in OPEN_STATUSES:
        return
    people: dict[int, Actor] = {}
    if case.assignee is not None:
        people[case.assignee.pk] = case.assignee
    if case.responsible_unit is not None:
        for position in (Position.STATION_HEAD, Position.DEPARTMENT_HEAD):
            for person in holders_of(position, case.responsible_unit):
                people[person.pk] = person
    notify_staff(
        people.values(),
        _("12345 urge: %(number)s") % {"number": case.number},
        text,
        link=f"/cases/{case.number}/",
        reference=f"case:{case.number}",
        dedupe_prefix=f"exchange:urge:{data.event_id}",
    )


def _verdict(order: Order, data: EventData, now: datetime) -> None:
    """The platform's own callback verdict, against the case and the answering unit."""
    order.verdict, order.verdict_note, order.verdict_at = data.verdict, data.text, now
    if order.unit_id is None:
        order.unit_id = order.case.responsible_unit_id
    order.save(update_fields=["verdict", "verdict_note", "verdict_at", "unit"])
    _note(
        order,
        _("12345 verdict on order %(order)s: %(verdict)s %(text)s")
        % {"order": order.order_no, "verdict": data.verdict, "text": data.text},
        now,
        {"exchange": "verdict", "verdict": data.verdict},
    )


def _extension_decided(order: Order, data: EventData, now: datetime) -> None:
    if data.approved and data.days:
        # Counted from the last day of the current limit.
        moved = _answer_due(order.answer_due_at - timedelta(seconds=1), data.days)
        order.answer_due_at = moved.due_at
        order.extension_days += data.days
        order.save(update_fields=["answer_due_at", "extension_days"])
        text = _("12345 granted %(days)d more working days on order %(order)s.")
    else:
        text = _("12345 refused the extension of order %(order)s.")
    _note(
        order,
        text % {"days": data.days, "order": order.order_no},
        now,
        {"exchange": "extension", "approved": data.approved},
    )


# --- what agents do ------------------------------------------------------------------------


def _open_order(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise ValidationError({"order": [_("Unknown 12345 order.")]})
    if (
        order.state in (Order.State.RETURNED, Order.State.ANSWERED)
        or order.outbound.filter(kind=Outbound.Kind.RESULT).exists()
    ):
        raise ValidationError({"order": [_("This order has been answered or returned.")]})
    return order


def return_order(order_id: int, reason: str, *, actor: Actor, now: datetime | None = None) -> Order:
    """退单: the order is not ours. The platform is told why; a case the order opened is
    cancelled with the reason."""
    now = now or timezone.now()
    if not actor.has_perm(ACT_PERMISSION):
        raise PermissionDenied(_("You are not allowed to do this."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the order is not ours.")]})
    with transaction.atomic():
        order = _open_order(order_id)
        order.state, order.returned_at, order.return_reason = Order.State.RETURNED, now, reason
        order.save(update_fields=["state", "returned_at", "return_reason"])
        _queue(order, Outbound.Kind.RETURN, {"reason": reason}, now)
        case = order.case
        if order.opened_case and case.status in OPEN_STATUSES - {Status.ON_SITE}:
            cases.cancel(
                case.number,
                _("Returned to 12345: %(reason)s") % {"reason": reason},
                actor=actor,
                now=now,
            )
    return order


def request_extension(
    order_id: int, days: int, reason: str, *, actor: Actor, now: datetime | None = None
) -> Outbound:
    """延期: ask the platform for more working days; its decision comes as an event."""
    now = now or timezone.now()
    if not actor.has_perm(ACT_PERMISSION):
        raise PermissionDenied(_("You are not allowed to do this."))
    current = policy.current_policy()
    most = current.exchange_extension_max_days if current else 10
    errors: dict[str, list[str]] = {}
    if not 1 <= days <= most:
        errors["days"] = [_("Between 1 and %(n)d working days.") % {"n": most}]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why more time is needed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = _open_order(order_id)
        return _queue(order, Outbound.Kind.EXTENSION, {"days": days, "reason": reason.strip()}, now)


def on_case_resolved(happened: CaseHappened) -> None:
    """The result of each open order the case carries is pushed (rule 003: the same day),
    once per order."""
    case = happened.case
    orders = Order.objects.select_for_update().filter(
        case=case, state__in=[Order.State.RECEIVED, Order.State.SIGNED]
    )
    for order in orders:
        if order.outbound.filter(kind=Outbound.Kind.RESULT).exists():
            continue
        order.resolved_at = happened.now
        order.unit_id = case.responsible_unit_id
        order.save(update_fields=["resolved_at", "unit"])
        body = {
            "case_number": case.number,
            "result": case.resolution or _("Resolved."),
            "resolved_at": happened.now.isoformat(),
            "unit": case.responsible_unit.name if case.responsible_unit else "",
        }
        _queue(order, Outbound.Kind.RESULT, body, happened.now)


def retry(message_ids: list[int], *, actor: Actor, now: datetime | None = None) -> int:
    """Send failed or dead messages again now (the retry button); returns how many."""
    now = now or timezone.now()
    if not actor.has_perm(ACT_PERMISSION):
        raise PermissionDenied(_("You are not allowed to do this."))
    return Outbound.objects.filter(
        pk__in=message_ids, state__in=[Outbound.State.FAILED, Outbound.State.DEAD]
    ).update(state=Outbound.State.FAILED, next_attempt_at=now, retried_by=actor)


# --- sending -------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    return backoff(
        attempts,
        base_seconds=settings.EXCHANGE_12345_RETRY_BASE_SECONDS,
        max_seconds=settings.EXCHANGE_12345_RETRY_MAX_SECONDS,
    )


def _claim(now: datetime, batch: int) -> list[int]:
    """Take due messages for this worker: their next attempt moves past the lease, so no
    other worker takes them while this one sends. A message waits for the earlier ones of
    its order (the platform takes a result only after the signing)."""
    lease = timedelta(seconds=settings.EXCHANGE_12345_TIMEOUT_SECONDS + 60)
    earlier = Outbound.objects.filter(order=OuterRef("order"), pk__lt=OuterRef("pk")).exclude(
        state=Outbound.State.SENT
    )
    with transaction.atomic():
        due = (
            Outbound.objects.filter(
                state__in=[Outbound.State.PENDING, Outbound.State.FAILED], next_attempt_at__lte=now
            )
            .filter(~Exists(earlier))
            .order_by("next_attempt_at", "pk")
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:batch])
        Outbound.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1, next_attempt_at=now + lease
        )
    return ids


def _deliver(platform: Adapter, message: Outbound) -> None:
    order, body = message.order, message.body
    if message.kind == Outbound.Kind.SIGN:
        platform.sign(order, message_id=message.message_id)
    elif message.kind == Outbound.Kind.RETURN:
        platform.return_order(order, body.get("reason", ""), message_id=message.message_id)
    elif message.kind == Outbound.Kind.EXTENSION:
        platform.request_extension(
            order, int(body.get("days", 1)), body.get("reason", ""), message_id=message.message_id
        )
    else:
        platform.push_result(order, body, message_id=message.message_id)


def send_due(
    *, now: datetime | None = None, batch: int = 200, platform: Adapter | None = None
) -> dict[str, int]:
    """Send the due messages once each; record every outcome. Idempotent."""
    now = now or timezone.now()
    platform = platform or adapter()
    summary = {"sent": 0, "failed": 0, "dead": 0}
    # Rounds: a message that waited for an earlier one of its order goes in the next.
    for _round in range(5):
        ids = _claim(now, batch)
        if not ids:
            break
        _send(platform, ids, now, summary)
    return summary


def _send(platform: Adapter, ids: list[int], now: datetime, summary: dict[str, int]) -> None:
    claimed = Outbound.objects.select_related("order").in_bulk(ids)
    for pk in ids:
        message = claimed[pk]
        try:
            _deliver(platform, message)
        except Undelivered as error:
            _failed(message, str(error), permanent=error.permanent, now=now)
            summary["dead" if message.state == Outbound.State.DEAD else "failed"] += 1
        else:
            _sent(message, now=now)
            summary["sent"] += 1


def _sent(message: Outbound, *, now: datetime) -> None:
    with transaction.atomic():
        Outbound.objects.filter(pk=message.pk).update(
            state=Outbound.State.SENT, sent_at=now, next_attempt_at=None, last_error=""
        )
        order = Order.objects.select_for_update().get(pk=message.order_id)
        if message.kind == Outbound.Kind.SIGN and order.signed_at is None:
            order.signed_at = now
            if order.state == Order.State.RECEIVED:
                order.state = Order.State.SIGNED
        elif message.kind == Outbound.Kind.RESULT and order.answered_at is None:
            order.answered_at, order.state = now, Order.State.ANSWERED
        order.save(update_fields=["signed_at", "answered_at", "state"])
        _link_alive(now)


def _failed(message: Outbound, error: str, *, permanent: bool, now: datetime) -> None:
    attempts = message.attempts  # read after the claim counted this attempt
    dead = permanent or attempts >= settings.EXCHANGE_12345_MAX_ATTEMPTS
    message.state = Outbound.State.DEAD if dead else Outbound.State.FAILED
    with transaction.atomic():
        Outbound.objects.filter(pk=message.pk).update(
            state=message.state,
            last_error=error[:1000],
            next_attempt_at=None if dead else now + _backoff(attempts),
        )
        link = _link_row()
        link.consecutive_failures += 1
        link.last_failure_at, link.last_error = now, error[:1000]
        link.save()
        if link.consecutive_failures >= settings.EXCHANGE_12345_DEAD_AFTER_FAILURES:
            _alert(
                link,
                now,
                _("%(n)d messages in a row failed; the last: %(error)s")
                % {"n": link.consecutive_failures, "error": error[:200]},
            )


# --- the exchange's health -----------------------------------------------------------------


def _link_row() -> Link:
    link, _created = Link.objects.select_for_update().get_or_create(name=LINK)
    return link


def _link_alive(now: datetime) -> None:
    Link.objects.get_or_create(name=LINK)
    Link.objects.filter(name=LINK).filter(
        Q(last_success_at__isnull=True)
        | Q(last_success_at__lt=now - timedelta(seconds=10))
        | Q(consecutive_failures__gt=0)
    ).update(consecutive_failures=0, last_success_at=now)


def _alert(link: Link, now: datetime, why: str) -> int:
    """Tell the service office once per outage (until the next success)."""
    if link.alerted_at is not None and (
        link.last_success_at is None or link.alerted_at > link.last_success_at
    ):
        return 0
    link.alerted_at = now
    link.save(update_fields=["alerted_at"])
    office = everyone_holding(Position.SERVICE_OFFICE)
    return notify_staff(
        office,
        _("The 12345 exchange is down"),
        why,
        link="/exchange/12345/",
        reference="exchange:12345",
        dedupe_prefix=f"exchange:dead:{now:%Y%m%d%H%M%S}",
    )


def check_health(*, now: datetime | None = None) -> int:
    """Alert when messages wait and nothing succeeded for the silence window."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.EXCHANGE_12345_SILENCE_MINUTES)
    waiting = Outbound.objects.filter(
        state__in=[Outbound.State.PENDING, Outbound.State.FAILED, Outbound.State.DEAD],
        created_at__lte=now - window,
    ).exists()
    if not waiting:
        return 0
    with transaction.atomic():
        link = _link_row()
        if link.last_success_at is not None and link.last_success_at > now - window:
            return 0
        return _alert(
            link,
            now,
            _("Nothing was exchanged with 12345 for %(minutes)d minutes while messages wait.")
            % {"minutes": settings.EXCHANGE_12345_SILENCE_MINUTES},
        )
