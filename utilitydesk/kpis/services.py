"""Keeping the KPIs' daily counts (docs/kpis.md, "Daily counts"): each part of each KPI
grouped by local day, unit and person with the definition's own query, stored for the
selectors to sum. Recounting a day replaces its counts; two workers counting the same
days wait for each other (idempotent)."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .definitions import KPIS, Source, counted_parts, required
from .models import CountedDay, DayCount, Holder

# Any number: the key of the PostgreSQL advisory lock held while counts are replaced.
COUNT_LOCK = 904_001


def local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def days_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _holders(source: Source) -> dict[str, str]:
    """The field each holder of a source's rows is read from: the unit it is charged to
    (unless the unit comes from the person's assignment) and the person."""
    paths = {Holder.PERSON.value: required(source.person_path, "person")}
    if not source.unit_by_person:
        paths[Holder.UNIT.value] = required(source.unit_path, "unit")
    return paths


def grouped_by_day(
    source: Source,
    hits: Q,
    ranges: list[tuple[datetime, datetime]],
    holder_paths: dict[str, str],
    where: Q | None = None,
) -> Iterator[dict[str, Any]]:
    """The source's rows in the ranges (and ``where``) grouped by local day and by each
    holder's field: rows ``n`` and rows meeting ``hits`` ``hit``."""
    period_field = required(source.period_field, "period")
    within = source.in_period(*ranges[0])
    for start, end in ranges[1:]:
        within |= source.in_period(start, end)
    keys = {f"holder_{holder}": F(path) for holder, path in holder_paths.items()}
    yield from (
        source.rows()
        .filter(within)
        .filter(where or Q())
        .annotate(day=TruncDate(period_field, tzinfo=timezone.get_default_timezone()))
        .values("day", **keys)
        .annotate(n=Count("pk"), hit=Count("pk", filter=hits))
    )


def _counts(first: date, last: date) -> list[DayCount]:
    ranges = [(local_start(first), local_start(last + timedelta(days=1)))]
    counts: list[DayCount] = []
    for code, kpi in KPIS.items():
        for part, source, hits in counted_parts(kpi):
            holders = _holders(source)
            sums: dict[tuple[str, int, date], list[int]] = defaultdict(lambda: [0, 0])
            for row in grouped_by_day(source, hits, ranges, holders):
                for holder in holders:
                    holder_id = row[f"holder_{holder}"]
                    if holder_id is not None:
                        pair = sums[(holder, holder_id, row["day"])]
                        pair[0] += row["n"]
                        pair[1] += row["hit"]
            counts.extend(
                DayCount(
                    day=day,
                    kpi=code,
                    part=part,
                    holder=holder,
                    holder_id=holder_id,
                    rows=n,
                    hits=hit,
                )
                for (holder, holder_id, day), (n, hit) in sums.items()
            )
    return counts


# Days counted in one transaction: a week of a busy season is about 100,000 counts.
CHUNK_DAYS = 7


def count_days(first: date, last: date, *, now: datetime) -> int:
    """Count (or recount) the local days first..last, a week per transaction: a week's
    stored counts are replaced at once, readers see the old ones until it commits.
    Returns the counts stored."""
    stored = 0
    while first <= last:
        chunk_last = min(last, first + timedelta(days=CHUNK_DAYS - 1))
        stored += _replace(first, chunk_last, now)
        first = chunk_last + timedelta(days=1)
    return stored


def _replace(first: date, last: date, now: datetime) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COUNT_LOCK])
                cursor.execute("SET LOCAL work_mem = '64MB'")
        counts = _counts(first, last)
        DayCount.objects.filter(day__gte=first, day__lte=last).delete()
        DayCount.objects.bulk_create(counts, batch_size=5000)
        CountedDay.objects.filter(day__gte=first, day__lte=last).delete()
        CountedDay.objects.bulk_create(
            CountedDay(day=day, counted_at=now) for day in days_between(first, last)
        )
    return len(counts)


def count_recent(*, now: datetime, days: int) -> int:
    """Recount the last ``days`` local days up to today (today's counts as of ``now``)."""
    today = timezone.localdate(now)
    return count_days(today - timedelta(days=max(days, 1) - 1), today, now=now)


def backfill(*, now: datetime, before: date, days: int) -> int:
    """Count up to ``days`` of the days before ``before`` that were never counted, the most
    recent first, back to the first case received: a new installation (or one upgraded
    with years of cases) converges without anyone running count_kpis."""
    from utilitydesk.cases.models import Case

    first_received = (
        Case.objects.order_by("received_at").values_list("received_at", flat=True).first()
    )
    if first_received is None:
        return 0
    first = timezone.localdate(first_received)
    counted = set(
        CountedDay.objects.filter(day__gte=first, day__lt=before).values_list("day", flat=True)
    )
    missing = [
        day for day in days_between(first, before - timedelta(days=1)) if day not in counted
    ][-days:]
    stored = 0
    run: list[date] = []
    for day in [*missing, None]:  # consecutive days are counted together
        if run and (day is None or day != run[-1] + timedelta(days=1)):
            stored += count_days(run[0], run[-1], now=now)
            run = []
        if day is not None:
            run.append(day)
    return stored
