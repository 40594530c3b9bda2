"""Case numbers: GD + the local date + the day's sequence (4 digits, more after 9,999 a
day), e.g. GD202611250042.

On PostgreSQL each day has its own sequence (`cases_number_YYYYMMDD`), read by the case's
INSERT itself: no row is locked while a case is being created, so creations do not wait
for one another; a creation that fails leaves a gap in the day's numbers, never a
duplicate. The sequence is made by the day's first creation (under an advisory lock,
starting after what `CaseNumberCounter` records for that day), and a week later its last
value is written back to the counter and the sequence dropped. SQLite (the embedded mode,
one writer at a time) counts in `CaseNumberCounter` inside the creating transaction."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import CaseNumberCounter

PREFIX = "GD"
SEQUENCE_PREFIX = "cases_number_"
KEEP_DAYS = 7  # a day's sequence outlives it by a week (requests in flight at midnight)
# pg_advisory_xact_lock key serialising the creation of the days' sequences ("GDNO").
SEQUENCE_LOCK = 0x47444E4F

# Days whose sequence this process has seen committed.
_ready: set[str] = set()


def case_number(day: str, value: int) -> str:
    """The number of a day's ``value``-th case: GD + YYYYMMDD (local) + 4 or more digits."""
    return f"{PREFIX}{day}{value:04d}"


def day_of(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y%m%d")


def _sequence(day: str) -> str:
    if not (len(day) == 8 and day.isdigit()):
        raise ValueError(f"not a day: {day!r}")
    return SEQUENCE_PREFIX + day


def _number_sql(day: str) -> tuple[str, list[str]]:
    """SQL giving the next number of ``day`` from its sequence (the sequence must exist)."""
    return (
        "SELECT %s || CASE WHEN v < 10000 THEN lpad(v::text, 4, '0') ELSE v::text END "
        "FROM nextval(%s::regclass) AS v",
        [PREFIX + day, _sequence(day)],
    )


def number_for_insert(*, now: datetime) -> str | RawSQL:
    """What to put in `Case.number` before the case's INSERT: on PostgreSQL an expression
    the INSERT evaluates (the number comes back with the row), on SQLite the number."""
    day = day_of(now)
    if connection.vendor != "postgresql":
        return _count(day)
    _ensure_sequence(day)
    sql, params = _number_sql(day)
    return RawSQL(sql, params)  # nosec B611: fixed SQL, the day's values as parameters


def allocate_number(*, now: datetime) -> str:
    """The next number of ``now``'s day, on its own (a case's INSERT takes it from
    `number_for_insert` instead)."""
    day = day_of(now)
    if connection.vendor != "postgresql":
        return _count(day)
    _ensure_sequence(day)
    with connection.cursor() as cursor:
        cursor.execute(*_number_sql(day))
        return str(cursor.fetchone()[0])


def _count(day: str) -> str:
    with transaction.atomic():
        counter, _created = CaseNumberCounter.objects.select_for_update().get_or_create(day=day)
        CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return case_number(day, counter.last + 1)


def _ensure_sequence(day: str) -> None:
    if day in _ready:
        return
    name = _sequence(day)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            # Two first creations of the day at once: the second waits here for the
            # first's commit, then finds the sequence made.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCE_LOCK])
            cursor.execute("SELECT last FROM cases_casenumbercounter WHERE day = %s", [day])
            row = cursor.fetchone()
            start = (row[0] if row else 0) + 1
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}")
            _retire_old(cursor, day)
    # Known to exist once committed: the sequence found may be this transaction's own, and
    # a rolled-back creation takes it with it.
    transaction.on_commit(lambda: _ready.add(day))


def _retire_old(cursor, day: str) -> None:
    """Write the last value of the sequences of days a week gone into the counter and drop
    them (under the advisory lock)."""
    oldest = (datetime.strptime(day, "%Y%m%d") - timedelta(days=KEEP_DAYS)).strftime("%Y%m%d")
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s AND relname < %s",
        [SEQUENCE_PREFIX + "%", _sequence(oldest)],
    )
    for (name,) in cursor.fetchall():
        old_day = name.removeprefix(SEQUENCE_PREFIX)
        _sequence(old_day)  # refuses anything but a day
        last = _sequence_last(cursor, old_day)
        if last:
            _record_issued(old_day, last)
        cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
        _ready.discard(old_day)


def _sequence_last(cursor, day: str) -> int:
    """The last value the day's sequence gave (0: none yet)."""
    name = _sequence(day)
    cursor.execute(f"SELECT last_value, is_called FROM {name}")  # nosec B608: a day's sequence name, digits checked
    last_value, is_called = cursor.fetchone()
    return int(last_value) if is_called else int(last_value) - 1


def _record_issued(day: str, last: int) -> None:
    if not CaseNumberCounter.objects.filter(day=day, last__lt=last).update(last=last):
        CaseNumberCounter.objects.get_or_create(day=day, defaults={"last": last})


def issued() -> dict[str, int]:
    """The last number issued per day (counters, and on PostgreSQL the live sequences)."""
    found = dict(CaseNumberCounter.objects.values_list("day", "last"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s",
                [SEQUENCE_PREFIX + "%"],
            )
            for (name,) in cursor.fetchall():
                day = name.removeprefix(SEQUENCE_PREFIX)
                found[day] = max(found.get(day, 0), _sequence_last(cursor, day))
    return found


def reserve_through(day: str, last: int) -> None:
    """Numbers up to ``last`` of ``day`` were given by someone else (the synthetic city
    loads cases with their numbers): the day's counting continues after them. Not for
    use while cases are being created that day."""
    _record_issued(day, last)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [_sequence(day)])
            if cursor.fetchone()[0] is not None and _sequence_last(cursor, day) < last:
                cursor.execute("SELECT setval(%s::regclass, %s)", [_sequence(day), last])
