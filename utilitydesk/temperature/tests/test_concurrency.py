"""Two people, one home: the technician and a team leader submitting the same visit's
record at once store one record and resolve the case once; two visits booked at once for a
household with one slot left do not both get it. PostgreSQL only: row locks are what is
being proved."""

from datetime import timedelta

import pytest

from tests.factories import is_postgres, staff
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Status
from utilitydesk.org.models import Position
from utilitydesk.outages.tests.test_interruption_concurrency import run_together
from utilitydesk.temperature import services
from utilitydesk.temperature.models import Measurement, RefundCredit

from .conftest import NOW, on_site, record_input, room, temperature_case

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


def test_one_visit_recorded_twice_at_once_is_stored_once(people, customers, org, thermometer):
    leader = staff("leader", Position.TEAM_LEADER, org["east_team"])
    case = on_site(people, customers)
    cold = [room("bedroom", "12", "16.0"), room("living_room", "20", "16.2", "16.4")]
    later = NOW + timedelta(hours=3)
    results = run_together(
        [
            lambda who=who: services.record_measurement(
                record_input(case, thermometer, rooms=cold), actor=who, now=later
            )
            for who in (people["tech"], leader)
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert Measurement.objects.count() == 1
    assert RefundCredit.objects.count() == 1
    assert Case.objects.filter(attributes__temperature_adjustment_for__isnull=False).count() == 1
    resolved = Case.objects.get(pk=case.pk)
    assert resolved.status == Status.RESOLVED
    assert resolved.events.filter(action="resolve").count() == 1


def test_the_last_slot_of_a_day_is_booked_once(people, customers, org):
    leader = staff("leader", Position.TEAM_LEADER, org["east_team"])
    temperature_case(people, customers, book_at=NOW + timedelta(hours=1))
    first = temperature_case(people, customers)
    second = temperature_case(people, customers)
    results = run_together(
        [
            lambda number=number, who=who: case_services.book(
                number, NOW + timedelta(hours=4), actor=who, now=NOW
            )
            for number, who in ((first.number, people["tech"]), (second.number, leader))
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert Case.objects.filter(status=Status.BOOKED).count() == 2
