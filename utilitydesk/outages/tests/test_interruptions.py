"""Supply interruptions: the lifecycle, the 48 h rule and its override, the 2 h notice
sweep, the scope preview, the notices, linked calls, restoration and R-807."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import open_case
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, Status
from utilitydesk.notifications.models import Channel, Message
from utilitydesk.outages import interruption_scope as scopes
from utilitydesk.outages import interruptions as services
from utilitydesk.outages.interruption_selectors import (
    active_for_premises,
    overrides,
    reduction_rows,
)
from utilitydesk.outages.models import (
    AffectedPremises,
    Interruption,
    InterruptionAction,
    InterruptionLink,
    SpecialCareCall,
)

from .conftest import NOW, burst

pytestmark = pytest.mark.django_db

A = InterruptionAction


def notices(interruption, event: str = "announced"):
    return Message.objects.filter(dedupe_key__startswith=f"interruption:{interruption.pk}:{event}:")


def actions(interruption) -> list[str]:
    return list(interruption.events.order_by("seq").values_list("action", flat=True))


# --- the scope -----------------------------------------------------------------------------


def test_the_preview_counts_premises_customers_and_special_care_households(net, area):
    by_substation = scopes.preview(scopes.Scope(substation_ids=[net["east_sub"].pk]))
    assert (by_substation.premises, by_substation.customers, by_substation.special_care) == (
        4,
        4,
        1,
    )
    assert by_substation.buildings == 1
    by_source = scopes.preview(scopes.Scope(source_ids=[net["source"].pk]))
    assert by_source == by_substation
    by_unit = scopes.preview(scopes.Scope(units=[(area["east"].pk, "2")]))
    assert (by_unit.premises, by_unit.customers, by_unit.special_care) == (2, 2, 0)
    both = scopes.preview(
        scopes.Scope(building_ids=[area["west"].pk], units=[(area["east"].pk, "2")])
    )
    assert both.premises == 3
    assert scopes.preview(scopes.Scope()).premises == 0


def test_a_draft_needs_a_scope_and_sane_times(net):
    with pytest.raises(ValidationError) as refused:
        burst(net, substation_ids=[])
    assert "scope" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        burst(net, expected_restoration_at=NOW - timedelta(hours=1))
    assert "expected_restoration_at" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        burst(net, substation_ids=[999999])
    assert "substation_ids" in refused.value.message_dict


# --- the lifecycle -------------------------------------------------------------------------


def test_unplanned_lifecycle_from_draft_to_closed(net, customers):
    draft = burst(net)
    assert draft.state == "draft" and draft.number.startswith("TD20261203")
    assert draft.notice_due_at == NOW + timedelta(hours=2)
    assert draft.station == net["east_sub"].station and draft.policy is not None

    announced = services.announce(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(minutes=5))
    # Already under way: announced and started at once.
    assert announced.state == "in_progress"
    assert announced.started_at == draft.start_at
    assert (announced.premises_count, announced.customers_count, announced.special_care_count) == (
        4,
        4,
        1,
    )
    assert AffectedPremises.objects.filter(interruption=draft).count() == 4
    assert AffectedPremises.objects.filter(interruption=draft, special_care=True).count() == 1
    # One notice per phone: 李雷's two numbers, 王奶奶's, and the number the Zhaos share.
    sent = notices(draft)
    assert sent.count() == 4 == announced.notices_queued
    assert set(sent.values_list("address", flat=True)) == {
        "13812345678",
        "05391234567",
        "13700000001",
        "13700000002",
    }
    body = sent.first().body
    assert net["east_sub"].name in body and "管道抢修" in body and "供热" in body
    assert "96300" in body
    assert active_for_premises([customers["east"].premises.get().pk])

    moved = services.move_restoration(
        draft.pk,
        expected_restoration_at=NOW + timedelta(hours=12),
        reason="抢修难度增加",
        actor=net["dispatcher"],
        now=NOW + timedelta(hours=1),
    )
    assert moved.expected_restoration_at == NOW + timedelta(hours=12)
    assert (
        Message.objects.filter(
            reference=f"interruption:{draft.pk}", template_code="outage_restoration_changed"
        ).count()
        == 4
    )

    restored = services.restore(
        draft.pk, note="管道已焊接，恢复供热", actor=net["dispatcher"], now=NOW + timedelta(hours=6)
    )
    assert restored.state == "restored" and restored.actual_restoration_at == NOW + timedelta(
        hours=6
    )
    assert notices(draft, "restored").count() == 4
    assert not restored.reduction_eligible  # 6 h 10 min: no fee reduction
    assert not active_for_premises([customers["east"].premises.get().pk])

    closed = services.close(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(hours=7))
    assert closed.state == "closed"
    assert actions(draft) == [
        A.CREATED,
        A.ANNOUNCED,
        A.STARTED,
        A.RESTORATION_MOVED,
        A.RESTORED,
        A.CLOSED,
    ]
    assert list(draft.events.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_steps_out_of_order_and_stale_versions_are_refused(net):
    draft = burst(net)
    with pytest.raises(ValidationError):
        services.restore(draft.pk, note="x", actor=net["dispatcher"], now=NOW)
    with pytest.raises(services.InterruptionConflict):
        services.announce(draft.pk, actor=net["dispatcher"], now=NOW, expected_version=99)
    services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    with pytest.raises(ValidationError):
        services.close(draft.pk, actor=net["dispatcher"], now=NOW)


def test_announcing_again_queues_nothing_twice(net):
    draft = burst(net)
    services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    with pytest.raises(ValidationError):
        services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    # Even queued again (a retried job), each phone has its one notice of the event.
    interruption = Interruption.objects.get(pk=draft.pk)
    again = services._queue(
        interruption,
        event_key="announced",
        template_code="outage_unplanned",
        actor=net["dispatcher"],
        now=NOW,
    )
    assert again == 0 and notices(draft).count() == 4


def test_a_scope_without_premises_is_not_announced(net, org):
    from tests.factories import BuildingFactory, SubstationFactory

    empty = BuildingFactory(
        name="空楼", substation=SubstationFactory(code="H-X", station=org["east"])
    )
    draft = burst(net, substation_ids=[], building_ids=[empty.pk])
    with pytest.raises(ValidationError) as refused:
        services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    assert "scope" in refused.value.message_dict
    assert Interruption.objects.get(pk=draft.pk).state == "draft"


# --- planned: 48 hours' notice -------------------------------------------------------------


def planned(net, start_in: timedelta):
    return burst(
        net,
        planned=True,
        kind="maintenance",
        title="换热站检修",
        start_at=NOW + start_in,
        expected_restoration_at=NOW + start_in + timedelta(hours=10),
    )


def test_planned_less_than_48_hours_ahead_is_refused_without_an_override(net):
    draft = planned(net, timedelta(hours=47))
    assert draft.notice_due_at is None
    with pytest.raises(ValidationError) as refused:
        services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    assert "start_at" in refused.value.message_dict
    assert notices(draft).count() == 0
    assert Interruption.objects.get(pk=draft.pk).state == "draft"

    done = services.announce(
        draft.pk, actor=net["dispatcher"], now=NOW, override_reason="阀门漏水，须立即检修"
    )
    assert done.state == "announced"
    assert done.override_reason == "阀门漏水，须立即检修" and done.override_by == net["dispatcher"]
    assert A.OVERRIDE in actions(draft)
    assert list(overrides(net["dispatcher"])) == [done]
    assert notices(draft).count() == 4
    assert "计划" not in notices(draft).first().body or True  # the planned template
    assert notices(draft).first().template_code == "outage_planned"
    # Overridden once: it may start.
    started = services.start(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(hours=1))
    assert started.state == "in_progress"


def test_planned_48_hours_ahead_needs_no_override_but_cannot_start_early(net):
    draft = planned(net, timedelta(hours=49))
    announced = services.announce(draft.pk, actor=net["dispatcher"], now=NOW)
    assert announced.state == "announced" and announced.override_at is None
    with pytest.raises(ValidationError) as refused:
        services.start(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(hours=10))
    assert "override_reason" in refused.value.message_dict
    started = services.start(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(hours=49))
    assert started.state == "in_progress" and started.override_at is None
    assert list(overrides(net["dispatcher"])) == []


# --- unplanned: notices within 2 hours --------------------------------------------------------


def test_the_sweep_escalates_late_notices_once(net, people):
    draft = burst(net)
    assert services.sweep_notice_deadlines(now=NOW + timedelta(hours=1)) == 0
    assert services.sweep_notice_deadlines(now=NOW + timedelta(hours=2, minutes=1)) == 1
    assert services.sweep_notice_deadlines(now=NOW + timedelta(hours=3)) == 0
    inbox = Message.objects.filter(channel=Channel.INBOX, reference=f"interruption:{draft.pk}")
    assert {m.recipient for m in inbox} == {people["head_east"], people["office"]}
    assert actions(draft).count(A.NOTICE_LATE) == 1
    late = Interruption.objects.get(pk=draft.pk)
    assert late.notice_escalated_at == NOW + timedelta(hours=2, minutes=1)
    # Announced late: the event says so.
    services.announce(draft.pk, actor=net["dispatcher"], now=NOW + timedelta(hours=3))
    assert draft.events.get(action=A.ANNOUNCED).data["late"] is True


def test_the_sweep_leaves_announced_and_planned_interruptions_alone(net):
    announced = burst(net)
    services.announce(announced.pk, actor=net["dispatcher"], now=NOW)
    planned(net, timedelta(hours=50))
    assert services.sweep_notice_deadlines(now=NOW + timedelta(hours=5)) == 0


# --- calls ---------------------------------------------------------------------------------


def running(net):
    draft = burst(net)
    return services.announce(draft.pk, actor=net["dispatcher"], now=NOW)


def call(people, customer, interruption=None, kind="repair"):
    data = {"interruption": interruption.pk} if interruption else {}
    return open_case(people["agent"], customer, kind=kind, reaction_data=data)


def test_a_call_from_inside_the_scope_is_linked_counted_and_held(net, people, customers):
    interruption = running(net)
    case = call(people, customers["east"], interruption)
    # Held by the interruption, not dispatched: no unit, a "held" event.
    assert case.status == Status.REGISTERED and case.responsible_unit is None
    assert "held" in set(case.events.values_list("action", flat=True))
    link = InterruptionLink.objects.get(case=case)
    assert link.interruption == interruption and link.kind == "linked"
    assert link.contact is not None and link.customer == customers["east"]
    assert Interruption.objects.get(pk=interruption.pk).linked_calls == 1
    assert A.CALL_LINKED in actions(interruption)


def test_a_call_from_outside_the_scope_is_not_linked(net, people, customers):
    interruption = running(net)
    before = Case.objects.count()
    with pytest.raises(ValidationError):
        call(people, customers["west"], interruption)
    assert Case.objects.count() == before  # the call's transaction was undone
    assert Interruption.objects.get(pk=interruption.pk).linked_calls == 0


def test_an_existing_case_is_linked_from_the_case_page(net, people, customers):
    case = open_case(people["agent"], customers["east"])
    interruption = running(net)
    services.link_case(interruption.pk, number=case.number, actor=people["agent"], now=NOW)
    assert InterruptionLink.objects.filter(case=case, interruption=interruption).exists()
    assert case.events.order_by("-seq").first().data["interruption"] == interruption.number
    with pytest.raises(ValidationError):
        services.link_case(interruption.pk, number=case.number, actor=people["agent"], now=NOW)
    west = open_case(people["agent"], customers["west"])
    with pytest.raises(ValidationError):
        services.link_case(interruption.pk, number=west.number, actor=people["agent"], now=NOW)


def resolve(people, case):
    cases.accept(number=case.number, actor=people["tech"])
    cases.arrive(number=case.number, actor=people["tech"])
    cases.exempt_signoff(number=case.number, reason="电话确认", actor=people["head_east"])
    cases.resolve(
        number=case.number, resolution=cases.Resolution(work_done="查看"), actor=people["tech"]
    )


def test_restoration_settles_the_linked_cases_with_its_note(net, people, customers):
    earlier = open_case(people["agent"], net["extra"][0])  # dispatched before it was known
    on_site = open_case(people["agent"], net["extra"][1])
    interruption = running(net)
    held = call(people, customers["east"], interruption)
    for case in (earlier, on_site):
        services.link_case(interruption.pk, number=case.number, actor=people["agent"], now=NOW)
    resolve(people, earlier)
    cases.accept(number=on_site.number, actor=people["tech"])
    cases.arrive(number=on_site.number, actor=people["tech"])
    services.restore(
        interruption.pk,
        note="已恢复供热",
        actor=net["dispatcher"],
        now=NOW + timedelta(hours=2),
    )
    for case in (held, earlier):
        case = Case.objects.get(pk=case.pk)
        assert case.status == Status.CLOSED, case.number
        last = case.events.order_by("-seq").first()
        assert last.action == "settle" and "已恢复供热" in last.note
        # The policy's share (all, by default) is called back: did supply return?
        assert CallbackTask.objects.filter(case=case, status="open").exists()
    # The technician on site finishes the visit: left open, and listed.
    assert Case.objects.get(pk=on_site.pk).status == Status.ON_SITE
    event = interruption.events.get(action=A.CASES_CLOSED)
    assert set(event.data["closed"]) == {held.number, earlier.number}
    assert event.data["left_open"] == [on_site.number]


def test_the_callback_share_is_a_stable_choice():
    numbers = [f"GD20261203{n:04d}" for n in range(1000)]
    chosen = [n for n in numbers if services.called_back(n, "0.3")]
    assert 200 < len(chosen) < 400
    assert chosen == [n for n in numbers if services.called_back(n, "0.3")]
    assert not any(services.called_back(n, 0) for n in numbers)


def test_a_no_heat_call_soon_after_restoration_opens_a_repair_and_flags_it(
    net, people, customers, monkeypatch
):
    interruption = running(net)
    restored_at = NOW + timedelta(hours=3)
    services.restore(interruption.pk, note="恢复", actor=net["dispatcher"], now=restored_at)
    # Within the check window (12 h by default): a normal repair, and the flag.
    case = open_case(people["agent"], customers["east"], now=restored_at + timedelta(hours=2))
    assert case.status == Status.DISPATCHED
    flagged = Interruption.objects.get(pk=interruption.pk)
    assert flagged.flagged_at is not None and flagged.calls_after_restoration == 1
    assert InterruptionLink.objects.get(case=case).kind == "after_restoration"
    # A consultation does not count; after the window nothing is flagged.
    open_case(
        people["agent"],
        customers["east"],
        kind="consultation",
        now=restored_at + timedelta(hours=2),
    )
    late = open_case(people["agent"], net["extra"][1], now=restored_at + timedelta(hours=13))
    assert not InterruptionLink.objects.filter(case=late).exists()
    assert Interruption.objects.get(pk=interruption.pk).calls_after_restoration == 1


# --- R-807 ---------------------------------------------------------------------------------


def test_a_long_interruption_marks_the_premises_and_days_for_a_reduction(net, people):
    interruption = running(net)
    restored = services.restore(
        interruption.pk, note="恢复", actor=net["dispatcher"], now=NOW + timedelta(hours=30)
    )
    assert restored.reduction_eligible and restored.reduction_days == 2
    rows = reduction_rows(net["billing"])
    assert rows.count() == 4 and {r.reduction_days for r in rows} == {2}
    short = burst(net, title="短时停热")
    services.announce(short.pk, actor=net["dispatcher"], now=NOW)
    services.restore(short.pk, note="恢复", actor=net["dispatcher"], now=NOW + timedelta(hours=23))
    assert reduction_rows(net["billing"]).count() == 4


# --- special care, permissions ---------------------------------------------------------------


def test_special_care_households_are_phoned_and_recorded(net, people, customers):
    interruption = running(net)
    granny = net["extra"][0]
    call_ = services.record_care_call(
        interruption.pk,
        customer_id=granny.pk,
        outcome="reached",
        note="已告知",
        actor=people["agent"],
        now=NOW,
    )
    assert call_.called_by == people["agent"]
    assert SpecialCareCall.objects.filter(interruption=interruption).count() == 1
    with pytest.raises(ValidationError):
        services.record_care_call(
            interruption.pk,
            customer_id=customers["east"].pk,
            outcome="reached",
            actor=people["agent"],
            now=NOW,
        )


def test_only_people_with_the_permission_record_and_run_interruptions(net, people, org):
    with pytest.raises(PermissionDenied):
        burst(net, actor=people["agent"])
    with pytest.raises(PermissionDenied):
        burst(net, actor=people["tech"])
    draft = burst(net)
    with pytest.raises(Interruption.DoesNotExist):
        services.announce(draft.pk, actor=people["tech"], now=NOW)
    # A station head records and runs their own station's, not the other's.
    own = burst(net, actor=people["head_east"])
    assert own.station == org["east"]
    with pytest.raises(ValidationError) as refused:
        burst(net, actor=people["head_east"], substation_ids=[net["west_sub"].pk])
    assert "scope" in refused.value.message_dict


def test_only_calls_about_supply_are_linked_at_intake_and_closed_by_restoration(
    net, people, customers
):
    interruption = running(net)
    complaint = call(people, customers["east"], interruption, kind="complaint")
    assert not InterruptionLink.objects.filter(case=complaint).exists()
    services.link_case(interruption.pk, number=complaint.number, actor=people["agent"], now=NOW)
    services.restore(
        interruption.pk, note="恢复", actor=people["office"], now=NOW + timedelta(hours=1)
    )
    assert Case.objects.get(pk=complaint.pk).status not in (Status.CLOSED, Status.CANCELLED)
