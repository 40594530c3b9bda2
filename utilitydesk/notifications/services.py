import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.kernel.background import enqueue

from .backends import backend_for
from .checks import placeholders
from .delivery import NO_ANSWER
from .models import Channel, Message
from .notices import render_notice
from .tasks import deliver_notices_task

REDACTED = "******"


def _fill(body: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        body = body.replace("{" + name + "}", value)
    return body


def send(
    channel: str,
    body: str,
    *,
    recipient: Actor | None = None,
    address: str = "",
    subject: str = "",
    link: str = "",
    reference: str = "",
    dedupe_key: str | None = None,
    secret: Mapping[str, str] | None = None,
    sent_by: Actor | None = None,
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
    users: Iterable[Actor],
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
    sent_by: Actor | None = None,
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


def texts_sent_by(user: Actor, since: datetime) -> int:
    """Texts to customers a staff member sent since ``since`` (their daily limit)."""
    return Message.objects.filter(sent_by=user, channel=Channel.SMS, created_at__gte=since).count()


def deliver_queued(limit: int = 1000) -> int:
    """Deliver messages recorded as queued (the sweeper writes them in bulk). Each message
    is claimed under a row lock, so two runners never send one twice."""

    delivered = 0
    with transaction.atomic():
        # Customer notices (with a template) go through notifications/delivery.py.
        queued = Message.objects.filter(status=Message.Status.QUEUED, template_code="").order_by(
            "id"
        )
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


def staff_mobile(user: Actor) -> str:
    profile = getattr(user, "profile", None)
    return profile.mobile if profile is not None else ""


def mark_read(user: Actor, message_ids: list[int] | None = None) -> int:
    """Mark the user's inbox messages (all, or the given ones) as read."""
    queryset = Message.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if message_ids is not None:
        queryset = queryset.filter(pk__in=message_ids)
    return queryset.update(read_at=timezone.now())


# --- Customer notices ----------------------------------------------------------------------

# The columns a notice row gets one by one; every other column is the same for the batch.
_PER_ROW = ("address", "customer_id", "dedupe_key")


def _constant_columns(values: dict[str, Any]) -> "list[tuple[models.Field[Any, Any], Any]]":
    """(field, value) for every column but the id and the per-row ones: given values, else
    the field's default (Django writes defaults itself, the table has none)."""
    columns = []
    for field in Message._meta.concrete_fields:
        if field.primary_key or field.attname in _PER_ROW:
            continue
        if field.attname in values:
            value = values[field.attname]
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        columns.append((field, value))
    return columns


def _insert_notices_postgres(
    rows: list[tuple[str, int | None, str]], values: dict[str, Any]
) -> int:
    """COPY the per-row columns into a temporary table, then one INSERT … SELECT … ON
    CONFLICT DO NOTHING: 100,000 rows in about a second; returns the rows inserted."""
    table = connection.ops.quote_name(Message._meta.db_table)
    constants = _constant_columns(values)
    names = [connection.ops.quote_name(str(f.column)) for f, _v in constants]
    prepared = [f.get_db_prep_save(v, connection) for f, v in constants]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS notice_recipients "
            "(ord integer, address varchar(64), customer_id bigint, dedupe_key varchar(128)) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE notice_recipients")
        with cursor.cursor.copy(
            "COPY notice_recipients (ord, address, customer_id, dedupe_key) FROM STDIN"
        ) as copy:
            for index, (address, customer_id, key) in enumerate(rows):
                copy.write_row((index, address, customer_id, key))
        cursor.execute(
            f"INSERT INTO {table} (address, customer_id, dedupe_key, {', '.join(names)}) "  # nosec B608: names from model metadata
            f"SELECT r.address, r.customer_id, r.dedupe_key, {', '.join(['%s'] * len(names))} "
            "FROM notice_recipients r ORDER BY r.ord ON CONFLICT (dedupe_key) DO NOTHING",
            prepared,
        )
        inserted = int(cursor.rowcount)
        cursor.execute("TRUNCATE notice_recipients")
    return inserted


def _insert_notices_portable(
    rows: list[tuple[str, int | None, str]], values: dict[str, Any]
) -> int:
    keys = [key for _a, _c, key in rows]
    existing = 0
    for begin in range(0, len(keys), 900):
        existing += Message.objects.filter(dedupe_key__in=keys[begin : begin + 900]).count()
    Message.objects.bulk_create(
        [
            Message(address=address, customer_id=customer_id, dedupe_key=key, **values)
            for address, customer_id, key in rows
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return len(rows) - existing


def notice_key(*, reference: str, event_key: str, phone: str) -> str:
    """A phone gets one notice per event of a reference, however often it is queued."""
    return f"{reference}:{event_key}:{phone}"


def schedule_delivery(count: int) -> None:
    """Start delivery runs for ``count`` new notices: one per claim batch, at most
    NOTIFICATION_PARALLEL_RUNS (each run claims until nothing is due)."""
    if count <= 0:
        return
    if settings.BACKGROUND_MODE == "sync":  # inline (tests): one run sends them all
        enqueue(deliver_notices_task)
        return
    runs = min(
        max(1, settings.NOTIFICATION_PARALLEL_RUNS),
        math.ceil(count / max(1, settings.NOTIFICATION_CLAIM_BATCH)),
    )
    for _run in range(runs):
        enqueue(deliver_notices_task)


def queue_customer_notices(
    *,
    reference: str,
    event_key: str,
    template_code: str,
    params: dict[str, str],
    recipients: Iterable[tuple[int | None, str]],
    actor: Any,  # noqa: ARG001 - the convention: the caller records who acted
    now: datetime,
) -> int:
    """Queue one notice per phone of ``recipients`` ((customer id, phone) pairs): the
    template rendered with ``params`` (refused with ValidationError when a value is missing
    or the text holds a forbidden phrase), one row per phone, written set-wise. A phone
    already told about this event of this reference is skipped (``dedupe_key``), so calling
    again — two dispatchers, a retried request — queues nothing twice. Delivery starts when
    the caller's transaction commits. Returns how many notices were newly queued."""
    notice = render_notice(template_code=template_code, params=params)
    rows: list[tuple[str, int | None, str]] = []
    seen: set[str] = set()
    for customer_id, phone in recipients:
        phone = (phone or "").strip()
        if not phone or phone in seen:
            continue
        seen.add(phone)
        key = notice_key(reference=reference, event_key=event_key, phone=phone)
        if len(key) > 128 or len(phone) > 64:
            raise ValueError(f"notice key too long: {key!r}")
        rows.append((phone, customer_id, key))
    if not rows:
        return 0
    values = {
        "channel": notice.template.channel,
        "body": notice.text,
        "reference": reference[:64],
        "template_code": notice.template.code,
        "params": dict(zip(placeholders(notice.template.text), notice.values, strict=True)),
        "status": Message.Status.QUEUED,
        "created_at": now,
        "next_attempt_at": now,
    }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            created = _insert_notices_postgres(rows, values)
        else:
            created = _insert_notices_portable(rows, values)
        transaction.on_commit(lambda: schedule_delivery(created))
    return created


def notice_status(reference: str) -> dict[str, int]:
    """How many notices of ``reference`` are in each status (every status listed)."""
    counts = dict.fromkeys(Message.Status.values, 0)
    for row in (
        Message.objects.filter(reference=reference)
        .exclude(template_code="")
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    ):
        counts[row["status"]] = row["n"]
    return counts


# --- Status reports (the provider's callback) ----------------------------------------------

REPORT_WINDOW = timedelta(days=3)


def _received_at(text: str, *, now: datetime) -> datetime:
    """The report's local time ("2026-12-03 08:03:04", the company's time zone)."""
    try:
        moment = datetime.strptime((text or "").strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return now
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _apply_report(message: Message, report: Mapping[str, Any], *, now: datetime) -> bool:
    status = str(report.get("report_status", "")).upper()
    if status == "SUCCESS":
        message.status = Message.Status.DELIVERED
        message.report_status = Message.Report.SUCCESS
        message.delivered_at = _received_at(str(report.get("user_receive_time", "")), now=now)
        message.error, message.error_code = "", ""
        return True
    if status == "FAIL" and message.status != Message.Status.DELIVERED:
        message.status = Message.Status.FAILED
        message.report_status = Message.Report.FAIL
        code = str(report.get("errmsg", ""))[:64]
        message.error_code = code
        message.error = f"{code} {report.get('description', '')}".strip()[:2000]
        return True
    return False


def apply_status_reports(
    reports: Iterable[Mapping[str, Any]], *, provider: str, now: datetime
) -> int:
    """Record the provider's status reports (one per text: ``sid`` = the SerialNo it gave,
    ``report_status`` SUCCESS or FAIL). A report whose serial number is unknown may be for
    a text whose answer was lost (failed as "outcome unknown"): it is matched by phone
    among those of the last days. Returns how many messages changed; repeats are harmless."""
    by_serial: dict[str, Mapping[str, Any]] = {}
    for report in reports:
        sid = str(report.get("sid") or "")[:64]
        if sid:
            by_serial[sid] = report
    if not by_serial:
        return 0
    fields = ["status", "report_status", "delivered_at", "error", "error_code", "provider_id"]
    changed: list[Message] = []
    with transaction.atomic():
        found = {
            m.provider_id: m
            for m in Message.objects.select_for_update()
            .filter(provider=provider, provider_id__in=list(by_serial))
            .only("id", *fields)
        }
        for sid, report in by_serial.items():
            message = found.get(sid) or _unknown_outcome_for(report, provider=provider, now=now)
            if message is None:
                continue
            message.provider_id = sid
            if _apply_report(message, report, now=now):
                changed.append(message)
        Message.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def _unknown_outcome_for(
    report: Mapping[str, Any], *, provider: str, now: datetime
) -> Message | None:
    mobile = str(report.get("mobile") or "")
    if not mobile.isdigit():
        return None
    return (
        Message.objects.select_for_update()
        .filter(
            provider=provider,
            provider_id="",
            status=Message.Status.FAILED,
            error_code=NO_ANSWER,
            address__in=[mobile, f"+86{mobile}", f"86{mobile}"],
            submitted_at__gte=now - REPORT_WINDOW,
        )
        .order_by("-submitted_at", "-id")
        .first()
    )


# --- The failed-delivery list ------------------------------------------------------------

WORK_FAILED = "notifications.work_failed_notices"


def _may_work_failed(*, actor: Any) -> None:
    if actor is None or not actor.has_perm(WORK_FAILED):
        raise PermissionDenied


def failed_customer_messages() -> QuerySet[Message]:
    """Texts and WeChat messages to customers that did not reach them."""
    return Message.objects.filter(
        status=Message.Status.FAILED,
        channel__in=[Channel.SMS, Channel.WECHAT],
        recipient__isnull=True,
    )


def retry_failed(
    *, actor: Any, now: datetime, message_ids: Iterable[int] = (), reference: str = ""
) -> int:
    """Send failed customer messages again (the given ones, or every open one of a
    reference): back in the queue with their attempts reset and the old serial number
    dropped; delivery starts after commit. Returns how many were queued."""
    _may_work_failed(actor=actor)
    ids = [int(pk) for pk in message_ids]
    if not ids and not reference:
        return 0
    with transaction.atomic():
        chosen = failed_customer_messages().exclude(handling=Message.Handling.REACHED_BY_PHONE)
        chosen = chosen.filter(pk__in=ids) if ids else chosen.filter(reference=reference)
        locked = list(chosen.select_for_update().values_list("pk", flat=True))
        count = Message.objects.filter(pk__in=locked).update(
            status=Message.Status.QUEUED,
            attempts=0,
            next_attempt_at=now,
            submitted_at=None,
            provider_id="",
            report_status="",
            handling=Message.Handling.RETRIED,
            handled_at=now,
            handled_by=actor,
        )
        transaction.on_commit(lambda: schedule_delivery(count))
    return count


def record_reached_by_phone(message_id: int, note: str, *, actor: Any, now: datetime) -> Message:
    """The agent reached the customer by phone instead: the message leaves the open list."""
    _may_work_failed(actor=actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what the customer was told.")})
    with transaction.atomic():
        message = failed_customer_messages().select_for_update().filter(pk=message_id).first()
        if message is None:
            raise ValidationError(_("This message is no longer in the failed list."))
        message.handling = Message.Handling.REACHED_BY_PHONE
        message.handling_note = note[:500]
        message.handled_at, message.handled_by = now, actor
        message.save(update_fields=["handling", "handling_note", "handled_at", "handled_by"])
    return message
