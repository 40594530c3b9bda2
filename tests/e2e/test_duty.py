"""Issue 16 item 5 (R-1002) in a desktop browser: the outgoing agent hands over without a
word about the major repair still under way; the incoming agent sees the open major fault
on the handover page, is stopped from simply signing, and refuses the handover ticking
"a major repair unfinished without handover notes" — the refusal is on the page and on
record, and the outgoing agent is asked to sign again."""

import pytest
from django.utils import timezone

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import staff
from utilitydesk.duty import selectors, services
from utilitydesk.duty.defaults import install_default_shifts
from utilitydesk.duty.models import (
    DutyRole,
    Handover,
    HandoverStatus,
    RefusalCondition,
    Roster,
    RosterStatus,
    Shift,
)
from utilitydesk.org.models import Position
from utilitydesk.outages.models import MajorFault

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_duty(org, people):
    """agent on the shift under way now, agent2 on the next one, in a published roster
    (set straight to published: the month's full coverage is not what this test is about);
    a major fault being repaired."""
    install_default_shifts(Shift)  # a transactional test starts from an empty database
    incoming = staff("agent2", Position.AGENT, org["centre"])
    office = people["office"]
    day, shift = selectors.shift_at(timezone.now())
    next_day, next_shift = selectors.next_shift(day, shift)
    roster = services.create_roster(org["centre"].pk, day, next_day, actor=office)
    for when, which, who in ((day, shift, people["agent"]), (next_day, next_shift, incoming)):
        services.add_entries(
            roster.pk,
            first_day=when,
            shift_id=which.pk,
            person_id=who.pk,
            role=DutyRole.AGENT,
            actor=office,
        )
    Roster.objects.filter(pk=roster.pk).update(status=RosterStatus.PUBLISHED)
    fault = MajorFault.objects.create(
        title="城东主干线泄漏抢修",
        occurred_at=timezone.now(),
        place="东环路与建设街口",
        symptoms="一次网压力下降",
        response_plan="关阀抢修，维修部到场",
        reported_by=people["gm"],
    )
    return {"day": day, "shift": shift, "incoming": incoming, "fault": fault}


def test_a_handover_refused_for_an_unfinished_major_repair(on_duty, live_server, page):
    # 1. The outgoing agent opens the handover of the shift under way and signs it, blank.
    sign_in_on(page, live_server, "agent")
    page.click("nav >> text=值班与交接班")
    page.wait_for_selector("#notes-form")
    assert on_duty["shift"].name in page.inner_text("h1")
    assert "城东主干线泄漏抢修" in page.inner_text("#unfinished")
    assert fits_width(page)
    page.click("#sign-handover")
    page.wait_for_selector(".flash")
    assert "已签字交班" in page.inner_text(".flash")
    assert page.inner_text("#handover-status").strip() == "交班人已签字"

    # 2. The incoming agent sees the fault; signing without notes needs a confirmation.
    page.context.clear_cookies()
    sign_in_on(page, live_server, "agent2")
    page.click("nav >> text=值班与交接班")
    page.wait_for_selector("#refuse-form")
    assert "城东主干线泄漏抢修" in page.inner_text("#unfinished")
    assert "无交接说明" in page.inner_text("#handover-notes")
    page.click("#accept-handover")
    page.wait_for_selector("#accept-form .errorlist")
    assert "有未完成的紧急工作且交接说明为空" in page.inner_text("#accept-form")
    assert Handover.objects.get().status == HandoverStatus.HANDED_OVER

    # 3. So the incoming agent refuses: a major repair unfinished without handover notes.
    page.check("#refuse-form >> text=重大维修未完且无交接说明")
    page.fill("#refuse-form textarea[name=note]", "东环路抢修未交代进展")
    page.click("#refuse-handover")
    page.wait_for_selector(".flash")
    assert "已拒绝接班" in page.inner_text(".flash")
    assert page.inner_text("#handover-status").strip() == "拒绝接班"
    refusals = page.inner_text("#refusals")
    assert "重大维修未完且无交接说明" in refusals and "东环路抢修未交代进展" in refusals

    handover = Handover.objects.get()
    assert handover.status == HandoverStatus.REFUSED
    assert handover.incoming_signed_by is None
    refusal = handover.refusals.get()
    assert refusal.conditions == [RefusalCondition.REPAIR_UNFINISHED]
    assert refusal.refused_by == on_duty["incoming"]

    # 4. The outgoing agent is back on the notes form, to write them and sign again.
    page.context.clear_cookies()
    sign_in_on(page, live_server, "agent")
    page.click("nav >> text=值班与交接班")
    page.wait_for_selector("#notes-form")
    assert "重大维修未完且无交接说明" in page.inner_text("#refusals")
