"""The sweeper: one idempotent pass over the cases whose next check is due.

For each such case (found through the indexed Case.next_check_at, locked with SKIP LOCKED
so two sweepers never take the same case) it warns the owner shortly before a deadline
(the lead from the case's policy version), records breaches, and runs the escalation
ladder — each level once, recorded in the timeline, its targets notified once. Work is
done in batches with bulk writes.

Warnings and overdue notices belong to who held the case when they were sent:
``withdraw_notices`` (cases/deadline_notices.py) marks them withdrawn when the case moves
on."""

from collections import Counter
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.notifications.models import Channel, Message
from utilitydesk.notifications.services import deliver_queued, staff_mobile
from utilitydesk.org.models import Position
from utilitydesk.policy.models import warning_lead
from utilitydesk.policy.services import escalation_levels

from .deadline_models import CaseDeadline, CaseEscalation
from .deadline_notices import holders, owners
from .deadlines import next_check
from .hooks import CaseHook, announce
from .models import OPEN_STATUSES, Case, CaseEvent
from .services.events import next_event

BATCH = 2000


# The timeline events the sweeper writes (each has a label in cases/labels.py).
EVENT_ACTIONS = ("deadline_breached", "escalated")
SWEEPER_HOOKS = {
    "deadline_breached": CaseHook.DEADLINE_BREACHED,
    "escalated": CaseHook.ESCALATED,
}


def sweep(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    now = now or timezone.now()
    summary: Counter = Counter(
        {"checked": 0, "warnings": 0, "breaches": 0, "escalations": 0, "notifications": 0}
    )
    holders_cache: dict[tuple[str, int], list] = {}
    while True:
        with transaction.atomic():
            due = Case.objects.filter(next_check_at__lte=now).order_by("next_check_at")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            ids = list(due.values_list("id", flat=True)[:batch])
            if ids:
                _process(ids, now, summary, holders_cache)
        if len(ids) < batch:
            break
    summary["delivered"] += deliver_queued()
    return dict(summary)


def _process(ids: list[int], now: datetime, summary: Counter, holders_cache) -> None:
    cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in=ids)
        .select_related("responsible_unit", "assignee", "policy_version")
        .only(
            "number",
            "kind",
            "status",
            "received_at",
            "address_text",
            "last_event_seq",
            "next_check_at",
            "responsible_unit",
            "assignee",
            "policy_version",
            "version",
        )
    }
    deadlines: dict[int, list[CaseDeadline]] = {pk: [] for pk in cases}
    # Only running deadlines matter: met, breached and paused ones need no sweeping.
    for deadline in CaseDeadline.objects.filter(case_id__in=ids, state=CaseDeadline.State.PENDING):
        deadlines[deadline.case_id].append(deadline)
    escalated: dict[int, set[int]] = {pk: set() for pk in cases}
    for case_id, level_no in CaseEscalation.objects.filter(case_id__in=ids).values_list(
        "case_id", "level"
    ):
        escalated[case_id].add(level_no)

    events: list[CaseEvent] = []
    escalations: list[CaseEscalation] = []
    messages: list[Message] = []
    changed_deadlines: dict[int, CaseDeadline] = {}

    announcements: list[tuple[CaseHook, Case, dict]] = []

    def event(case: Case, action: str, note: str, **data) -> None:
        if action in SWEEPER_HOOKS:
            announcements.append((SWEEPER_HOOKS[action], case, data))
        events.append(next_event(case, action=action, at=now, note=note, data=data))

    def notify(
        users, channel: str, subject: str, body: str, case: Case, key: str, kind: str = ""
    ) -> None:
        for user in users:
            phone = staff_mobile(user) if channel != Channel.INBOX else ""
            if channel != Channel.INBOX and not phone:
                channel = Channel.INBOX  # no number on file: the inbox still reaches them
            messages.append(
                Message(
                    channel=channel,
                    recipient=user,
                    address=phone,
                    subject=subject,
                    body=body,
                    link=f"/cases/{case.number}/",
                    reference=f"case:{case.number}",
                    dedupe_key=f"{key}:{user.pk}",
                    status=Message.Status.SENT
                    if channel == Channel.INBOX
                    else Message.Status.QUEUED,
                    sent_at=now if channel == Channel.INBOX else None,
                    created_at=now,
                    kind=kind,
                )
            )
            summary["notifications"] += 1

    for case in cases.values():
        summary["checked"] += 1
        # Only an open case has a holder to tell (a resolved one waits for its callback).
        holding = owners(case, holders_cache) if case.status in OPEN_STATUSES else []
        for deadline in deadlines[case.pk]:
            if deadline.state != CaseDeadline.State.PENDING:
                continue
            label = deadline.get_name_display()
            if deadline.due_at <= now:
                deadline.state = CaseDeadline.State.BREACHED
                deadline.breached_at = deadline.due_at
                changed_deadlines[deadline.pk] = deadline
                event(
                    case,
                    "deadline_breached",
                    str(label),
                    deadline=deadline.name,
                    due_at=deadline.due_at.isoformat(),
                )
                notify(
                    holding,
                    Channel.INBOX,
                    _("Overdue: %(number)s") % {"number": case.number},
                    _("%(limit)s of case %(number)s was due at %(due)s.")
                    % {
                        "limit": label,
                        "number": case.number,
                        "due": timezone.localtime(deadline.due_at).strftime("%m-%d %H:%M"),
                    },
                    case,
                    f"breach:{deadline.pk}:v{case.version}",
                    Message.Kind.DEADLINE_OVERDUE,
                )
                summary["breaches"] += 1
            elif (
                deadline.warned_at is None
                and deadline.due_at
                - warning_lead(case.policy_version, deadline.amount, deadline.unit)
                <= now
            ):
                deadline.warned_at = now
                changed_deadlines[deadline.pk] = deadline
                notify(
                    holding,
                    Channel.INBOX,
                    _("Due soon: %(number)s") % {"number": case.number},
                    _("%(limit)s of case %(number)s is due at %(due)s.")
                    % {
                        "limit": label,
                        "number": case.number,
                        "due": timezone.localtime(deadline.due_at).strftime("%m-%d %H:%M"),
                    },
                    case,
                    # A new holder (same deadline, later version of the case) is warned too.
                    f"warn:{deadline.pk}:v{case.version}",
                    Message.Kind.DEADLINE_WARNING,
                )
                summary["warnings"] += 1
        if case.status in OPEN_STATUSES and case.policy_version_id and case.responsible_unit_id:
            for level in escalation_levels(case.policy_version_id):
                if level.level in escalated[case.pk] or not level.applies_to(case.kind):
                    continue
                if case.received_at + timedelta(hours=level.after_hours) > now:
                    break
                targets = holders(level.position, case.responsible_unit, holders_cache)
                position_label = (
                    str(Position(level.position).label)
                    if level.position in Position.values
                    else level.position
                )
                escalations.append(
                    CaseEscalation(
                        case=case,
                        level=level.level,
                        position=level.position,
                        at=now,
                        targets=[u.username for u in targets],
                    )
                )
                escalated[case.pk].add(level.level)
                event(
                    case,
                    "escalated",
                    _("Escalated to %(position)s after %(hours)d hours unhandled.")
                    % {"position": position_label, "hours": level.after_hours},
                    level=level.level,
                    position=level.position,
                    targets=[u.username for u in targets],
                )
                notify(
                    targets,
                    level.channel,
                    _("Escalated (level %(level)d): %(number)s")
                    % {"level": level.level, "number": case.number},
                    _(
                        "Repair order %(number)s at %(address)s has not been handled for %(hours)d hours (received %(received)s)."
                    )
                    % {
                        "number": case.number,
                        "address": case.address_text,
                        "hours": level.after_hours,
                        "received": timezone.localtime(case.received_at).strftime("%m-%d %H:%M"),
                    },
                    case,
                    f"esc:{case.pk}:{level.level}",
                )
                summary["escalations"] += 1

    CaseEvent.objects.bulk_create(events)
    CaseEscalation.objects.bulk_create(escalations)
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    CaseDeadline.objects.bulk_update(
        changed_deadlines.values(), ["state", "breached_at", "warned_at"]
    )
    for case in cases.values():
        case.next_check_at = next_check(
            case, deadlines[case.pk], now, done_levels=escalated[case.pk]
        )
    _update_cases(list(cases.values()))
    # Told once the batch is written, inside its transaction, like every case step.
    for hook, case, data in announcements:
        announce(hook, case, actor=None, now=now, **data)


def _update_cases(cases: list[Case]) -> None:
    """Write next_check_at and last_event_seq of many cases in one statement. Django's
    bulk_update builds a CASE expression per row, which costs more than the sweep itself
    at 10,000 cases; PostgreSQL takes the values as a table instead."""
    if not cases:
        return
    if connection.vendor != "postgresql":
        Case.objects.bulk_update(cases, ["next_check_at", "last_event_seq"])
        return
    rows = [(c.pk, c.next_check_at, c.last_event_seq) for c in cases]
    placeholders = ", ".join(["(%s, %s::timestamptz, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Case._meta.db_table} AS c SET next_check_at = v.next_check_at, "  # nosec B608: table name and placeholders from code
            f"last_event_seq = v.seq FROM (VALUES {placeholders}) AS v(id, next_check_at, seq) "
            "WHERE c.id = v.id",
            [value for row in rows for value in row],
        )
