from datetime import date, datetime, time

import pytest
from django.utils import timezone

from tests.factories import staff
from utilitydesk.duty import services
from utilitydesk.duty.defaults import install_default_shifts
from utilitydesk.duty.models import DutyRole, Roster, Shift
from utilitydesk.org.models import Position
from utilitydesk.outages.models import MajorFault

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


def put_on(duty, roster, person, shift, role, first_day: date, last_day: date | None = None):
    """``person`` on ``shift`` as ``role`` for a day (or through ``last_day``), entered by the
    service office."""
    return services.add_entries(
        roster.pk,
        first_day=first_day,
        last_day=last_day,
        shift_id=shift.pk,
        person_id=person.pk,
        role=role,
        actor=duty["office"],
    )


def major_fault(duty) -> MajorFault:
    """A major fault being repaired: unfinished work on every handover."""
    return MajorFault.objects.create(
        title="城东主干线泄漏",
        occurred_at=timezone.now(),
        place="东环路",
        symptoms="压力下降",
        response_plan="关阀抢修",
        reported_by=duty["director"],
    )


def staffed_roster(
    duty, first: date = JAN_FIRST, last: date = JAN_LAST, *, managers=True, nights=True
) -> Roster:
    """A draft roster: agent on every day shift, agent2 on every night, the director as the
    manager on duty on the holidays."""
    roster = services.create_roster(duty["unit"].pk, first, last, actor=duty["office"])
    put_on(duty, roster, duty["agent"], duty["day"], DutyRole.AGENT, first, last)
    if nights:
        put_on(duty, roster, duty["agent2"], duty["night"], DutyRole.AGENT, first, last)
    if managers:
        holidays_end = min(last, first.replace(day=3))
        put_on(duty, roster, duty["director"], duty["day"], DutyRole.MANAGER, first, holidays_end)
    return roster


@pytest.fixture
def published(duty):
    roster = staffed_roster(duty)
    return services.publish_roster(roster.pk, actor=duty["office"])
