"""Case numbers on PostgreSQL: each day's sequence, read by the case's INSERT. Unique under
concurrent creation (the day's first creations included), a failed creation leaves a gap
and never a duplicate, the count continues after what the counter recorded, more than 9,999
a day get more digits, and a week-old day's sequence is retired into the counter."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.concurrency import run_together
from tests.factories import is_postgres, make_customer
from utilitydesk.cases import numbering, services
from utilitydesk.cases.models import CaseNumberCounter

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="the sequences are PostgreSQL's"),
]


def fresh_day(days_ahead: int) -> datetime:
    """A moment of a day far ahead whose sequence does not exist yet."""
    moment = timezone.now() + timedelta(days=days_ahead)
    day = numbering.day_of(moment)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {numbering.SEQUENCE_PREFIX}{day}")
    numbering._ready.discard(day)
    return moment


def create(agent, customer, now, key=None):
    data = services.ContactInput(
        channel="phone",
        kind="repair",
        content="不热",
        customer_id=customer.pk,
        allow_duplicate=True,
    )
    if key:
        return services.create_contact_idempotent(key, key, data, actor=agent, now=now)[0].case
    return services.create_contact(data, actor=agent, now=now).case


def serial(number: str) -> int:
    return int(number[10:])


def test_the_days_first_creations_at_once_get_unique_numbers(people, area):
    now = fresh_day(500)
    day = numbering.day_of(now)
    customers = [
        make_customer(area["east"], f"{300 + i}", phones=(f"1360000{i:04d}",)) for i in range(12)
    ]
    results = run_together(
        [
            lambda c=c, i=i: create(people["agent"], c, now, key=f"first-{i}").number
            for i, c in enumerate(customers)
        ]
    )
    assert [kind for kind, _ in results] == ["ok"] * 12, results
    numbers = [number for _, number in results]
    assert all(re.fullmatch(rf"GD{day}\d{{4}}", n) for n in numbers), numbers
    assert sorted(serial(n) for n in numbers) == list(range(1, 13))


def test_a_failed_creation_leaves_a_gap_never_a_duplicate(people, customers):
    now = fresh_day(501)
    first = create(people["agent"], customers["east"], now)
    with pytest.raises(RuntimeError), transaction.atomic():
        create(people["agent"], customers["west"], now)
        raise RuntimeError("the creation fails after its INSERT")
    after = create(people["agent"], customers["west"], now)
    assert serial(after.number) == serial(first.number) + 2


def test_the_count_continues_after_the_counter_and_grows_past_four_digits(people, customers):
    now = fresh_day(502)
    day = numbering.day_of(now)
    CaseNumberCounter.objects.create(day=day, last=41)
    assert create(people["agent"], customers["east"], now).number == f"GD{day}0042"
    numbering.reserve_through(day, 9999)
    assert create(people["agent"], customers["east"], now).number == f"GD{day}10000"
    assert numbering.issued()[day] == 10000


def test_a_week_old_sequence_is_retired_into_the_counter(people, customers):
    old = fresh_day(503)
    create(people["agent"], customers["east"], old)
    create(people["agent"], customers["east"], old)
    later = fresh_day(503 + numbering.KEEP_DAYS + 1)
    create(people["agent"], customers["east"], later)
    old_day = numbering.day_of(old)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [numbering.SEQUENCE_PREFIX + old_day])
        assert cursor.fetchone()[0] is None
    assert CaseNumberCounter.objects.get(day=old_day).last == 2
