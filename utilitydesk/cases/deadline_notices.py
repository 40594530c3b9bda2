"""Deadline notices (warnings and overdue notices) belong to who held the case when they
were sent: who holds a case, and withdrawing the notices of people who no longer do. Used
by the sweeper (cases/sweeper.py) and by every transition (cases/deadlines.py)."""

from datetime import datetime

from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.org.selectors import holders_of

from .deadline_models import CaseDeadline
from .models import OPEN_STATUSES, Case


def owners(case: Case, holders_cache: dict) -> list:
    """Who holds an open case: its technician, else its unit's head (station head, or
    department head)."""
    if case.assignee_id:
        return [case.assignee]
    if case.responsible_unit_id is None:
        return []
    return holders(Position.STATION_HEAD, case.responsible_unit, holders_cache) or holders(
        Position.DEPARTMENT_HEAD, case.responsible_unit, holders_cache
    )


NOTICE_KINDS = (Message.Kind.DEADLINE_WARNING, Message.Kind.DEADLINE_OVERDUE)


def withdraw_notices(case: Case, deadlines: list[CaseDeadline], now: datetime) -> list:
    """After ``case`` moved on (inside its transaction, the row locked): mark withdrawn the
    deadline notices of people who no longer hold it — everyone once it is resolved,
    closed or cancelled; the old unit's heads once it is sent elsewhere; the old
    technician once it is given to another — and warnings of deadlines no longer running.

    Returns the running (or paused) deadlines whose warning was withdrawn, with
    ``warned_at`` cleared: whoever holds the case now is warned in their turn."""
    notices = list(
        Message.objects.filter(
            reference=f"case:{case.number}", kind__in=NOTICE_KINDS, obsolete_at__isnull=True
        ).only("id", "recipient_id", "kind", "dedupe_key")
    )
    if not notices:
        return []
    holding = {u.pk for u in owners(case, {})} if case.status in OPEN_STATUSES else set()
    state: dict[int | None, str] = {d.pk: d.state for d in deadlines}
    withdrawn, again, kept = [], set(), set()
    for notice in notices:
        deadline_id = _deadline_of(notice)
        warning = notice.kind == Message.Kind.DEADLINE_WARNING
        running = state.get(deadline_id) == CaseDeadline.State.PENDING
        if notice.recipient_id in holding and (running or not warning):
            if warning:
                kept.add(deadline_id)
            continue
        withdrawn.append(notice.pk)
        if warning and holding and state.get(deadline_id) in RUNNING:
            again.add(deadline_id)
    Message.objects.filter(pk__in=withdrawn).update(obsolete_at=now)
    rewarn = [d for d in deadlines if d.pk in again - kept and d.warned_at is not None]
    for deadline in rewarn:
        deadline.warned_at = None
    return rewarn


RUNNING = (CaseDeadline.State.PENDING, CaseDeadline.State.PAUSED)


def _deadline_of(notice: Message) -> int | None:
    """The deadline a notice is about, from its key ("warn:<deadline>:v<version>:<user>")."""
    parts = (notice.dedupe_key or "").split(":")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdecimal() else None


def holders(position: str, unit, cache: dict) -> list:
    """The holders of ``position`` for ``unit``, once per sweep (``cache``)."""
    key = (position, unit.pk)
    if key not in cache:
        cache[key] = holders_of(position, unit)
    return cache[key]
