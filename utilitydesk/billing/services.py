"""Writes of billing (docs/billing.md): tariff schedules (drafted, published, never changed
after), season bills generated for every premises in one idempotent run, the charge each
bill books on the ledger."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.kernel.bulk import insert_instances
from utilitydesk.outages.models import AffectedPremises
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy
from utilitydesk.temperature import method as seasons
from utilitydesk.temperature.models import CreditStatus, RefundCredit

from . import formula
from .models import (
    AuthorityLimit,
    Bill,
    BillLine,
    BillRun,
    BillStatus,
    EntryKind,
    HeatStop,
    LedgerEntry,
    MeterReading,
    Method,
    ScheduleStatus,
    TariffRate,
    TariffSchedule,
)

CHUNK = 2_000


# --- tariff schedules -----------------------------------------------------------------------


def current_schedule() -> TariffSchedule | None:
    return (
        TariffSchedule.objects.filter(status=ScheduleStatus.PUBLISHED).order_by("-number").first()
    )


def _require(permission: str, *, actor: Actor) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You are not allowed to do this."))


def new_schedule_draft(*, actor: Actor, now: datetime | None = None) -> TariffSchedule:
    """A draft copied from the published schedule, rates included."""
    now = now or timezone.now()
    _require("billing.add_tariffschedule", actor=actor)
    with transaction.atomic():
        source = current_schedule()
        number = (TariffSchedule.objects.aggregate(m=Max("number"))["m"] or 0) + 1
        draft = TariffSchedule.objects.create(
            number=number,
            note=_("Draft from v%(n)s") % {"n": source.number} if source else "",
            usable_share=source.usable_share if source else Decimal("0.75"),
            due_month_day=source.due_month_day if source else "11-15",
            reminder_days=source.reminder_days if source else 15,
            created_by=actor,
            created_at=now,
        )
        if source:
            rates = list(source.rates.all())
            for rate in rates:
                rate.pk, rate.schedule = None, draft
            TariffRate.objects.bulk_create(rates)
            limits = list(source.authority.all())
            for limit in limits:
                limit.pk, limit.schedule = None, draft
            AuthorityLimit.objects.bulk_create(limits)
    return draft


def publish_schedule(
    schedule_id: int, *, actor: Actor, now: datetime | None = None
) -> TariffSchedule:
    """Publish a draft: bills generated from now on use it; issued bills keep theirs."""
    now = now or timezone.now()
    _require("billing.publish_tariffs", actor=actor)
    with transaction.atomic():
        schedule = TariffSchedule.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None or schedule.status != ScheduleStatus.DRAFT:
            raise ValidationError({"schedule": [_("Only a draft can be published.")]})
        if not schedule.rates.filter(method=Method.AREA, fee_group="").exists():
            raise ValidationError(
                {"rates": [_("Every schedule needs an area rate for at least one customer type.")]}
            )
        try:
            datetime.strptime(f"2024-{schedule.due_month_day}", "%Y-%m-%d")
        except ValueError:
            raise ValidationError(
                {"due_month_day": [_("The due date is MM-DD, e.g. 11-15.")]}
            ) from None
        TariffSchedule.objects.filter(status=ScheduleStatus.PUBLISHED).update(
            status=ScheduleStatus.RETIRED
        )
        schedule.status = ScheduleStatus.PUBLISHED
        schedule.published_by = actor
        schedule.published_at = now
        schedule.save()
    return schedule


def rate_for(
    rates: Iterable[TariffRate], customer_type: str, fee_group: str, metered: bool
) -> TariffRate | None:
    """The rate a premises is billed by: its type and reduced group (else its type's
    standard rate); a metered premises by the two-part rate where there is one."""
    table = {(r.customer_type, r.fee_group, r.method): r for r in rates}
    methods = [Method.TWO_PART, Method.AREA] if metered else [Method.AREA]
    for group in dict.fromkeys([fee_group, ""]):
        for method in methods:
            rate = table.get((customer_type, group, method))
            if rate is not None:
                return rate
    return None


def as_formula_rate(rate: TariffRate) -> formula.Rate:
    return formula.Rate(
        method=formula.Method(rate.method),
        price_per_m2=rate.price_per_m2,
        base_per_m2=rate.base_per_m2,
        energy_per_gj=rate.energy_per_gj,
        cap_at_area=rate.cap_at_area,
        stop_heat_share=rate.stop_heat_share,
        quantum=Decimal(rate.rounding),
    )


# --- the season's facts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Season:
    year: int
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def season(year: int, policy: PolicyVersion | None = None) -> Season:
    policy = policy or current_policy() or PolicyVersion()
    start, end = seasons.season_bounds(year, policy.season_start, policy.season_end)
    return Season(year, start, end)


def _overlap(start: date, end_exclusive: date, first: date, last: date) -> int:
    return max((min(end_exclusive, last + timedelta(days=1)) - max(start, first)).days, 0)


@dataclass
class Facts:
    """What a chunk of premises' bills need besides the premises: stopped days, metered
    energy, interruption days and approved temperature refunds, keyed by premises id."""

    stops: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    energy: dict[int, Decimal] = field(default_factory=dict)
    interruptions: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    refunds: dict[int, list[tuple[int, Decimal, str]]] = field(default_factory=dict)


def _facts(ids: list[int], period: Season) -> Facts:
    facts = Facts()
    stops: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for premises_id, stopped_on, resumed_on in HeatStop.objects.filter(
        season=period.year, premises_id__in=ids
    ).values_list("premises_id", "stopped_on", "resumed_on"):
        stops[premises_id].append((stopped_on, resumed_on))
    facts.stops = dict(stops)
    for row in (
        MeterReading.objects.filter(
            premises_id__in=ids, read_on__gte=period.start, read_on__lte=period.end
        )
        .values("premises_id")
        .annotate(first=Min("total_gj"), last=Max("total_gj"))
    ):
        facts.energy[row["premises_id"]] = row["last"] - row["first"]
    interruptions: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for premises_id, interruption_id, days, number in AffectedPremises.objects.filter(
        premises_id__in=ids,
        interruption__reduction_eligible=True,
        interruption__start_at__date__gte=period.start,
        interruption__start_at__date__lte=period.end,
    ).values_list("premises_id", "interruption_id", "reduction_days", "interruption__number"):
        if days:
            interruptions[premises_id].append((interruption_id, days, number))
    facts.interruptions = dict(interruptions)
    refunds: dict[int, list[tuple[int, Decimal, str]]] = defaultdict(list)
    for credit_id, premises_id, fraction, record in RefundCredit.objects.filter(
        premises_id__in=ids, season=period.year, status=CreditStatus.APPROVED
    ).values_list("pk", "premises_id", "fee_fraction", "measurement__number"):
        refunds[premises_id].append((credit_id, fraction, record))
    facts.refunds = dict(refunds)
    return facts


@dataclass(frozen=True)
class Computed:
    rate: TariffRate
    area: Decimal
    area_from_building: bool
    days: formula.Days
    energy_gj: Decimal
    lines: list[formula.Line]
    refund_ids: list[int]


def compute(
    premises: Premises,
    rates: list[TariffRate],
    schedule: TariffSchedule,
    period: Season,
    facts: Facts,
    adjustments: Iterable[formula.Credit] = (),
) -> Computed:
    """One premises' bill. Raises ValueError with the reason it cannot be billed."""
    customer = premises.customer
    rate = rate_for(rates, customer.customer_type, customer.fee_group, premises.metered)
    if rate is None:
        raise ValueError(_("no tariff for this customer type"))
    area = formula.billed_area(premises.heated_area, premises.building_area, schedule.usable_share)
    first = max(period.start, premises.billed_from or period.start)
    billed = max((period.end - first).days + 1, 0)
    stopped = sum(
        _overlap(stopped_on, resumed_on or period.end + timedelta(days=1), first, period.end)
        for stopped_on, resumed_on in facts.stops.get(premises.pk, [])
    )
    days = formula.Days(period.days, billed, min(stopped, billed))
    credits = [
        formula.Credit(
            formula.LineKind.INTERRUPTION,
            _("Supply interruption %(n)s: %(d)d days") % {"n": number, "d": reduction_days},
            f"interruption:{interruption_id}",
            days=reduction_days,
        )
        for interruption_id, reduction_days, number in facts.interruptions.get(premises.pk, [])
    ]
    credits += [
        formula.Credit(
            formula.LineKind.TEMPERATURE_REFUND,
            _("Indoor temperature below the target (%(n)s)") % {"n": record},
            f"temperature:{credit_id}",
            fraction=fraction,
        )
        for credit_id, fraction, record in facts.refunds.get(premises.pk, [])
    ]
    credits += list(adjustments)
    energy = facts.energy.get(premises.pk, Decimal("0"))
    lines = formula.bill_lines(as_formula_rate(rate), area, days, energy, credits)
    return Computed(
        rate=rate,
        area=area,
        area_from_building=not (premises.heated_area and premises.heated_area > 0),
        days=days,
        energy_gj=energy,
        lines=lines,
        refund_ids=[credit_id for credit_id, _f, _r in facts.refunds.get(premises.pk, [])],
    )


# --- the season run -------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def start_run(year: int, *, actor: Actor | None, now: datetime | None = None) -> BillRun:
    now = now or timezone.now()
    if actor is not None:
        _require("billing.generate_bills", actor=actor)
    schedule = current_schedule()
    if schedule is None:
        raise ValidationError({"schedule": [_("No tariff schedule is published.")]})
    return BillRun.objects.create(season=year, schedule=schedule, started_at=now, started_by=actor)


def generate_bills(
    run_id: int,
    premises_ids: list[int] | None = None,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> BillRun:
    """Bill every supplied premises (or ``premises_ids``) for the run's season, chunk by
    chunk, each chunk one transaction; a premises that already has an issued bill for the
    season is skipped, so a run interrupted and started again bills each premises once."""
    now = now or timezone.now()
    run = BillRun.objects.select_related("schedule").get(pk=run_id)
    schedule = run.schedule
    rates = list(schedule.rates.all())
    period = season(run.season)
    due = date(run.season, *(int(x) for x in schedule.due_month_day.split("-")))
    candidates = Premises.objects.exclude(status=SupplyStatus.CLOSED)
    if premises_ids is not None:
        candidates = candidates.filter(pk__in=premises_ids)
    ids = list(
        candidates.exclude(
            pk__in=Bill.objects.filter(season=run.season, status=BillStatus.ISSUED).values(
                "premises_id"
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    BillRun.objects.filter(pk=run.pk).update(total_premises=len(ids))
    skipped: list[dict[str, Any]] = list(run.skipped)
    issued = run.bills_issued
    done = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            premises_rows = list(
                Premises.objects.filter(pk__in=chunk)
                .exclude(
                    pk__in=Bill.objects.filter(
                        season=run.season, status=BillStatus.ISSUED, premises_id__in=chunk
                    ).values("premises_id")
                )
                .select_related("customer")
                .order_by("pk")
            )
            facts = _facts([p.pk for p in premises_rows], period)
            issued += _issue(premises_rows, rates, schedule, period, facts, run, due, now, skipped)
        done += len(chunk)
        BillRun.objects.filter(pk=run.pk).update(
            done_premises=done, bills_issued=issued, skipped=skipped[-200:]
        )
    BillRun.objects.filter(pk=run.pk).update(
        state=BillRun.State.DONE, finished_at=timezone.now() if now is None else now
    )
    run.refresh_from_db()
    return run


def bill_number(year: int, premises_id: int, revision: int = 0) -> str:
    suffix = f"-{revision}" if revision else ""
    return f"ZD{year}{premises_id:09d}{suffix}"


def _issue(
    premises_rows: list[Premises],
    rates: list[TariffRate],
    schedule: TariffSchedule,
    period: Season,
    facts: Facts,
    run: BillRun,
    due: date,
    now: datetime,
    skipped: list[dict[str, Any]],
) -> int:
    bills: list[Bill] = []
    computed: list[Computed] = []
    for premises in premises_rows:
        try:
            result = compute(premises, rates, schedule, period, facts)
        except ValueError as error:
            skipped.append({"premises": premises.pk, "reason": str(error)})
            continue
        computed.append(result)
        bills.append(_bill(premises, result, schedule, period, due, now, run=run))
    insert_instances(Bill, bills)
    _store_lines_and_charges(bills, computed, now)
    return len(bills)


def _bill(
    premises: Premises,
    result: Computed,
    schedule: TariffSchedule,
    period: Season,
    due: date,
    now: datetime,
    *,
    run: BillRun | None = None,
    number: str = "",
    supersedes: Bill | None = None,
    reason: str = "",
    actor: Actor | None = None,
) -> Bill:
    return Bill(
        number=number or bill_number(period.year, premises.pk),
        premises=premises,
        customer_id=premises.customer_id,
        season=period.year,
        schedule=schedule,
        rate=result.rate,
        area_m2=result.area,
        area_from_building=result.area_from_building,
        season_days=result.days.season,
        billed_days=result.days.billed,
        stopped_days=result.days.stopped,
        energy_gj=result.energy_gj,
        total=formula.total_of(result.lines),
        status=BillStatus.ISSUED,
        issued_at=now,
        due_on=due,
        supersedes=supersedes,
        reason=reason,
        run=run,
        created_by=actor,
    )


def _store_lines_and_charges(bills: list[Bill], computed: list[Computed], now: datetime) -> None:
    lines: list[BillLine] = []
    entries: list[LedgerEntry] = []
    refund_ids: list[int] = []
    for bill, result in zip(bills, computed, strict=True):
        for position, line in enumerate(result.lines, start=1):
            lines.append(
                BillLine(
                    bill=bill,
                    position=position,
                    kind=line.kind.value,
                    description=line.description[:200],
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    amount=line.amount,
                    reference=line.reference,
                )
            )
        entries.append(
            LedgerEntry(
                customer_id=bill.customer_id,
                premises_id=bill.premises_id,
                kind=EntryKind.CHARGE,
                amount=bill.total,
                bill=bill,
                season=bill.season,
                reference=f"bill:{bill.number}",
                booked_at=now,
            )
        )
        floor = sum(
            (line.amount for line in result.lines if line.kind == formula.LineKind.FLOOR),
            Decimal("0"),
        )
        if floor:
            entries.append(
                LedgerEntry(
                    customer_id=bill.customer_id,
                    premises_id=bill.premises_id,
                    kind=EntryKind.CREDIT,
                    amount=-floor,
                    bill=bill,
                    season=bill.season,
                    reference=f"bill-credit:{bill.number}",
                    booked_at=now,
                )
            )
        refund_ids += result.refund_ids
    insert_instances(BillLine, lines)
    insert_instances(LedgerEntry, entries)
    if refund_ids:
        RefundCredit.objects.filter(pk__in=refund_ids, status=CreditStatus.APPROVED).update(
            status=CreditStatus.APPLIED
        )
