"""Case hooks: cases announces what happened; the apps above react in the same transaction."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import open_case
from utilitydesk.cases import hooks
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case

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
