"""Handover (交接班, R-1002): the outgoing shift writes and signs; the incoming shift signs
to take over or refuses on one of the four conditions (四不接). Unfinished emergency work
with no handover notes needs a confirmation to take over."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import open_case
from utilitydesk.duty import selectors, services
from utilitydesk.duty.models import HandoverStatus, RefusalCondition

from .conftest import at, major_fault

pytestmark = pytest.mark.django_db
DAY = date(2026, 1, 10)  # day shift: agent; night shift: agent2 (the published roster)


def sign_day_shift(
    duty, notes="3 号楼抢修仍在进行，维修部已到场", *, sign=True, actor=None, now=None
):
    """The day shift of DAY writes its handover notes and signs them (agent, at 19:50 unless
    told otherwise)."""
    return services.hand_over(
        duty["unit"].pk,
        DAY,
        duty["day"].pk,
        notes=notes,
        sign=sign,
        actor=actor or duty["agent"],
        now=now or at(DAY, 19, 50),
    )


def test_both_sides_sign(published, duty):
    draft = sign_day_shift(duty, "草稿", sign=False, now=at(DAY, 19))
    assert draft.status == HandoverStatus.OPEN and draft.outgoing_signed_by is None
    handover = sign_day_shift(duty)
    assert handover.pk == draft.pk
    assert handover.status == HandoverStatus.HANDED_OVER
    assert (handover.outgoing_signed_by, handover.outgoing_signed_at) == (
        duty["agent"],
        at(DAY, 19, 50),
    )
    taken = services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20, 2))
    assert taken.status == HandoverStatus.ACCEPTED
    assert (taken.incoming_signed_by, taken.incoming_signed_at) == (duty["agent2"], at(DAY, 20, 2))
    assert not taken.unfinished_confirmed


def test_only_the_shifts_on_the_roster_sign(published, duty):
    with pytest.raises(ValidationError) as refused:
        sign_day_shift(duty, "x", actor=duty["agent3"], now=at(DAY, 19))
    assert "不在" in refused.value.message_dict["notes"][0]
    handover = sign_day_shift(duty)
    for who in (duty["agent3"], duty["agent"]):
        with pytest.raises(ValidationError):
            services.accept_handover(handover.pk, actor=who, now=at(DAY, 20))
    with pytest.raises(ValidationError):  # signed: not written over any more
        sign_day_shift(duty, notes="改写")


def test_no_roster_no_handover(duty):
    with pytest.raises(ValidationError) as refused:
        sign_day_shift(duty, "x")
    assert "没有已发布的值班表" in refused.value.message_dict["notes"][0]


def test_a_substitute_signs_instead_of_the_person_rostered(published, duty):
    entry = published.entries.get(day=DAY, shift=duty["night"])
    services.substitute(
        entry.pk, substitute_id=duty["agent3"].pk, reason="病假", actor=duty["office"]
    )
    handover = sign_day_shift(duty)
    with pytest.raises(ValidationError):
        services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20))
    assert (
        services.accept_handover(handover.pk, actor=duty["agent3"]).status
        == HandoverStatus.ACCEPTED
    )


def test_refused_then_put_right_and_taken_over(published, duty):
    handover = sign_day_shift(duty)
    with pytest.raises(ValidationError) as refused:
        services.refuse_handover(handover.pk, conditions=[], actor=duty["agent2"])
    assert "conditions" in refused.value.message_dict
    refused_ = services.refuse_handover(
        handover.pk,
        conditions=[RefusalCondition.DESK_NOT_CLEAN, RefusalCondition.ITEMS_MISSING, "bogus"],
        note="耳麦少一副",
        actor=duty["agent2"],
        now=at(DAY, 20, 1),
    )
    assert refused_.status == HandoverStatus.REFUSED and refused_.incoming_signed_by is None
    refusal = refused_.refusals.get()
    assert refusal.conditions == ["desk_not_clean", "items_missing"]
    assert refusal.condition_labels() == ["卫生不洁", "公物缺失"]
    assert (refusal.refused_by, refusal.note) == (duty["agent2"], "耳麦少一副")
    with pytest.raises(ValidationError):  # refused: the outgoing shift must sign again
        services.accept_handover(handover.pk, actor=duty["agent2"])
    sign_day_shift(duty, "桌面已清理，耳麦已找到", now=at(DAY, 20, 10))
    taken = services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20, 12))
    assert taken.status == HandoverStatus.ACCEPTED
    assert taken.refusals.count() == 1  # the refusal stays on record


def test_unfinished_work_without_notes_needs_confirming(published, duty, customers):
    fault = major_fault(duty)
    case = open_case(duty["agent"], customers["east"], content="管道爆裂漏水", emergency=True)
    unfinished = selectors.unfinished_work()
    assert unfinished.faults == [fault] and unfinished.cases == [case]
    handover = sign_day_shift(duty, notes="")
    with pytest.raises(ValidationError) as refused:
        services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20))
    assert "confirm_unfinished" in refused.value.message_dict
    taken = services.accept_handover(
        handover.pk, confirm_unfinished=True, actor=duty["agent2"], now=at(DAY, 20)
    )
    assert taken.status == HandoverStatus.ACCEPTED and taken.unfinished_confirmed
    assert {item["ref"] for item in taken.open_items} == {str(fault.pk), case.number}


def test_unfinished_work_with_notes_is_taken_over_plainly(published, duty):
    major_fault(duty)
    handover = sign_day_shift(duty)
    taken = services.accept_handover(handover.pk, actor=duty["agent2"], now=at(DAY, 20))
    assert not taken.unfinished_confirmed and len(taken.open_items) == 1


def test_refusing_for_an_unfinished_major_repair(published, duty):
    major_fault(duty)
    handover = sign_day_shift(duty, notes="")
    refused = services.refuse_handover(
        handover.pk,
        conditions=[RefusalCondition.REPAIR_UNFINISHED],
        actor=duty["agent2"],
        now=at(DAY, 20),
    )
    assert refused.status == HandoverStatus.REFUSED
    assert refused.refusals.get().condition_labels() == ["重大维修未完且无交接说明"]
