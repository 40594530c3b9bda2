from datetime import date, datetime, time

import pytest
from django.utils import timezone

from tests.factories import staff
from utilitydesk.duty import services
from utilitydesk.duty.defaults import install_default_shifts
from utilitydesk.duty.models import DutyRole, Roster, Shift
from utilitydesk.org.models import Position

# January 2026: in the heating season, 1–3 January are New Year holidays.
JAN_FIRST, JAN_LAST = date(2026, 1, 1), date(2026, 1, 31)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def duty(org, people):
    """The service centre's people: two agents, its head (the director, manager on duty)
    and the service office that keeps the roster."""
    install_default_shifts(Shift)
    return {
        "unit": org["centre"],
        "agent": people["agent"],
        "agent2": staff("agent2", Position.AGENT, org["centre"]),
        "agent3": staff("agent3", Position.AGENT, org["centre"]),
        "director": staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"]),
        "office": people["office"],
        "day": Shift.objects.get(code="day"),
        "night": Shift.objects.get(code="night"),
    }


def staffed_roster(
    duty, first: date = JAN_FIRST, last: date = JAN_LAST, *, managers=True, nights=True
) -> Roster:
    """A draft roster: agent on every day shift, agent2 on every night, the director as the
    manager on duty on the holidays."""
    office = duty["office"]
    roster = services.create_roster(duty["unit"].pk, first, last, actor=office)
    services.add_entries(
        roster.pk,
        first_day=first,
        last_day=last,
        shift_id=duty["day"].pk,
        person_id=duty["agent"].pk,
        role=DutyRole.AGENT,
        actor=office,
    )
    if nights:
        services.add_entries(
            roster.pk,
            first_day=first,
            last_day=last,
            shift_id=duty["night"].pk,
            person_id=duty["agent2"].pk,
            role=DutyRole.AGENT,
            actor=office,
        )
    if managers:
        services.add_entries(
            roster.pk,
            first_day=first,
            last_day=min(last, first.replace(day=3)),
            shift_id=duty["day"].pk,
            person_id=duty["director"].pk,
            role=DutyRole.MANAGER,
            actor=office,
        )
    return roster


@pytest.fixture
def published(duty):
    roster = staffed_roster(duty)
    return services.publish_roster(roster.pk, actor=duty["office"])
