"""Two people of the incoming shift acting on one handover at once — one accepting, the
other refusing — give one outcome: the second finds it already decided. PostgreSQL only:
the row lock is what is being proved."""

from datetime import date

import pytest

from tests.factories import is_postgres
from utilitydesk.duty import services
from utilitydesk.duty.models import DutyRole, Handover, HandoverRefusal, HandoverStatus
from utilitydesk.outages.tests.test_interruption_concurrency import run_together

from .conftest import at, put_on, staffed_roster

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]
DAY = date(2026, 1, 10)


def handed_over(duty, third_role: str, now=None) -> Handover:
    """The day shift of DAY signed over to a night shift of two: agent2 and agent3."""
    roster = staffed_roster(duty)
    put_on(duty, roster, duty["agent3"], duty["night"], third_role, DAY)
    services.publish_roster(roster.pk, actor=duty["office"])
    return services.hand_over(
        duty["unit"].pk,
        DAY,
        duty["day"].pk,
        notes="无遗留",
        sign=True,
        actor=duty["agent"],
        now=now,
    )


def test_accept_and_refuse_at_once_give_one_outcome(duty):
    handover = handed_over(duty, DutyRole.SHIFT_LEADER, now=at(DAY, 19, 55))
    results = run_together(
        [
            lambda: services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20)),
            lambda: services.refuse_handover(
                handover.pk, conditions=["records_unclear"], actor=duty["agent3"], now=at(DAY, 20)
            ),
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    final = Handover.objects.get(pk=handover.pk)
    if results[0][0] == "ok":
        assert (
            final.status == HandoverStatus.ACCEPTED and final.incoming_signed_by == duty["agent2"]
        )
        assert not HandoverRefusal.objects.exists()
    else:
        assert final.status == HandoverStatus.REFUSED and final.incoming_signed_by is None
        assert HandoverRefusal.objects.count() == 1


def test_two_incoming_accepting_at_once_sign_once(duty):
    handover = handed_over(duty, DutyRole.AGENT)
    results = run_together(
        [
            lambda who=who: services.accept_handover(handover.pk, actor=who, now=at(DAY, 20))
            for who in (duty["agent2"], duty["agent3"])
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    winner = next(r[1] for r in results if r[0] == "ok")
    assert Handover.objects.get(pk=handover.pk).incoming_signed_by == winner.incoming_signed_by
