"""A lifecycle step's announcement names its timeline event (``event_seq``): reactions that
must act once per step key on it (callbacks/followup.py)."""

import pytest

from tests.factories import open_case
from utilitydesk.cases import hooks
from utilitydesk.cases import services as case_services

pytestmark = pytest.mark.django_db


def test_each_step_announces_the_number_of_its_timeline_event(people, customers, org):
    heard: list[hooks.CaseHappened] = []

    def listen(happened: hooks.CaseHappened) -> None:
        heard.append(happened)

    hooks.react(hooks.CaseHook.DISPATCHED, listen)
    try:
        case = open_case(people["agent"], customers["east"])
        for unit in (org["west"], org["east"]):
            case_services.dispatch(
                case.number, unit.pk, "改派", redispatch=True, actor=people["office"]
            )
    finally:
        hooks._REACTIONS[hooks.CaseHook.DISPATCHED].remove(listen)
    events = {e.seq: e for e in case.events.all()}
    seqs = [h.data["event_seq"] for h in heard]
    assert len(seqs) == 2 and seqs[0] != seqs[1]
    assert [events[s].action for s in seqs] == ["redispatch", "redispatch"]
    assert [events[s].data["unit_id"] for s in seqs] == [org["west"].pk, org["east"].pk]
    assert heard[0].data["note"] == "改派"
