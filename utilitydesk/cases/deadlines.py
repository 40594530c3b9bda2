"""The deadlines of cases: planned at creation from the case's policy version, kept in step
with every transition (inside its transaction, the case row locked), replanned when a fact
that chooses limits changes, made final when the calendar year is loaded. The limits,
ladder and calendar come from the policy app; the arithmetic is policy/deadlines.py."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from utilitydesk.customers.models import Grade
from utilitydesk.policy import deadlines as arithmetic
from utilitydesk.policy.models import warning_lead
from utilitydesk.policy.services import calendar, current_policy, escalation_levels, limits_for

from .deadline_models import CaseDeadline, CasePause
from .deadline_notices import withdraw_notices
from .models import OPEN_STATUSES, Case, Status


def case_facts(case) -> tuple[str, bool, dict]:
    grade = case.customer.grade if case.customer_id else Grade.GENERAL
    attributes = dict(case.attributes or {})
    if case.customer_id:
        attributes.setdefault("customer_type", case.customer.customer_type)
    return grade, case.emergency, attributes


# --- deadlines of a case ---------------------------------------------------------------

FIRST_RESPONSE_ACTIONS = {"accept", "call_customer", "reply", "resolve", "assign"}


def plan_deadlines(case, now: datetime) -> list[CaseDeadline]:
    """For a case about to be created: set its policy version and next check, and return
    its concrete deadlines (unsaved; kept for good once saved)."""
    policy = current_policy()
    if policy is None:
        return []
    case.policy_version = policy
    grade, emergency, attributes = case_facts(case)
    limits = limits_for(policy, case.kind, grade, emergency, attributes)
    cal = calendar()
    rows = []
    for limit in limits:
        deadline = arithmetic.compute(case.received_at, limit, cal)
        rows.append(
            CaseDeadline(
                case=case,
                name=limit.name,
                due_at=deadline.due_at,
                original_due_at=deadline.due_at,
                amount=Decimal(str(limit.amount)),
                unit=limit.unit,
                provisional=deadline.provisional,
            )
        )
    case.next_check_at = next_check(case, rows, now)
    return rows


def next_check(
    case, deadlines: list[CaseDeadline], now: datetime, done_levels: set[int] | None = None
) -> datetime | None:
    """When the sweeper next needs to look at this case (indexed on Case.next_check_at)."""
    if case.status not in OPEN_STATUSES and case.status != Status.RESOLVED:
        return None
    moments = []
    for deadline in deadlines:
        if deadline.state != CaseDeadline.State.PENDING:
            continue
        if deadline.warned_at is None and deadline.due_at > now:
            lead = warning_lead(case.policy_version, deadline.amount, deadline.unit)
            moments.append(max(deadline.due_at - lead, now))
        else:
            moments.append(deadline.due_at)
    if case.status in OPEN_STATUSES and case.policy_version_id:
        done = done_levels
        if done is None:
            done = set(case.escalations.values_list("level", flat=True)) if case.pk else set()
        for level in escalation_levels(case.policy_version_id):
            if level.level not in done and level.applies_to(case.kind):
                moments.append(case.received_at + timedelta(hours=level.after_hours))
                break
    return min(moments) if moments else None


def on_case_action(case, action: str, now: datetime, note: str = "") -> None:
    """Keep a case's deadlines in step with what just happened to it (inside the
    transition's transaction, the case row locked)."""
    if case.policy_version_id is None:
        return
    deadlines = {d.name: d for d in CaseDeadline.objects.filter(case=case)}
    changed: list[CaseDeadline] = []

    def meet(name: str) -> None:
        deadline = deadlines.get(name)
        if (
            deadline
            and deadline.state in (CaseDeadline.State.PENDING, CaseDeadline.State.BREACHED)
            and deadline.met_at is None
        ):
            deadline.met_at = now
            if deadline.state == CaseDeadline.State.PENDING:
                deadline.state = CaseDeadline.State.MET
            changed.append(deadline)

    if action in FIRST_RESPONSE_ACTIONS:
        meet("first_response")
    if action == "arrive":
        meet("on_site")
    if action == "resolve":
        if case.on_site_at:
            meet("on_site")
        meet("resolution")
        _add_callback_deadline(case, deadlines, now)
    if action == "settle":
        _add_callback_deadline(case, deadlines, now)  # a settled call may be called back
    if action == "record_callback":
        meet("callback")
    if action == "wait_for_customer":
        CasePause.objects.create(case=case, started_at=now, reason=note)
        for deadline in deadlines.values():
            if deadline.state == CaseDeadline.State.PENDING:
                deadline.state = CaseDeadline.State.PAUSED
                deadline.paused_at = now
                changed.append(deadline)
    if action in ("resume", "cancel", "close", "settle") or (
        action == "redispatch"
        and any(d.state == CaseDeadline.State.PAUSED for d in deadlines.values())
    ):
        pause = CasePause.objects.filter(case=case, ended_at__isnull=True).first()
        if pause:
            pause.ended_at = now
            pause.save(update_fields=["ended_at"])
        for deadline in deadlines.values():
            if deadline.state == CaseDeadline.State.PAUSED:
                # The clock stopped while waiting: the deadline moves by the paused time.
                if deadline.paused_at is not None:  # always set with PAUSED
                    deadline.due_at += now - deadline.paused_at
                deadline.paused_at = None
                deadline.state = CaseDeadline.State.PENDING
                changed.append(deadline)
    if action == "reopen":
        _restart_resolution(case, deadlines, now, changed)
    # Deadline notices belong to who held the case: withdrawn when it moves on.
    changed += withdraw_notices(case, list(deadlines.values()), now)
    if changed:
        CaseDeadline.objects.bulk_update(
            {id(d): d for d in changed}.values(),
            ["state", "met_at", "due_at", "paused_at", "warned_at"],
        )
    # ``deadlines`` is current: callback deadlines added or dropped above are in it.
    case.next_check_at = next_check(case, list(deadlines.values()), now)


def _add_callback_deadline(case, deadlines: dict, now: datetime) -> None:
    if "callback" in deadlines:
        return
    grade, emergency, attributes = case_facts(case)
    limits = limits_for(
        case.policy_version, case.kind, grade, emergency, attributes, names=("callback",)
    )
    for limit in limits:
        deadline = arithmetic.compute(now, limit, calendar())
        deadlines["callback"] = CaseDeadline.objects.create(
            case=case,
            name="callback",
            due_at=deadline.due_at,
            original_due_at=deadline.due_at,
            amount=Decimal(str(limit.amount)),
            unit=limit.unit,
            provisional=deadline.provisional,
        )


def _restart_resolution(case, deadlines: dict, now: datetime, changed: list) -> None:
    """A reopened case gets its resolution time again, from the moment it was reopened;
    the earlier lateness stays recorded in breached_at."""
    grade, emergency, attributes = case_facts(case)
    for limit in limits_for(
        case.policy_version, case.kind, grade, emergency, attributes, names=("resolution",)
    ):
        deadline = deadlines.get("resolution")
        if deadline is None:
            continue
        computed = arithmetic.compute(now, limit, calendar())
        deadline.due_at = computed.due_at
        deadline.state = CaseDeadline.State.PENDING
        deadline.met_at = None
        deadline.warned_at = None
        changed.append(deadline)
    callback = deadlines.get("callback")
    if callback is not None:
        callback.delete()
        deadlines.pop("callback")


def replan_running(case, names: tuple[str, ...], now: datetime) -> None:
    """Recompute running deadlines after a fact that chooses limits changed (e.g. a
    complaint raised to level 1), from the case's receipt under its own policy version.
    Met and breached deadlines stay as they are."""
    if case.policy_version_id is None:
        return
    grade, emergency, attributes = case_facts(case)
    limits = {
        lim.name: lim
        for lim in limits_for(case.policy_version, case.kind, grade, emergency, attributes, names)
    }
    for deadline in CaseDeadline.objects.filter(
        case=case, name__in=names, state=CaseDeadline.State.PENDING
    ):
        limit = limits.get(deadline.name)
        if limit is None:
            continue
        computed = arithmetic.compute(case.received_at, limit, calendar())
        deadline.due_at = deadline.original_due_at = computed.due_at
        deadline.amount, deadline.unit, deadline.provisional = (
            Decimal(str(limit.amount)),
            limit.unit,
            computed.provisional,
        )
        deadline.warned_at = None
        deadline.save(
            update_fields=[
                "due_at",
                "original_due_at",
                "amount",
                "unit",
                "provisional",
                "warned_at",
            ]
        )
    case.next_check_at = next_check(case, list(CaseDeadline.objects.filter(case=case)), now)


def recompute_provisional() -> int:
    """After a calendar year is loaded: provisional deadlines become final (recomputed from
    the case's receipt under its own policy version). Registered with
    ``policy.services.on_calendar_loaded`` in the cases app's ``ready()``."""
    cal = calendar(refresh=True)
    updated = 0
    for deadline in CaseDeadline.objects.filter(provisional=True).select_related("case"):
        base = (
            deadline.case.resolved_at
            if deadline.name == "callback" and deadline.case.resolved_at
            else deadline.case.received_at
        )
        computed = arithmetic.compute(
            base, arithmetic.Limit(deadline.name, float(deadline.amount), deadline.unit), cal
        )
        shift = deadline.due_at - deadline.original_due_at  # pauses already added
        deadline.original_due_at = computed.due_at
        deadline.due_at = computed.due_at + shift
        deadline.provisional = computed.provisional
        deadline.save(update_fields=["due_at", "original_due_at", "provisional"])
        case = Case.objects.get(pk=deadline.case_id)
        Case.objects.filter(pk=case.pk).update(
            next_check_at=next_check(case, list(case.deadlines.all()), timezone.now())
        )
        updated += 1
    return updated


def provisional_years() -> set[int]:
    """The years provisional deadlines fall into: the calendar must know them
    (registered with ``policy.services.register_years_in_use``)."""
    return {
        d.year
        for d in CaseDeadline.objects.filter(provisional=True).values_list("due_at", flat=True)
    }
