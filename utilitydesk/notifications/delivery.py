"""Delivery of queued customer notices (messages with a notice template).

A run (Celery task ``notifications.deliver_notices``; queued notices start runs after
their transaction commits, the periodic job picks up retries) repeats:

1. **claim** up to NOTIFICATION_CLAIM_BATCH due messages: status ``sending``, a claim
   token, a lease (``lease_expires_at``), attempts + 1 — committed before anything is sent
   (``select_for_update(skip_locked)`` on PostgreSQL lets runs claim side by side; the
   claim is a conditional update, so two runs never hold one message, also on SQLite);
2. **group** them by channel, template and values, and cut each group into requests of
   the backend's ``max_batch`` numbers (Tencent: 200);
3. per request, take the provider's **rate** from the shared token bucket (waiting, or
   giving the messages back when the wait is long), **mark** them ``submitted_at`` (a
   committed write just before the call), call the provider, and **record** each
   message's outcome: sent (with the provider's serial number), retried later with
   exponential backoff, or failed (the failed-delivery list).

At most once: a run that dies leaves its messages ``sending`` until their lease expires.
The next run puts back those never submitted (the provider was not called for them:
sending them is safe); one submitted without a recorded outcome may have reached the
provider, so it is not sent again automatically: it is marked failed with the code
``UtilityDesk.NoAnswer`` and listed for an agent (a status report arriving later for
that phone marks it delivered). A notice is therefore never sent twice to one phone for
one event; the price is that a crash in the instant of a provider call needs a person."""

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import ratelimit
from .backends import Outcome, backend_for
from .checks import placeholders
from .models import Message, NoticeTemplate
from .transport import NO_ANSWER

NO_TEMPLATE = "UtilityDesk.NoProviderTemplate"
BACKEND_ERROR = "UtilityDesk.BackendError"


def _now() -> datetime:
    return timezone.now()


def backoff(
    attempts: int, *, base_seconds: int | None = None, max_seconds: int | None = None
) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped (the notices'
    settings unless another sender gives its own)."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS if base_seconds is None else base_seconds
    cap = settings.NOTIFICATION_RETRY_MAX_SECONDS if max_seconds is None else max_seconds
    return timedelta(seconds=min(base * 2 ** max(0, attempts - 1), cap))


@dataclass
class RunResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    more_due: bool = False


def recover_stale(*, now: datetime) -> tuple[int, int]:
    """Messages whose run died: back to the queue when the provider was never called for
    them, failed as "outcome unknown" when it was (never sent twice). Returns both counts."""
    stale = Message.objects.filter(status=Message.Status.SENDING, lease_expires_at__lt=now)
    requeued = stale.filter(submitted_at__isnull=True).update(
        status=Message.Status.QUEUED,
        claim_token="",  # nosec B106: a claim id cleared, not a password
        lease_expires_at=None,
        next_attempt_at=now,
        attempts=F("attempts") - 1,
    )
    unknown = stale.filter(submitted_at__isnull=False).update(
        status=Message.Status.FAILED,
        claim_token="",  # nosec B106: a claim id cleared, not a password
        lease_expires_at=None,
        error_code=NO_ANSWER,
        error="The delivery run stopped during the provider call: the text may have been sent.",
    )
    return requeued, unknown


def claim(*, now: datetime, limit: int) -> list[Message]:
    """Take up to ``limit`` due notices for this run (committed before returning)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = Message.objects.filter(
            status=Message.Status.QUEUED, next_attempt_at__lte=now
        ).exclude(template_code="")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED).update(
            status=Message.Status.SENDING,
            claim_token=token,
            lease_expires_at=now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            submitted_at=None,
        )
    return list(
        Message.objects.filter(pk__in=ids, claim_token=token, status=Message.Status.SENDING)
        .order_by("id")
        .only(
            "id",
            "channel",
            "address",
            "body",
            "template_code",
            "params",
            "attempts",
            "claim_token",
            "provider_id",
        )
    )


def release(messages: Sequence[Message], *, until: datetime) -> int:
    """Give claimed messages back unsent (the rate limit asked for a long wait)."""
    return Message.objects.filter(
        pk__in=[m.pk for m in messages], claim_token=messages[0].claim_token
    ).update(
        status=Message.Status.QUEUED,
        claim_token="",  # nosec B106: a claim id cleared, not a password
        lease_expires_at=None,
        next_attempt_at=until,
        attempts=F("attempts") - 1,
    )


def _mark_submitted(messages: Sequence[Message], now: datetime) -> list[Message]:
    """Written (and committed) just before the provider call: from here on a lost answer
    means "may have been sent". Returns the messages this run still holds."""
    token = messages[0].claim_token
    ids = [m.pk for m in messages]
    marked = Message.objects.filter(
        pk__in=ids, claim_token=token, status=Message.Status.SENDING
    ).update(submitted_at=now)
    if marked == len(ids):
        return list(messages)
    held = set(
        Message.objects.filter(
            pk__in=ids, claim_token=token, status=Message.Status.SENDING
        ).values_list("pk", flat=True)
    )
    return [m for m in messages if m.pk in held]


def _record(
    messages: Sequence[Message], outcomes: list[Outcome], provider: str, now: datetime
) -> RunResult:
    """Write each message's outcome set-wise: one update for those sent (their serial
    numbers by one executemany), one per kind of failure."""
    result = RunResult()
    by_id = {o.message_id: o for o in outcomes}
    serials: list[tuple[str, int]] = []
    failures: dict[tuple[str, str, str, datetime | None], list[int]] = defaultdict(list)
    for message in messages:
        outcome = by_id.get(message.pk) or Outcome(
            message.pk, False, code=NO_ANSWER, error="no outcome from the backend", unknown=True
        )
        if outcome.sent:
            serials.append((outcome.serial, message.pk))
            result.sent += 1
        elif (
            outcome.retryable
            and not outcome.unknown
            and message.attempts < settings.NOTIFICATION_MAX_ATTEMPTS
        ):
            key = (Message.Status.QUEUED, outcome.error[:2000], outcome.code[:64])
            failures[(*key, now + backoff(message.attempts))].append(message.pk)
            result.retried += 1
        else:
            key = (Message.Status.FAILED, outcome.error[:2000], outcome.code[:64])
            failures[(*key, None)].append(message.pk)
            result.failed += 1
    released = {
        "lease_expires_at": None,
        "claim_token": "",  # nosec B105: a claim id cleared, not a password
        "provider": provider,
    }
    with transaction.atomic():
        if serials:
            Message.objects.filter(pk__in=[pk for _s, pk in serials]).update(
                status=Message.Status.SENT,
                sent_at=now,
                error="",
                error_code="",
                next_attempt_at=None,
                **released,
            )
            table = connection.ops.quote_name(Message._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET provider_id = %s WHERE id = %s AND %s <> ''",  # nosec B608: table from model metadata
                    [(serial, pk, serial) for serial, pk in serials],
                )
        for (status, error, code, next_at), ids in failures.items():
            again = {"submitted_at": None} if status == Message.Status.QUEUED else {}
            Message.objects.filter(pk__in=ids).update(
                status=status,
                error=error,
                error_code=code,
                next_attempt_at=next_at,
                **released,
                **again,
            )
    return result


def _send_request(
    messages: Sequence[Message],
    backend: Any,
    call: Callable[[Sequence[Message]], list[Outcome]],
) -> RunResult:
    provider = getattr(backend, "provider", messages[0].channel)
    grant = ratelimit.take(
        provider, len(messages), rate=float(getattr(backend, "rate_per_second", 0) or 0)
    )
    if not grant.granted:
        release(messages, until=_now() + timedelta(seconds=grant.wait))
        return RunResult(more_due=True)
    ratelimit.wait_for(grant)
    now = _now()
    held = _mark_submitted(messages, now)
    if not held:
        return RunResult()
    try:
        outcomes = call(held)
    except Exception as error:  # a backend bug must not leave the claim hanging
        outcomes = [
            Outcome(m.pk, False, code=BACKEND_ERROR, error=str(error)[:500], unknown=True)
            for m in held
        ]
    return _record(held, outcomes, provider, _now())


def _deliver_one_by_one(backend: Any) -> Callable[[Sequence[Message]], list[Outcome]]:
    def call(messages: Sequence[Message]) -> list[Outcome]:
        outcomes = []
        for message in messages:
            try:
                backend.deliver(message, None)
            except Exception as error:
                outcomes.append(Outcome(message.pk, False, code=BACKEND_ERROR, error=str(error)))
            else:
                outcomes.append(Outcome(message.pk, True, serial=message.provider_id))
        return outcomes

    return call


def _send_template(
    backend: Any, template_id: str, values: list[str]
) -> Callable[[Sequence[Message]], list[Outcome]]:
    def call(messages: Sequence[Message]) -> list[Outcome]:
        outcomes: list[Outcome] = backend.send_notices(template_id, values, messages)
        return outcomes

    return call


def _requests(messages: list[Message], size: int) -> list[list[Message]]:
    """Cut into requests of at most ``size``, each number at most once per request."""
    requests: list[tuple[list[Message], set[str]]] = []
    for message in messages:
        for request, numbers in requests:
            if len(request) < size and message.address not in numbers:
                request.append(message)
                numbers.add(message.address)
                break
        else:
            requests.append(([message], {message.address}))
    return [request for request, _numbers in requests]


def send_claimed(messages: list[Message]) -> RunResult:
    total = RunResult()
    templates = {
        t.code: t
        for t in NoticeTemplate.objects.filter(code__in={m.template_code for m in messages})
    }
    groups: dict[tuple[str, str, str], list[Message]] = defaultdict(list)
    for message in messages:
        params = json.dumps(message.params, sort_keys=True, ensure_ascii=False)
        groups[(message.channel, message.template_code, params)].append(message)
    backends: dict[str, Any] = {}
    for (channel, code, _params), group in groups.items():
        backend = backends.get(channel) or backends.setdefault(channel, backend_for(channel))
        template = templates.get(code)
        if hasattr(backend, "send_notices"):
            size = int(getattr(backend, "max_batch", 1))
            values = _values(template, group[0].params)
            if template is None or values is None or not template.provider_template_id:
                outcomes = [
                    Outcome(
                        m.pk,
                        False,
                        code=NO_TEMPLATE,
                        error=f"notice template {code} has no provider template id or lost a value",
                    )
                    for m in group
                ]
                _tally(
                    total, _record(group, outcomes, getattr(backend, "provider", channel), _now())
                )
                continue
            call = _send_template(backend, template.provider_template_id, values)
        else:
            size, call = 50, _deliver_one_by_one(backend)
        for request in _requests(group, size):
            if total.more_due:  # the rate limit asked for a long wait: give the rest back
                release(request, until=_now() + timedelta(seconds=1))
                continue
            _tally(total, _send_request(request, backend, call))
    return total


def _values(template: NoticeTemplate | None, params: dict[str, str]) -> list[str] | None:
    if template is None:
        return None
    try:
        return [str(params[name]) for name in placeholders(template.text)]
    except KeyError:
        return None


def _tally(total: RunResult, part: RunResult) -> None:
    total.sent += part.sent
    total.failed += part.failed
    total.retried += part.retried
    total.more_due = total.more_due or part.more_due


def deliver_due(*, limit: int | None = None, run_seconds: float | None = None) -> RunResult:
    """One delivery run: recover dead runs' messages, then claim and send until nothing is
    due or the run's time is up (``more_due`` then says work is left)."""
    limit = limit or settings.NOTIFICATION_CLAIM_BATCH
    budget = settings.NOTIFICATION_RUN_SECONDS if run_seconds is None else run_seconds
    started = time.monotonic()
    recover_stale(now=_now())
    total = RunResult()
    while True:
        claimed = claim(now=_now(), limit=limit)
        if not claimed:
            total.more_due = False
            break
        _tally(total, send_claimed(claimed))
        if total.more_due or time.monotonic() - started >= budget:
            total.more_due = True
            break
    return total
