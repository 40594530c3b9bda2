"""The case timeline's one writer: every numbered event of a case is built here — by the
lifecycle engine, intake, other apps' changes (``append_event``) and the sweeper's
batches (``next_event``, bulk-created by the caller)."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from utilitydesk.accounts.typing import Actor
from utilitydesk.org.models import OrgUnit

from ..hooks import Hold
from ..models import Case, CaseEvent, RoutingRule, Status


def next_event(
    case: Case,
    *,
    action: str,
    at: datetime,
    actor: Actor | None = None,
    before: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The case's next numbered event, unsaved: the case's counter moves on (the caller
    holds the case locked, or owns it in a batch, and saves both)."""
    case.last_event_seq += 1
    return CaseEvent(
        case=case,
        seq=case.last_event_seq,
        at=at,
        actor_id=actor.pk if actor is not None else None,
        action=action,
        from_status=case.status if before is None else before,
        to_status=case.status,
        note=note,
        data=data or {},
    )


def record_event(
    case: Case,
    action: str,
    before: str,
    note: str = "",
    *,
    actor: Actor | None,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Save the case's next event (the caller saves the case's counter)."""
    event = next_event(case, action=action, at=at, actor=actor, before=before, note=note, data=data)
    event.save(force_insert=True)
    return event


def append_event(
    case: Case,
    action: str,
    note: str = "",
    *,
    actor: Actor | None,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """A timeline event for a change another app makes to a case the caller has locked
    (select_for_update), e.g. a complaint's new category: numbered like every event, and
    the case's version moves on so that stale forms are refused."""
    event = record_event(
        case, action, case.status, note, actor=actor, at=now or timezone.now(), data=data
    )
    case.version += 1
    case.updated_at = event.at
    case.save(update_fields=["last_event_seq", "version", "updated_at"])
    return event


def creation_events(
    case: Case,
    unit: OrgUnit | None,
    rule: RoutingRule | None,
    channel: str = "",
    hold: Hold | None = None,
    *,
    actor: Actor,
    now: datetime,
) -> list[CaseEvent]:
    """The first timeline events of a new case: registered, and dispatched when a rule
    placed it (unsaved; callers bulk-create them; the case is created with
    ``last_event_seq`` = their number)."""
    actor_id = actor.pk
    events = [
        CaseEvent(
            case=case,
            seq=1,
            at=now,
            actor_id=actor_id,
            action="registered",
            to_status=Status.REGISTERED,
            data={"channel": channel} if channel else {},
        )
    ]
    if unit is not None:
        events.append(
            CaseEvent(
                case=case,
                seq=2,
                at=now,
                actor_id=actor_id,
                action="dispatched",
                from_status=Status.REGISTERED,
                to_status=Status.DISPATCHED,
                data={"unit": unit.name, "rule": rule.name if rule else ""},
            )
        )
    elif hold is not None:
        events.append(
            CaseEvent(
                case=case,
                seq=2,
                at=now,
                actor_id=actor_id,
                action="held",
                from_status=Status.REGISTERED,
                to_status=Status.REGISTERED,
                note=hold.note,
                data={"reference": hold.reference},
            )
        )
    return events
