"""Writes of the arrears path and stop / resume heat (R-803, R-805; docs/billing.md).

- ``refresh`` keeps one arrears record per account and season from the bills past their
  due day and the ledger balances (set-wise, chunk by chunk: the daily job);
  ``on_ledger_entry`` keeps an open record up to date as entries arrive (a payment).
- ``request_step`` / ``decide_step``: each step of the path in the policy's order, after its
  waiting days, approved by a holder of the position the policy names (at once when the
  requester holds it), logged as an ``ArrearsAction``. Approving a limit or stop is the
  written notice; ``carry_out`` opens the valve work order to the premises' station once
  the notice days have passed; its resolution changes that premises' supply, no other.
- A payment that settles a limited or stopped account opens the restoration work order
  (its 24 h deadline is the policy's time limit for ``arrears_valve=restore``, enforced by
  the sweeper); its resolution restores supply.
- ``apply_for_heat``: stop / resume applications (报停 / 复热), refused once the window has
  closed; the resolved work order changes the supply, writes or closes the ``HeatStop`` and
  re-issues an issued bill through ``billing.corrections``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.audit.services import record_changes
from utilitydesk.billing import corrections, ledger
from utilitydesk.billing.models import Bill, BillStatus, HeatStop, LedgerEntry
from utilitydesk.billing.services import season as season_bounds
from utilitydesk.cases.hooks import CaseHappened
from utilitydesk.cases.models import Channel, Kind
from utilitydesk.cases.services import ContactInput, open_follow_up
from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.org.models import Position
from utilitydesk.org.selectors import positions_of, station_scope

from .defaults import RESTORE, VALVE_ATTRIBUTE
from .models import (
    SUPPLY_STEPS,
    ActionStatus,
    ApplicationKind,
    ApplicationStatus,
    ArrearsAction,
    ArrearsPolicy,
    ArrearsRecord,
    HeatApplication,
    PathStep,
    PolicyStatus,
    StepKind,
    Supply,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 2_000
SEEN = "_arrears_seen"  # set on the entries the batch reaction has followed
WORK_PERMISSION = "arrears.work_arrears"
APPLICATION_PERMISSION = "arrears.record_heat_application"
APPLY_STOP = "apply_stop"
APPLY_RESUME = "apply_resume"


def current_arrears_policy() -> ArrearsPolicy | None:
    return ArrearsPolicy.objects.filter(status=PolicyStatus.PUBLISHED).order_by("-number").first()


def _required_policy() -> ArrearsPolicy:
    policy = current_arrears_policy()
    if policy is None:
        raise ValidationError({"policy": [_("No arrears policy is published.")]})
    return policy


def position_label(code: str) -> str:
    return str(Position(code).label) if code in Position.values else code


# --- the records -----------------------------------------------------------------------------


@dataclass
class _Account:
    premises_id: int
    season: int
    due_on: date
    overdue_total: Decimal


def _overdue_accounts(customer_ids: list[int], on: date) -> dict[int, _Account]:
    """Per customer: the latest season with a bill past its due day, its premises, the
    earliest due day and the total of those bills."""
    accounts: dict[int, _Account] = {}
    for customer_id, premises_id, season, due_on, total in (
        Bill.objects.filter(customer_id__in=customer_ids, status=BillStatus.ISSUED, due_on__lt=on)
        .order_by("customer_id", "-season", "premises_id")
        .values_list("customer_id", "premises_id", "season", "due_on", "total")
    ):
        account = accounts.get(customer_id)
        if account is None:
            accounts[customer_id] = _Account(premises_id, season, due_on, total)
        else:
            account.due_on = min(account.due_on, due_on)
            account.overdue_total += total
    return accounts


def overdue_amount(balance: Decimal, overdue_total: Decimal) -> Decimal:
    """What is overdue: the balance, up to the bills past their due day (a bill not yet due
    is owed, not overdue); never negative."""
    return max(min(balance, overdue_total), ZERO)


def refresh(on: date | None = None, *, now: datetime | None = None) -> int:
    """Bring every arrears record up to date with the bills past their due day on ``on`` and
    the ledger, chunk by chunk, each chunk one transaction; returns the records written.
    Idempotent: the daily job (``arrears.refresh``) and ``refresh_arrears``."""
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    policy = current_arrears_policy()
    if policy is None:
        return 0
    ids = set(
        Bill.objects.filter(status=BillStatus.ISSUED, due_on__lt=on)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    ids |= set(
        ArrearsRecord.objects.filter(overdue_amount__gt=0).values_list("customer_id", flat=True)
    )
    ordered = sorted(ids)
    written = 0
    for begin in range(0, len(ordered), CHUNK):
        with transaction.atomic():
            written += _refresh_chunk(ordered[begin : begin + CHUNK], on, policy, now)
    return written


def _refresh_chunk(ids: list[int], on: date, policy: ArrearsPolicy, now: datetime) -> int:
    accounts = _overdue_accounts(ids, on)
    # Quantized: SQLite sums decimals as floats (-2.3e-13 for a settled account).
    balances = {k: v.quantize(CENT) for k, v in ledger.balances(ids).items()}
    premises = {
        row["pk"]: row
        for row in Premises.objects.filter(
            pk__in=[a.premises_id for a in accounts.values()]
        ).values("pk", "station_id", "building__community__district_id", "customer__customer_type")
    }
    by_customer: dict[int, list[ArrearsRecord]] = defaultdict(list)
    for found in ArrearsRecord.objects.select_for_update().filter(customer_id__in=ids):
        by_customer[found.customer_id].append(found)
    created: list[ArrearsRecord] = []
    changed: list[ArrearsRecord] = []
    for customer_id in ids:
        account = accounts.get(customer_id)
        balance = balances.get(customer_id, ZERO)
        records = by_customer.get(customer_id, [])
        if account is None:
            # No bill past its due day any more (withdrawn, corrected): nothing overdue.
            for stale in records:
                if stale.overdue_amount > 0:
                    stale.balance, stale.overdue_amount = balance, ZERO
                    stale.settled_at, stale.updated_at = now, now
                    changed.append(stale)
            continue
        amount = overdue_amount(balance, account.overdue_total)
        # The open record carries the path on, whatever season it was opened in (one open
        # record per account, so the list never counts an account twice).
        record = _current_of(records) if records else None
        if record is not None and record.overdue_amount <= 0 and record.season != account.season:
            record = next((r for r in records if r.season == account.season), None)
        if record is None:
            if amount <= 0:
                continue
            facts = premises[account.premises_id]
            created.append(
                ArrearsRecord(
                    customer_id=customer_id,
                    premises_id=account.premises_id,
                    station_id=facts["station_id"],
                    district_id=facts["building__community__district_id"],
                    customer_type=facts["customer__customer_type"],
                    season=account.season,
                    policy=policy,
                    due_on=account.due_on,
                    balance=balance,
                    overdue_amount=amount,
                    updated_at=now,
                )
            )
            continue
        if (record.balance, record.overdue_amount, record.due_on) != (
            balance,
            amount,
            account.due_on,
        ):
            if amount <= 0 < record.overdue_amount:
                record.settled_at = now
            elif amount > 0:
                record.settled_at = None
            record.balance, record.overdue_amount, record.due_on = balance, amount, account.due_on
            record.updated_at = now
            changed.append(record)
    ArrearsRecord.objects.bulk_create(created)
    ArrearsRecord.objects.bulk_update(
        changed, ["balance", "overdue_amount", "due_on", "settled_at", "updated_at"]
    )
    # Paid accounts whose heat is still limited or stopped: restoration ordered (a retry of
    # the ledger reaction, idempotent: a record being restored is no longer limited/stopped).
    for records in by_customer.values():
        for paid in records:
            if paid.supply in (Supply.LIMITED, Supply.STOPPED) and paid.balance <= 0:
                approver = _last_approver(paid)
                if approver is not None:
                    _start_restoration(paid, actor=approver, now=now)
    return len(created) + len(changed)


def _current_of(records: list[ArrearsRecord]) -> ArrearsRecord:
    """The account's record the path runs on: the one still owing or with heat limited or
    stopped, else the latest season's."""
    return max(
        records,
        key=lambda r: (r.overdue_amount > 0 or r.supply != Supply.NORMAL, r.season),
    )


def on_ledger_batch(entries: list[LedgerEntry]) -> None:
    """A batch of new entries (a bank file's payments; registered from apps.py): one query
    per 20,000 customers finds the few with an arrears record; only theirs are followed.
    The entries are marked so the per-entry reaction that runs after skips them."""
    latest: dict[int, LedgerEntry] = {}
    for entry in entries:
        setattr(entry, SEEN, True)
        latest[entry.customer_id] = entry
    ids = sorted(latest)
    for begin in range(0, len(ids), 10 * CHUNK):
        owing = set(
            ArrearsRecord.objects.filter(
                customer_id__in=ids[begin : begin + 10 * CHUNK]
            ).values_list("customer_id", flat=True)
        )
        for customer_id in sorted(owing):
            _follow_ledger(latest[customer_id])


def on_ledger_entry(entry: LedgerEntry) -> None:
    """A new ledger entry (registered from apps.py; inside the posting transaction): the
    customer's open record follows the balance; a limited or stopped account settled
    (balance ≤ 0) orders restoration."""
    if not getattr(entry, SEEN, False):
        _follow_ledger(entry)


def _follow_ledger(entry: LedgerEntry) -> None:
    records = list(ArrearsRecord.objects.select_for_update().filter(customer_id=entry.customer_id))
    if not records:
        return
    record = _current_of(records)
    now = entry.booked_at
    balance = ledger.balance_of(entry.customer_id).quantize(CENT)
    overdue_total = (
        Bill.objects.filter(
            customer_id=entry.customer_id,
            status=BillStatus.ISSUED,
            due_on__lt=timezone.localdate(now),
        ).aggregate(s=Sum("total"))["s"]
        or ZERO
    )
    overdue_total = overdue_total.quantize(CENT)
    amount = overdue_amount(balance, overdue_total)
    if amount <= 0 < record.overdue_amount:
        record.settled_at = now
    elif amount > 0:
        record.settled_at = None
    record.balance, record.overdue_amount, record.updated_at = balance, amount, now
    record.save(update_fields=["balance", "overdue_amount", "settled_at", "updated_at"])
    if balance <= 0 and record.supply in (Supply.LIMITED, Supply.STOPPED):
        actor = entry.created_by or _last_approver(record)
        if actor is not None:  # else the daily refresh orders it (never block a payment)
            _start_restoration(record, actor=actor, now=now)


def _last_approver(record: ArrearsRecord) -> Actor | None:
    action = (
        ArrearsAction.objects.filter(record=record, step__in=SUPPLY_STEPS)
        .exclude(decided_by=None)
        .select_related("decided_by")
        .order_by("-decided_at")
        .first()
    )
    return action.decided_by if action is not None else None


def _start_restoration(record: ArrearsRecord, *, actor: Actor, now: datetime) -> None:
    """The restoration work order to the station (R-805: within 24 h of payment; the
    deadline is the policy's limit for this attribute, the sweeper enforces it)."""
    case = open_follow_up(
        ContactInput(
            channel=Channel.INTERNAL,
            kind=Kind.REPAIR,
            content=_(
                "Restore heat: the account is paid (arrears of the %(season)s season). Open the valve of this home only."
            )
            % {"season": record.season},
            customer_id=record.customer_id,
            premises_id=record.premises_id,
            attributes={VALVE_ATTRIBUTE: RESTORE},
        ),
        actor=actor,
        now=now,
    )
    record.supply, record.restoration_case = Supply.RESTORING, case.number
    record.save(update_fields=["supply", "restoration_case"])


# --- the path ------------------------------------------------------------------------------


def _visible(record: ArrearsRecord, actor: Actor) -> bool:
    scope = station_scope(actor)
    return scope is None or record.station_id in scope


def holds(actor: Actor, position: str) -> bool:
    if actor.is_superuser:
        return True
    return any(a.position == position for a in positions_of(actor))


def may_approve(action: ArrearsAction, actor: Actor) -> bool:
    return (
        actor.has_perm(WORK_PERMISSION)
        and _visible(action.record, actor)
        and holds(actor, action.approver_position)
    )


def _step_of(record: ArrearsRecord, kind: str) -> PathStep:
    step = PathStep.objects.filter(policy_id=record.policy_id, kind=kind).first()
    if step is None:
        raise ValidationError({"step": [_("This step is not on the arrears path.")]})
    return step


def earliest(record: ArrearsRecord, step: PathStep) -> datetime:
    """When ``step`` may be taken: its waiting days after the last step taken (the first,
    after the due day)."""
    last = (
        record.actions.filter(status__in=(ActionStatus.APPROVED, ActionStatus.DONE))
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if last is None:
        start = timezone.make_aware(datetime.combine(record.due_on, datetime.min.time()))
        return start + timedelta(days=1 + step.wait_days)
    return last + timedelta(days=step.wait_days)


def step_problems(record: ArrearsRecord, step: PathStep, now: datetime) -> list[str]:
    """Why ``step`` cannot be asked for now (empty: it can)."""
    if record.overdue_amount <= 0:
        return [_("The account is settled: nothing to follow up.")]
    taken = set(
        record.actions.filter(status__in=(ActionStatus.APPROVED, ActionStatus.DONE)).values_list(
            "step", flat=True
        )
    )
    if step.kind in taken:
        return [_("This step has been taken.")]
    if record.actions.filter(status=ActionStatus.PENDING).exists():
        return [_("A step awaits approval.")]
    steps = list(PathStep.objects.filter(policy_id=record.policy_id).order_by("order"))
    later = [s.get_kind_display() for s in steps if s.order > step.order and s.kind in taken]
    if later:
        return [_("A later step has been taken: %(s)s.") % {"s": "、".join(later)}]
    missing = [
        s.get_kind_display()
        for s in steps
        if s.order < step.order and s.required and s.kind not in taken
    ]
    if missing:
        return [_("Take these steps first: %(s)s.") % {"s": "、".join(missing)}]
    when = earliest(record, step)
    if now < when:
        return [
            _(
                "Too early: this step may be taken from %(when)s (%(days)d days after the previous step)."
            )
            % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"), "days": step.wait_days}
        ]
    return []


def request_step(
    record_id: int, step: str, note: str = "", *, actor: Actor, now: datetime | None = None
) -> ArrearsAction:
    """Ask for the next step on an account; approved at once when the requester holds the
    position the policy names, else it waits for a holder."""
    now = now or timezone.now()
    if not actor.has_perm(WORK_PERMISSION):
        raise PermissionDenied(_("You are not allowed to follow up arrears."))
    with transaction.atomic():
        record = ArrearsRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None or not _visible(record, actor):
            raise ValidationError({"record": [_("Unknown arrears record.")]})
        path_step = _step_of(record, step)
        problems = step_problems(record, path_step, now)
        if problems:
            raise ValidationError({"step": problems})
        action = ArrearsAction.objects.create(
            record=record,
            step=path_step.kind,
            approver_position=path_step.approver_position,
            note=(note or "").strip(),
            requested_by=actor,
            requested_at=now,
        )
        if holds(actor, path_step.approver_position):
            _approve(action, record, path_step, "", actor=actor, now=now)
    return action


def _approve(
    action: ArrearsAction,
    record: ArrearsRecord,
    step: PathStep,
    note: str,
    *,
    actor: Actor,
    now: datetime,
) -> None:
    action.status, action.decided_by, action.decided_at = ActionStatus.APPROVED, actor, now
    action.decision_note = note
    if step.kind in SUPPLY_STEPS:
        # The approval is the written notice; the valve is closed no earlier than this.
        action.acts_from = now + timedelta(days=step.advance_notice_days)
    action.save()
    record.step, record.step_at = step.kind, now
    record.save(update_fields=["step", "step_at"])


def decide_step(
    action_id: int,
    approve: bool,
    note: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> ArrearsAction:
    """A holder of the position the policy names approves or rejects a step (a rejection
    says why)."""
    now = now or timezone.now()
    note = (note or "").strip()
    with transaction.atomic():
        action = (
            ArrearsAction.objects.select_for_update().select_related("record").filter(pk=action_id)
        ).first()
        if action is None or not _visible(action.record, actor):
            raise ValidationError({"action": [_("Unknown arrears step.")]})
        record = ArrearsRecord.objects.select_for_update().get(pk=action.record_id)
        action.record = record
        if action.status != ActionStatus.PENDING:
            raise ValidationError({"status": [_("This step has been decided.")]})
        if not may_approve(action, actor):
            raise PermissionDenied(
                _("This step is approved by the %(position)s.")
                % {"position": position_label(action.approver_position)}
            )
        if not approve:
            if not note:
                raise ValidationError({"note": [_("Say why the step is rejected.")]})
            action.status, action.decided_by, action.decided_at = (
                ActionStatus.REJECTED,
                actor,
                now,
            )
            action.decision_note = note
            action.save()
            return action
        step = _step_of(record, action.step)
        if record.overdue_amount <= 0:
            raise ValidationError({"step": [_("The account is settled: nothing to follow up.")]})
        _approve(action, record, step, note, actor=actor, now=now)
    return action


def carry_out(action_id: int, *, actor: Actor, now: datetime | None = None) -> ArrearsAction:
    """Limit or stop heat once the written notice's days have passed: the valve work order
    to the premises' station, for that premises only."""
    now = now or timezone.now()
    if not actor.has_perm(WORK_PERMISSION):
        raise PermissionDenied(_("You are not allowed to follow up arrears."))
    with transaction.atomic():
        action = ArrearsAction.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise ValidationError({"action": [_("Unknown arrears step.")]})
        record = ArrearsRecord.objects.select_for_update().get(pk=action.record_id)
        if not _visible(record, actor):
            raise ValidationError({"action": [_("Unknown arrears step.")]})
        if action.step not in SUPPLY_STEPS or action.status != ActionStatus.APPROVED:
            raise ValidationError({"action": [_("Only an approved limit or stop is carried out.")]})
        if action.work_order:
            raise ValidationError(
                {"action": [_("The work order is open: %(n)s.") % {"n": action.work_order}]}
            )
        if action.acts_from is not None and now < action.acts_from:
            raise ValidationError(
                {
                    "action": [
                        _("Too early: the written notice allows acting from %(when)s.")
                        % {"when": timezone.localtime(action.acts_from).strftime("%Y-%m-%d %H:%M")}
                    ]
                }
            )
        if record.balance <= 0 or record.overdue_amount <= 0:
            raise ValidationError({"action": [_("The account is settled: nothing to follow up.")]})
        stop = action.step == StepKind.STOP
        content = (
            _(
                "Stop heat for arrears (%(amount)s yuan overdue): close and seal the valve of this home only, never a neighbour's supply."
            )
            if stop
            else _(
                "Limit heat for arrears (%(amount)s yuan overdue): throttle the valve of this home only, never a neighbour's supply."
            )
        ) % {"amount": record.overdue_amount}
        case = open_follow_up(
            ContactInput(
                channel=Channel.INTERNAL,
                kind=Kind.REPAIR,
                content=content,
                customer_id=record.customer_id,
                premises_id=record.premises_id,
                attributes={VALVE_ATTRIBUTE: action.step},
            ),
            actor=actor,
            now=now,
        )
        action.work_order = case.number
        action.save(update_fields=["work_order"])
    return action


def _set_supply(premises_id: int, status: str, source: str, *, actor: Actor, now: datetime) -> None:
    """One premises' supply status, with its change record; never any other premises."""
    premises = Premises.objects.select_for_update().get(pk=premises_id)
    if premises.status == status or premises.status == SupplyStatus.CLOSED:
        return
    old = premises.status
    Premises.objects.filter(pk=premises_id).update(status=status)
    record_changes(premises, {"status": (old, status)}, source, actor=actor, now=now)


def on_work_order_resolved(happened: CaseHappened) -> None:
    """A valve work order resolved (registered from apps.py; in the case's transaction)."""
    case = happened.case
    what = str((case.attributes or {}).get(VALVE_ATTRIBUTE, ""))
    if not what:
        return
    actor, now = happened.actor, happened.now
    if what in SUPPLY_STEPS:
        action = ArrearsAction.objects.select_for_update().filter(work_order=case.number).first()
        if action is None:
            return
        record = ArrearsRecord.objects.select_for_update().get(pk=action.record_id)
        action.status, action.done_at = ActionStatus.DONE, now
        action.save(update_fields=["status", "done_at"])
        record.supply = Supply.STOPPED if what == StepKind.STOP else Supply.LIMITED
        record.save(update_fields=["supply"])
        if what == StepKind.STOP:
            _set_supply(record.premises_id, SupplyStatus.SUSPENDED, "arrears", actor=actor, now=now)
        # Paid while the valve was being closed: restore at once.
        if ledger.balance_of(record.customer_id).quantize(CENT) <= 0:
            _start_restoration(record, actor=actor, now=now)
    elif what == RESTORE:
        restored = (
            ArrearsRecord.objects.select_for_update().filter(restoration_case=case.number).first()
        )
        if restored is None:
            return
        restored.supply = Supply.NORMAL
        restored.save(update_fields=["supply"])
        _set_supply(restored.premises_id, SupplyStatus.SUPPLIED, "arrears", actor=actor, now=now)
    elif what in (APPLY_STOP, APPLY_RESUME):
        application = (
            HeatApplication.objects.select_for_update().filter(work_order=case.number).first()
        )
        if application is not None and application.status == ApplicationStatus.OPEN:
            _complete_application(application, actor=actor, now=now)


# --- stop / resume heat applications ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    season: int
    start: date
    closes_on: date  # the last day an application is taken

    def is_open(self, on: date) -> bool:
        return on <= self.closes_on


def application_window(on: date, policy: ArrearsPolicy | None = None) -> Window:
    """The season an application made on ``on`` is for (the next to start) and the last
    day of its window (the policy's days before the season's start)."""
    policy = policy or _required_policy()
    year = on.year
    if season_bounds(year).start <= on:
        year += 1
    start = season_bounds(year).start
    return Window(year, start, start - timedelta(days=policy.application_close_days))


def apply_for_heat(
    premises_id: int,
    kind: str,
    note: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> HeatApplication:
    """Record a customer's application to stop or resume heat for the next season; refused
    outside the window with the reason; opens the station's valve work order."""
    now = now or timezone.now()
    if not actor.has_perm(APPLICATION_PERMISSION):
        raise PermissionDenied(_("You are not allowed to record stop / resume applications."))
    if kind not in ApplicationKind.values:
        raise ValidationError({"kind": [_("Choose stop or resume heat.")]})
    policy = _required_policy()
    window = application_window(timezone.localdate(now), policy)
    if not window.is_open(timezone.localdate(now)):
        raise ValidationError(
            {
                "kind": [
                    _(
                        "Applications for the %(season)s season closed on %(date)s (%(days)d days before the season starts on %(start)s)."
                    )
                    % {
                        "season": window.season,
                        "date": window.closes_on.isoformat(),
                        "days": policy.application_close_days,
                        "start": window.start.isoformat(),
                    }
                ]
            }
        )
    with transaction.atomic():
        premises = (
            Premises.objects.select_for_update()
            .filter(pk=premises_id, customer__in=visible_customers(actor))
            .first()
        )
        if premises is None:
            raise ValidationError({"premises": [_("Unknown premises.")]})
        if HeatApplication.objects.filter(
            premises=premises, status=ApplicationStatus.OPEN
        ).exists():
            raise ValidationError({"kind": [_("An application for this home is in progress.")]})
        if kind == ApplicationKind.STOP and premises.status != SupplyStatus.SUPPLIED:
            raise ValidationError({"kind": [_("Heat is not supplied to this home.")]})
        if kind == ApplicationKind.RESUME:
            if premises.status != SupplyStatus.SUSPENDED:
                raise ValidationError({"kind": [_("Heat is not stopped at this home.")]})
            if ArrearsRecord.objects.filter(
                premises=premises, supply__in=(Supply.STOPPED, Supply.LIMITED), balance__gt=0
            ).exists():
                raise ValidationError(
                    {
                        "kind": [
                            _(
                                "Heat was stopped for arrears: it is restored once the account is paid."
                            )
                        ]
                    }
                )
        application = HeatApplication.objects.create(
            premises=premises,
            season=window.season,
            kind=kind,
            policy=policy,
            note=(note or "").strip(),
            requested_by=actor,
            requested_at=now,
        )
        stop = kind == ApplicationKind.STOP
        content = (
            _(
                "Stop heat on application (报停) for the %(season)s season: close and seal (施封) the valve of this home."
            )
            if stop
            else _(
                "Resume heat on application (复热) for the %(season)s season: remove the seal and open the valve of this home."
            )
        ) % {"season": window.season}
        if application.note:
            content += "\n" + application.note
        case = open_follow_up(
            ContactInput(
                channel=Channel.INTERNAL,
                kind=Kind.REPAIR,
                content=content,
                customer_id=premises.customer_id,
                premises_id=premises.pk,
                attributes={VALVE_ATTRIBUTE: APPLY_STOP if stop else APPLY_RESUME},
            ),
            actor=actor,
            now=now,
        )
        application.work_order = case.number
        application.save(update_fields=["work_order"])
    return application


def _complete_application(application: HeatApplication, *, actor: Actor, now: datetime) -> None:
    period = season_bounds(application.season)
    day = max(period.start, timezone.localdate(now))
    if application.kind == ApplicationKind.STOP:
        _set_supply(
            application.premises_id,
            SupplyStatus.SUSPENDED,
            "heat_application",
            actor=actor,
            now=now,
        )
        application.heat_stop = HeatStop.objects.create(
            premises_id=application.premises_id,
            season=application.season,
            stopped_on=day,
            created_at=now,
        )
    else:
        _set_supply(
            application.premises_id, SupplyStatus.SUPPLIED, "heat_application", actor=actor, now=now
        )
        stop = (
            HeatStop.objects.select_for_update()
            .filter(
                premises_id=application.premises_id, season__lte=application.season, resumed_on=None
            )
            .order_by("-stopped_on")
            .first()
        )
        if stop is not None:
            stop.resumed_on = max(day, stop.stopped_on)
            stop.save(update_fields=["resumed_on"])
            application.heat_stop = stop
    application.status, application.done_at = ApplicationStatus.DONE, now
    application.save(update_fields=["status", "done_at", "heat_stop"])
    _reissue(application, actor=application.requested_by, now=now)


def _reissue(application: HeatApplication, *, actor: Actor, now: datetime) -> None:
    """Re-issue the season's bill when it is already issued: a correction requested by the
    person who recorded the application, applied within their authority, else waiting for
    someone with enough (billing.corrections); without the right to correct bills, the
    application says a billing clerk re-issues it (``reissue_bill``)."""
    bill = Bill.objects.filter(
        premises_id=application.premises_id, season=application.season, status=BillStatus.ISSUED
    ).first()
    if bill is None:
        application.bill_note = _("No bill issued yet: the season's bill counts the days.")
        application.save(update_fields=["bill_note"])
        return
    if not actor.has_perm("billing.correct_bill"):
        application.bill_note = _("The bill %(n)s awaits re-issue by a billing clerk.") % {
            "n": bill.number
        }
        application.save(update_fields=["bill_note"])
        return
    reason = (
        _("Heat stopped on application (报停) from %(d)s")
        if application.kind == ApplicationKind.STOP
        else _("Heat resumed on application (复热) from %(d)s")
    ) % {"d": timezone.localdate(now).isoformat()}
    try:
        with transaction.atomic():
            correction = corrections.request_correction(
                bill.number, area_m2=bill.area_m2, reason=reason, actor=actor, now=now
            )
    except (ValidationError, PermissionDenied) as error:
        application.bill_note = "; ".join(_messages(error))[:200]
        application.save(update_fields=["bill_note"])
        return
    application.correction = correction
    application.bill_note = (
        _("Bill re-issued (%(old)s → %(new)s).")
        if correction.new_bill_id
        else _("Re-issue awaits approval (%(old)s → %(new)s).")
    ) % {"old": correction.old_total, "new": correction.new_total}
    application.save(update_fields=["correction", "bill_note"])


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error)]


def reissue_bill(
    application_id: int, *, actor: Actor, now: datetime | None = None
) -> HeatApplication:
    """A billing clerk re-issues the bill of a done application that still waits for it."""
    now = now or timezone.now()
    if not actor.has_perm("billing.correct_bill"):
        raise PermissionDenied(_("You are not allowed to correct bills."))
    with transaction.atomic():
        application = HeatApplication.objects.select_for_update().filter(pk=application_id).first()
        if application is None or application.status != ApplicationStatus.DONE:
            raise ValidationError({"application": [_("Unknown application.")]})
        if application.correction_id:
            raise ValidationError({"application": [_("The bill has been re-issued.")]})
        _reissue(application, actor=actor, now=now)
    return application


# --- the policy ------------------------------------------------------------------------------


def new_policy_draft(*, actor: Actor, now: datetime | None = None) -> ArrearsPolicy:
    """A draft copied from the published version (its steps included), to edit in the
    admin; at most one draft at a time."""
    now = now or timezone.now()
    if not actor.has_perm("arrears.add_arrearspolicy"):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        existing = ArrearsPolicy.objects.filter(status=PolicyStatus.DRAFT).first()
        if existing is not None:
            return existing
        source = current_arrears_policy()
        last = ArrearsPolicy.objects.select_for_update().order_by("-number").first()
        draft = ArrearsPolicy.objects.create(
            number=(last.number if last else 0) + 1,
            status=PolicyStatus.DRAFT,
            note="",
            application_close_days=source.application_close_days if source else 30,
            restore_hours=source.restore_hours if source else 24,
            created_at=now,
        )
        if source is not None:
            PathStep.objects.bulk_create(
                PathStep(
                    policy=draft,
                    order=step.order,
                    kind=step.kind,
                    required=step.required,
                    wait_days=step.wait_days,
                    advance_notice_days=step.advance_notice_days,
                    approver_position=step.approver_position,
                )
                for step in source.steps.all()
            )
    return draft


def publish_policy(policy_id: int, *, actor: Actor, now: datetime | None = None) -> ArrearsPolicy:
    """Publish a draft (the published one retires); new records follow it, existing
    records keep theirs."""
    now = now or timezone.now()
    if not actor.has_perm("arrears.publish_arrears_policy"):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        policy = ArrearsPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None or policy.status != PolicyStatus.DRAFT:
            raise ValidationError({"policy": [_("Only a draft is published.")]})
        kinds = list(policy.steps.order_by("order").values_list("kind", flat=True))
        if not kinds:
            raise ValidationError({"policy": [_("The arrears path has no steps.")]})
        ArrearsPolicy.objects.filter(status=PolicyStatus.PUBLISHED).update(
            status=PolicyStatus.RETIRED
        )
        policy.status, policy.published_at = PolicyStatus.PUBLISHED, now
        policy.save(update_fields=["status", "published_at"])
    return policy
