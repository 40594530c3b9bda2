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
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers.models import CustomerType, FeeGroup, Premises, SupplyStatus
from utilitydesk.kernel.bulk import insert_rows
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

CHUNK = 5_000


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


@dataclass(frozen=True)
class Billable:
    """What a bill needs of a premises and its customer (read as plain values: a season
    run handles a million of them)."""

    pk: int
    customer_id: int
    customer_type: str
    fee_group: str
    heated_area: Decimal | None
    building_area: Decimal | None
    billed_from: date | None
    metered: bool


BILLABLE_FIELDS = (
    "pk",
    "customer_id",
    "customer__customer_type",
    "customer__fee_group",
    "heated_area",
    "building_area",
    "billed_from",
    "metered",
)


def billable(premises: Premises) -> Billable:
    return Billable(
        premises.pk,
        premises.customer_id,
        premises.customer.customer_type,
        premises.customer.fee_group,
        premises.heated_area,
        premises.building_area,
        premises.billed_from,
        premises.metered,
    )


@dataclass
class Facts:
    """What a range of premises' bills need besides the premises: stopped days, metered
    energy, interruption days and approved temperature refunds, keyed by premises id."""

    stops: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    energy: dict[int, Decimal] = field(default_factory=dict)
    interruptions: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    refunds: dict[int, list[tuple[int, Decimal, str]]] = field(default_factory=dict)


def _facts(low: int, high: int, period: Season) -> Facts:
    """The facts of the premises with ids in [low, high]."""
    facts = Facts()
    stops: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for premises_id, stopped_on, resumed_on in HeatStop.objects.filter(
        season=period.year, premises_id__gte=low, premises_id__lte=high
    ).values_list("premises_id", "stopped_on", "resumed_on"):
        stops[premises_id].append((stopped_on, resumed_on))
    facts.stops = dict(stops)
    for row in (
        MeterReading.objects.filter(
            premises_id__gte=low,
            premises_id__lte=high,
            read_on__gte=period.start,
            read_on__lte=period.end,
        )
        .values("premises_id")
        .annotate(first=Min("total_gj"), last=Max("total_gj"))
    ):
        facts.energy[row["premises_id"]] = row["last"] - row["first"]
    interruptions: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for premises_id, interruption_id, days, number in AffectedPremises.objects.filter(
        premises_id__gte=low,
        premises_id__lte=high,
        interruption__reduction_eligible=True,
        interruption__start_at__date__gte=period.start,
        interruption__start_at__date__lte=period.end,
    ).values_list("premises_id", "interruption_id", "reduction_days", "interruption__number"):
        if days:
            interruptions[premises_id].append((interruption_id, days, number))
    facts.interruptions = dict(interruptions)
    refunds: dict[int, list[tuple[int, Decimal, str]]] = defaultdict(list)
    for credit_id, premises_id, fraction, record in RefundCredit.objects.filter(
        premises_id__gte=low,
        premises_id__lte=high,
        season=period.year,
        status=CreditStatus.APPROVED,
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


class RateTable:
    """The schedule's rates looked up by (type, group, metered), memoised per run."""

    def __init__(self, rates: list[TariffRate]):
        self.rates = rates
        self._found: dict[tuple[str, str, bool], tuple[TariffRate, formula.Rate] | None] = {}

    def get(
        self, customer_type: str, fee_group: str, metered: bool
    ) -> tuple[TariffRate, formula.Rate] | None:
        key = (customer_type, fee_group, metered)
        if key not in self._found:
            rate = rate_for(self.rates, customer_type, fee_group, metered)
            self._found[key] = (rate, as_formula_rate(rate)) if rate else None
        return self._found[key]


def compute(
    premises: Billable,
    rates: RateTable,
    schedule: TariffSchedule,
    period: Season,
    facts: Facts,
    adjustments: Iterable[formula.Credit] = (),
) -> Computed:
    """One premises' bill. Raises ValueError with the reason it cannot be billed."""
    found = rates.get(premises.customer_type, premises.fee_group, premises.metered)
    if found is None:
        raise ValueError(_("no tariff for this customer type"))
    rate, rule = found
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
    lines = formula.bill_lines(rule, area, days, energy, credits)
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


def start_run(year: int, *, actor: Actor | None, now: datetime | None = None) -> BillRun:
    now = now or timezone.now()
    if actor is not None:
        _require("billing.generate_bills", actor=actor)
    schedule = current_schedule()
    if schedule is None:
        raise ValidationError({"schedule": [_("No tariff schedule is published.")]})
    return BillRun.objects.create(season=year, schedule=schedule, started_at=now, started_by=actor)


def _ranges(ids: list[int]) -> Iterator[tuple[int, int]]:
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        yield part[0], part[-1]


def generate_bills(
    run_id: int,
    premises_ids: list[int] | None = None,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> BillRun:
    """Bill every premises that is not closed (or those of ``premises_ids``) for the run's
    season, a range of ids at a time, each range one transaction; a premises that already
    has an issued bill for the season is skipped, so a run interrupted and started again
    bills each premises once."""
    now = now or timezone.now()
    run = BillRun.objects.select_related("schedule").get(pk=run_id)
    schedule = run.schedule
    rates = RateTable(list(schedule.rates.all()))
    period = season(run.season)
    due = date(run.season, *(int(x) for x in schedule.due_month_day.split("-")))
    wanted = set(premises_ids) if premises_ids is not None else None
    candidates = Premises.objects.exclude(status=SupplyStatus.CLOSED)
    if wanted is not None:
        candidates = candidates.filter(pk__in=wanted)
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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, so the set-wise statement looks the facts up by index.
            for table in (
                "billing_heatstop",
                "temperature_refundcredit",
                "outages_affectedpremises",
            ):
                cursor.execute(f"ANALYZE {table}")
    skipped: list[dict[str, Any]] = list(run.skipped)
    issued = run.bills_issued
    done = 0
    for low, high in _ranges(ids):
        with transaction.atomic():
            fresh = not Bill.objects.filter(
                season=run.season,
                status=BillStatus.ISSUED,
                premises_id__gte=low,
                premises_id__lte=high,
            ).exists()
            if connection.vendor == "postgresql" and wanted is None and fresh:
                # The plain majority set-wise in the database; the rest below, in Python. (A
                # range a stopped run began goes through Python, which skips what is billed.)
                issued += _issue_plain(low, high, rates, schedule, period, run, due, now)
            billed = set(
                Bill.objects.filter(
                    season=run.season,
                    status=BillStatus.ISSUED,
                    premises_id__gte=low,
                    premises_id__lte=high,
                ).values_list("premises_id", flat=True)
            )
            rows = [
                Billable(*values)
                for values in Premises.objects.filter(pk__gte=low, pk__lte=high)
                .exclude(status=SupplyStatus.CLOSED)
                .order_by("pk")
                .values_list(*BILLABLE_FIELDS)
                if values[0] not in billed and (wanted is None or values[0] in wanted)
            ]
            facts = _facts(low, high, period)
            issued += _issue(rows, rates, schedule, period, facts, run, due, now, skipped)
        done = min(done + CHUNK, len(ids))
        BillRun.objects.filter(pk=run.pk).update(
            done_premises=done, bills_issued=issued, skipped=skipped[-200:]
        )
    BillRun.objects.filter(pk=run.pk).update(state=BillRun.State.DONE, finished_at=now)
    run.refresh_from_db()
    return run


def bill_number(year: int, premises_id: int, revision: int = 0) -> str:
    suffix = f"-{revision}" if revision else ""
    return f"ZD{year}{premises_id:09d}{suffix}"


def _issue(
    rows: list[Billable],
    rates: RateTable,
    schedule: TariffSchedule,
    period: Season,
    facts: Facts,
    run: BillRun,
    due: date,
    now: datetime,
    skipped: list[dict[str, Any]],
) -> int:
    bills: list[dict[str, Any]] = []
    computed: list[Computed] = []
    for premises in rows:
        try:
            result = compute(premises, rates, schedule, period, facts)
        except ValueError as error:
            skipped.append({"premises": premises.pk, "reason": str(error)})
            continue
        computed.append(result)
        bills.append(bill_row(premises, result, schedule, period, due, now, run_id=run.pk))
    ids = insert_rows(Bill, bills)
    _store_lines_and_charges(bills, ids, computed, now)
    return len(bills)


def bill_row(
    premises: Billable,
    result: Computed,
    schedule: TariffSchedule,
    period: Season,
    due: date,
    now: datetime,
    *,
    run_id: int | None = None,
    number: str = "",
    supersedes_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> dict[str, Any]:
    """A new bill's row: every field a bill has, given."""
    return {
        "number": number or bill_number(period.year, premises.pk),
        "premises_id": premises.pk,
        "customer_id": premises.customer_id,
        "season": period.year,
        "schedule_id": schedule.pk,
        "rate_id": result.rate.pk,
        "area_m2": result.area,
        "area_from_building": result.area_from_building,
        "season_days": result.days.season,
        "billed_days": result.days.billed,
        "stopped_days": result.days.stopped,
        "energy_gj": result.energy_gj,
        "total": formula.total_of(result.lines),
        "status": BillStatus.ISSUED.value,
        "issued_at": now,
        "due_on": due,
        "supersedes_id": supersedes_id,
        "reason": reason,
        "run_id": run_id,
        "created_by_id": actor_id,
    }


def _store_lines_and_charges(
    bills: list[dict[str, Any]], ids: list[int], computed: list[Computed], now: datetime
) -> None:
    lines: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    refund_ids: list[int] = []
    for bill, bill_id, result in zip(bills, ids, computed, strict=True):
        for position, line in enumerate(result.lines, start=1):
            lines.append(
                {
                    "bill_id": bill_id,
                    "position": position,
                    "kind": line.kind.value,
                    "description": line.description[:200],
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                    "reference": line.reference,
                }
            )
        entry = {
            "customer_id": bill["customer_id"],
            "premises_id": bill["premises_id"],
            "bill_id": bill_id,
            "season": bill["season"],
            "booked_at": now,
            "note": "",
            "created_by_id": bill["created_by_id"],
        }
        entries.append(
            {
                **entry,
                "kind": EntryKind.CHARGE.value,
                "amount": bill["total"],
                "reference": f"bill:{bill['number']}",
            }
        )
        floor = sum(
            (line.amount for line in result.lines if line.kind == formula.LineKind.FLOOR),
            Decimal("0"),
        )
        if floor:
            entries.append(
                {
                    **entry,
                    "kind": EntryKind.CREDIT.value,
                    "amount": -floor,
                    "reference": f"bill-credit:{bill['number']}",
                }
            )
        refund_ids += result.refund_ids
    insert_rows(BillLine, lines)
    insert_rows(LedgerEntry, entries)
    if refund_ids:
        RefundCredit.objects.filter(pk__in=refund_ids, status=CreditStatus.APPROVED).update(
            status=CreditStatus.APPLIED
        )


# A premises whose bill is one line (by area, the whole season, no stop, no meter, no
# credits, its heated area known) is billed by three INSERT … SELECT statements; the
# result is the one `formula.bill_lines` gives (a test compares both paths).
_PLAIN_SQL = """
WITH rates(customer_type, fee_group, rate_id, price, quantum) AS (VALUES {values}),
src AS (
    SELECT p.id, p.customer_id, p.heated_area, r.rate_id, r.price, r.quantum
    FROM customers_premises p
    JOIN customers_customer c ON c.id = p.customer_id
    JOIN rates r ON r.customer_type = c.customer_type AND r.fee_group = c.fee_group
    WHERE p.id BETWEEN %(low)s AND %(high)s
      AND p.status <> 'closed' AND NOT p.metered AND p.heated_area > 0
      AND (p.billed_from IS NULL OR p.billed_from <= %(start)s)
      AND NOT EXISTS (SELECT 1 FROM billing_heatstop h WHERE h.premises_id = p.id
                      AND h.season = %(season)s)
      AND NOT EXISTS (SELECT 1 FROM temperature_refundcredit t WHERE t.premises_id = p.id
                      AND t.season = %(season)s AND t.status = 'approved')
      AND NOT EXISTS (SELECT 1 FROM outages_affectedpremises a
                      JOIN outages_interruption i ON i.id = a.interruption_id
                      WHERE a.premises_id = p.id AND i.reduction_eligible
                      AND a.reduction_days > 0
                      AND (i.start_at AT TIME ZONE 'Asia/Shanghai')::date
                          BETWEEN %(start)s AND %(end)s)
),
bills AS (
    INSERT INTO billing_bill (number, premises_id, customer_id, season, schedule_id, rate_id,
        area_m2, area_from_building, season_days, billed_days, stopped_days, energy_gj, total,
        status, issued_at, due_on, supersedes_id, reason, run_id, created_by_id)
    SELECT 'ZD' || %(season)s::text || lpad(src.id::text, 9, '0'), src.id, src.customer_id,
        %(season)s, %(schedule)s, src.rate_id, src.heated_area, false, %(days)s, %(days)s, 0,
        0, round(src.heated_area * src.price / src.quantum) * src.quantum, 'issued',
        %(now)s, %(due)s, NULL, '', %(run)s, NULL
    FROM src
    RETURNING id, number, premises_id, customer_id, rate_id, area_m2, total
),
lines AS (
    INSERT INTO billing_billline (bill_id, position, kind, description, quantity, unit,
        unit_price, amount, reference)
    SELECT bills.id, 1, 'area_fee',
        bills.area_m2::text || ' m² × ' || r.price::text || ' × ' || %(days)s::text || '/'
            || %(days)s::text,
        bills.area_m2, 'm2', r.price, bills.total, ''
    FROM bills JOIN (SELECT DISTINCT rate_id, price FROM rates) r ON r.rate_id = bills.rate_id
)
INSERT INTO billing_ledgerentry (customer_id, premises_id, kind, amount, bill_id, season,
    reference, booked_at, note, created_by_id)
SELECT bills.customer_id, bills.premises_id, 'charge', bills.total, bills.id, %(season)s,
    'bill:' || bills.number, %(now)s, '', NULL
FROM bills
RETURNING 1
"""


def _plain_rates(rates: RateTable) -> list[tuple[str, str, int, Decimal, Decimal]]:
    """(customer type, tariff group) → the area rate an unmetered premises is billed by."""
    table = []
    for customer_type in CustomerType.values:
        for group in FeeGroup.values:
            found = rates.get(customer_type, group, False)
            if found is not None and found[0].method == Method.AREA:
                rate = found[0]
                table.append(
                    (customer_type, group, rate.pk, rate.price_per_m2, Decimal(rate.rounding))
                )
    return table


def _issue_plain(
    low: int,
    high: int,
    rates: RateTable,
    schedule: TariffSchedule,
    period: Season,
    run: BillRun,
    due: date,
    now: datetime,
) -> int:
    table = _plain_rates(rates)
    if not table:
        return 0
    params: dict[str, Any] = {
        "low": low,
        "high": high,
        "start": period.start,
        "end": period.end,
        "season": period.year,
        "schedule": schedule.pk,
        "days": period.days,
        "now": now,
        "due": due,
        "run": run.pk,
    }
    placeholders = []
    for index, (customer_type, group, rate_id, price, quantum) in enumerate(table):
        params.update(
            {f"t{index}": customer_type, f"g{index}": group, f"r{index}": rate_id}
            | {f"p{index}": price, f"q{index}": quantum}
        )
        placeholders.append(
            f"(%(t{index})s, %(g{index})s, %(r{index})s, %(p{index})s::numeric, %(q{index})s::numeric)"
        )
    # Only placeholders are formatted into the statement; every value is a parameter.
    sql = _PLAIN_SQL.format(values=", ".join(placeholders))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
