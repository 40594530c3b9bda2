"""Callbacks (R-601 – R-604), spot checks (R-602)."""

import hashlib
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.cases import services as cases
from utilitydesk.cases.deadline_models import CaseDeadline
from utilitydesk.cases.models import Case, Channel, Kind, Status
from utilitydesk.cases.scope import queue_units_of_unit
from utilitydesk.complaints.services import open_for_case
from utilitydesk.customers.models import Customer, Grade
from utilitydesk.org.models import OrgUnit
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy

from .models import CallbackAttempt, CallbackTask, Outcome, SpotCheck

SATISFIED_GROUP = {Outcome.SATISFIED, Outcome.BASICALLY}


def _share_selected(case_number: str, ratio: float) -> bool:
    """A stable pseudo-random choice per case: the same case is always in or out."""
    if ratio >= 1:
        return True
    if ratio <= 0:
        return False
    digest = int(hashlib.sha256(case_number.encode()).hexdigest()[:8], 16)
    return digest % 10_000 < ratio * 10_000


def needs_callback(case: Case) -> bool:
    policy = case.policy_version
    return callback_wanted(
        case.number,
        case.kind,
        case.customer is not None and case.customer.grade == Grade.VIP,
        policy.callback_ratios if policy else None,
    )


def callback_wanted(number: str, kind: str, vip: bool, ratios: dict[str, Any] | None) -> bool:
    """Whether a resolved case gets a callback: VIP customers always (R-606 asks for
    monthly sampling at least), others by the policy's share for the kind."""
    if vip:
        return True
    ratios = ratios or {"*": 1}
    return _share_selected(number, float(ratios.get(kind, ratios.get("*", 0))))


def on_resolved(case: Case, *, now: datetime) -> CallbackTask | None:
    """Called inside the resolve transition: the callback task the policy asks for, due
    by the case's callback deadline, to be made by the first responder (R-203)."""
    if not needs_callback(case):
        return None
    return _first_callback(case, now=now)


def request_callback(case: Case, *, actor: Actor, now: datetime) -> CallbackTask:
    """A callback on a case closed with its cause (settled: the supply interruption it was
    about is restored) — did supply really return? The app that settled it decides which
    cases (its policy share); due by the callback deadline settling gave the case."""
    if case.status != Status.CLOSED:
        raise ValidationError({"case": [_("Only a closed case is called back this way.")]})
    return _first_callback(case, now=now)


def _first_callback(case: Case, *, now: datetime) -> CallbackTask:
    deadline = CaseDeadline.objects.filter(case=case, name="callback").first()
    due = deadline.due_at if deadline else now + timedelta(days=2)
    task, _created = CallbackTask.objects.get_or_create(
        case=case,
        purpose=CallbackTask.Purpose.FIRST,
        status=CallbackTask.Status.OPEN,
        # The self-service account makes no calls: a web case's callback is any agent's.
        defaults={
            "caller": None
            if case.first_responder
            and case.first_responder.get_username() == getattr(settings, "SELFSERVICE_ACTOR", None)
            else case.first_responder,
            "due_at": due,
            "created_at": now,
        },
    )
    return task


def _note_callback(case: Case, text: str, *, actor: Actor, now: datetime) -> None:
    """The call on the case's timeline: a resolved case moves to callback done; a case
    closed with its cause (settled) keeps its state and gets a note."""
    if case.status == Status.RESOLVED:
        cases.record_callback(case.number, text, actor=actor, now=now)
    else:
        cases.add_note(case.number, text, actor=actor, now=now)


def _parse_window(text: str) -> tuple[time, time]:
    start, _sep, end = text.strip().partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def may_call_at(moment: datetime, policy: PolicyVersion | None) -> bool:
    """Inside the allowed hours and outside meal and rest times (R-603)."""
    local = timezone.localtime(moment).time()
    start, end = _parse_window(policy.callback_hours if policy else "07:00-22:00")
    if not (start <= local < end):
        return False
    quiet = policy.callback_quiet if policy else "11:30-14:00,17:30-19:00"
    for window in filter(None, (w.strip() for w in quiet.split(","))):
        q_start, q_end = _parse_window(window)
        if q_start <= local < q_end:
            return False
    return True


def may_record(task: CallbackTask, *, actor: Actor) -> bool:
    """A callback is recorded by the person it is assigned to (anyone who makes callbacks
    when it is unassigned) or by a supervisor of callbacks (who runs spot checks)."""
    return (
        task.caller_id is None
        or task.caller_id == actor.pk
        or actor.is_superuser
        or actor.has_perm("callbacks.run_spot_check")
    )


@transaction.atomic
def record_outcome(
    task_id: int,
    outcome: str,
    comment: str = "",
    if_dissatisfied: str = "reopen",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> CallbackTask:
    """Record one call. Unreachable three times (policy) closes the task as unreachable —
    never as satisfied. Dissatisfied reopens the case or opens a complaint about it."""

    if not actor.has_perm("callbacks.make_callback"):
        raise PermissionDenied(_("You are not allowed to make callbacks."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose the result of the call.")]})
    if if_dissatisfied not in ("reopen", "complaint"):
        raise ValidationError(
            {"if_dissatisfied": [_("Choose: reopen the case or open a complaint.")]}
        )
    if outcome == Outcome.DISSATISFIED and not comment.strip():
        raise ValidationError(
            {"comment": [_("Write down what the customer is dissatisfied with.")]}
        )
    now = now or timezone.now()
    task = (
        CallbackTask.objects.select_for_update(of=("self",))
        .select_related("case__policy_version")
        .get(pk=task_id)
    )
    if not may_record(task, actor=actor):
        raise PermissionDenied(_("This callback is assigned to someone else."))
    if task.status != CallbackTask.Status.OPEN:
        raise ValidationError({"outcome": [_("This callback is already finished.")]})
    policy = (task.case.policy_version if task.case is not None else None) or current_policy()
    # With no published policy at all, the model's default number of tries.
    max_attempts = (
        policy.callback_max_attempts
        if policy is not None
        else PolicyVersion._meta.get_field("callback_max_attempts").default
    )
    CallbackAttempt.objects.create(
        task=task, at=now, by=actor, outcome=outcome, comment=comment.strip()
    )
    task.attempts += 1
    task.comment = comment.strip()
    number = task.case.number if task.case is not None else ""
    if outcome == Outcome.UNREACHABLE:
        if task.attempts >= max_attempts:
            task.status, task.outcome = CallbackTask.Status.UNREACHABLE, Outcome.UNREACHABLE
            task.completed_at, task.called_by = now, actor
        task.save()
        if number:
            cases.add_note(
                number,
                _("Callback: customer not reached (try %(n)d).") % {"n": task.attempts},
                actor=actor,
                now=now,
            )
        return task
    task.status, task.outcome, task.completed_at, task.called_by = (
        CallbackTask.Status.DONE,
        outcome,
        now,
        actor,
    )
    task.save()
    if task.purpose != CallbackTask.Purpose.FIRST or task.case is None:
        return task  # a case-less task has no case to note, reopen or complain about
    label = Outcome(outcome).label
    if outcome == Outcome.DISSATISFIED:
        if if_dissatisfied == "reopen":
            cases.reopen(
                number,
                _("Callback: customer dissatisfied — %(comment)s") % {"comment": comment.strip()},
                actor=actor,
                now=now,
            )
        else:
            _note_callback(task.case, f"{label}：{comment.strip()}", actor=actor, now=now)
            contact = cases.create_contact(
                cases.ContactInput(
                    channel=Channel.PHONE,
                    kind=Kind.COMPLAINT,
                    content=_("Dissatisfied at the callback of %(number)s: %(comment)s")
                    % {"number": number, "comment": comment.strip()},
                    customer_id=task.case.customer_id,
                    caller_name=task.case.caller_name,
                    caller_phone=task.case.caller_phone,
                    allow_duplicate=True,
                ),
                actor=actor,
                now=now,
            )
            # A complaint contact that links to no case opens one.
            open_for_case(cast(Case, contact.case), source_case=task.case)
    else:
        _note_callback(
            task.case,
            f"{label}{('：' + comment.strip()) if comment.strip() else ''}",
            actor=actor,
            now=now,
        )
    return task


def spot_check_sample(case_ids: list[int], ratio: Decimal | float, seed: str) -> list[int]:
    """The same population, share and seed always give the same sample."""
    population = sorted(case_ids)
    if not population:
        return []
    size = max(1, round(len(population) * float(ratio)))
    return sorted(random.Random(seed).sample(population, min(size, len(population))))  # nosec B311: seeded, reproducible sample


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": [_("A quarter is 1 to 4.")]})
    start = timezone.make_aware(datetime(year, 3 * quarter - 2, 1))
    end = timezone.make_aware(
        datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    )
    return start, end


@transaction.atomic
def create_spot_check(
    unit: OrgUnit,
    year: int,
    quarter: int,
    seed: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> SpotCheck:
    """The director's quarterly re-call of a random share of a unit's resolved repairs."""

    now = now or timezone.now()
    if not actor.has_perm("callbacks.run_spot_check"):
        raise PermissionDenied(_("You are not allowed to run spot checks."))
    start, end = quarter_bounds(year, quarter)
    seed = seed or f"{unit.code}-{year}Q{quarter}"
    if SpotCheck.objects.filter(unit=unit, year=year, quarter=quarter, seed=seed).exists():
        raise ValidationError(
            {"seed": [_("This spot check exists already; use another seed for a second sample.")]}
        )
    ids = list(
        Case.objects.filter(
            kind=Kind.REPAIR,
            responsible_unit_id__in=queue_units_of_unit(unit),
            resolved_at__gte=start,
            resolved_at__lt=end,
        ).values_list("pk", flat=True)
    )
    policy = current_policy()
    ratio = policy.spot_check_ratio if policy else Decimal("0.2")
    check = SpotCheck.objects.create(
        unit=unit,
        year=year,
        quarter=quarter,
        seed=seed,
        ratio=ratio,
        population=len(ids),
        created_by=actor,
    )
    due = now + timedelta(days=14)
    CallbackTask.objects.bulk_create(
        [
            CallbackTask(
                case_id=pk,
                purpose=CallbackTask.Purpose.SPOT_CHECK,
                spot_check=check,
                caller=actor,
                due_at=due,
            )
            for pk in spot_check_sample(ids, ratio, f"{seed}:{unit.pk}:{year}Q{quarter}")
        ]
    )
    return check


def account_period(customer: Customer, today: date) -> str | None:
    """The callback period a VIP or long-term account is due for on ``today``, or None:
    VIP monthly; long-term accounts monthly in their first year, quarterly after (R-606)."""
    monthly = f"{today.year}-{today.month:02d}"
    if customer.grade == Grade.VIP:
        return monthly
    since = customer.long_term_since
    if since is None or since > today:
        return None
    first_year = (today - since).days < 365
    return monthly if first_year else f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def schedule_account_callbacks(*, now: datetime | None = None) -> int:
    """Create this period's regular callbacks for VIP and long-term accounts (idempotent:
    one task per customer and period). Run daily by the scheduler / Celery beat."""

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    created = 0
    for customer in Customer.objects.filter(
        Q(grade=Grade.VIP) | Q(long_term_since__isnull=False)
    ).iterator():
        period = account_period(customer, today)
        if period is None:
            continue
        _task, new = CallbackTask.objects.get_or_create(
            customer=customer,
            period=period,
            purpose=CallbackTask.Purpose.ACCOUNT,
            defaults={"due_at": now + timedelta(days=7)},
        )
        created += new
    return created
