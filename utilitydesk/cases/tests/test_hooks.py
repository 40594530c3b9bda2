"""Case hooks: cases announces what happened; the apps above react in the same transaction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import open_case
from utilitydesk.cases import hooks
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Status
from utilitydesk.cases.selectors import dispatch_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening():
    heard: list[hooks.CaseHappened] = []

    def listen(happened):
        heard.append(happened)

    for hook in hooks.CaseHook:
        hooks.react(hook, listen)
    yield heard
    for hook in hooks.CaseHook:
        hooks._REACTIONS[hook].remove(listen)


def test_creation_and_lifecycle_steps_are_announced(people, customers, listening):
    case = open_case(people["agent"], customers["east"])
    case_services.accept(case.number, actor=people["tech"])
    case_services.cancel(case.number, "重复登记", actor=people["office"])
    got = [(h.hook, h.case.number) for h in listening]
    assert got == [
        (hooks.CaseHook.CREATED, case.number),
        (hooks.CaseHook.CANCELLED, case.number),
    ]
    assert listening[0].actor == people["agent"]


def test_a_reaction_that_refuses_undoes_the_step(people, customers):
    def refuse(happened):
        raise ValidationError("no")

    hooks.react(hooks.CaseHook.CREATED, refuse)
    try:
        with pytest.raises(ValidationError):
            open_case(people["agent"], customers["east"])
    finally:
        hooks._REACTIONS[hooks.CaseHook.CREATED].remove(refuse)
    assert not Case.objects.exists()


def test_registering_twice_reacts_once():
    def reaction(happened):
        return None

    hooks.react(hooks.CaseHook.CLOSED, reaction)
    hooks.react(hooks.CaseHook.CLOSED, reaction)
    try:
        assert hooks.reactions(hooks.CaseHook.CLOSED).count(reaction) == 1
    finally:
        hooks._REACTIONS[hooks.CaseHook.CLOSED].remove(reaction)


def test_callbacks_and_complaints_register_their_case_page_sections():
    keys = {s.key for s in hooks._SECTIONS.values()}
    assert {"complaint", "callbacks"} <= keys
    assert hooks.reactions(hooks.CaseHook.RESOLVED)  # callbacks' reaction


def test_the_sweeper_announces_breaches_and_escalations(people, customers, listening):
    from datetime import timedelta

    from django.utils import timezone

    from utilitydesk.cases.sweeper import sweep

    case = open_case(people["agent"], customers["east"], now=timezone.now() - timedelta(days=3))
    listening.clear()
    sweep(now=timezone.now())
    hooks_heard = {h.hook for h in listening if h.case.pk == case.pk}
    assert hooks.CaseHook.DEADLINE_BREACHED in hooks_heard
    assert hooks.CaseHook.ESCALATED in hooks_heard
    breached = next(h for h in listening if h.hook == hooks.CaseHook.DEADLINE_BREACHED)
    assert breached.actor is None and "deadline" in breached.data


def test_a_call_held_by_a_registered_check_is_not_routed(people, customers):
    def hold(actor, kind, premises, building, data):
        if premises is not None and kind == "repair":
            return hooks.Hold(reference="interruption:7", note="关联停热 TD1")
        return None

    hooks.register_hold_check(hold)
    try:
        case = open_case(people["agent"], customers["east"])
    finally:
        hooks._HOLD_CHECKS.remove(hold)
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.responsible_unit is None
    assert case.attributes["held_by"] == "interruption:7"
    assert not case.deadlines.exists() and case.next_check_at is None
    assert [(e.seq, e.action, e.note) for e in case.events.order_by("seq")] == [
        (1, "registered", ""),
        (2, "held", "关联停热 TD1"),
    ]
    assert case.last_event_seq == 2
    assert not dispatch_queue(people["office"]).filter(pk=case.pk).exists()


def test_settle_closes_an_open_case_for_those_allowed_and_announces_it(
    people, customers, listening
):
    case = open_case(people["agent"], customers["east"])
    with pytest.raises(PermissionDenied):
        case_services.settle(case.number, "已恢复供热", actor=people["tech"])
    with pytest.raises(ValidationError):
        case_services.settle(case.number, " ", actor=people["office"])
    settled = case_services.settle(case.number, "已恢复供热", actor=people["office"])
    assert settled.status == Status.CLOSED and settled.closed_at is not None
    assert listening[-1].hook == hooks.CaseHook.CLOSED
    assert case.events.order_by("-seq").first().action == "settle"
    case.refresh_from_db()
    assert case.next_check_at is None  # the sweeper no longer looks at it
