"""Two (or twenty) people acting on one case at once; retried creates. PostgreSQL only:
row locks are what is being proved, and SQLite serialises every writer anyway."""

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import concurrency
from tests.factories import is_postgres, make_customer, staff
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, CaseEvent, Contact
from utilitydesk.org.models import Position

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


# What a person is told when someone else acted first; anything else is a bug.
run_together = partial(
    concurrency.run_together, refused=(ValidationError, PermissionDenied, services.ConflictError)
)


def test_twenty_people_act_on_one_case(people, customers, org):
    techs = [people["tech"]] + [
        staff(f"t{i}", Position.TECHNICIAN, org["east_team"]) for i in range(4)
    ]
    case = services.create_contact(
        services.ContactInput(
            channel="phone", kind="repair", content="不热", customer_id=customers["east"].pk
        ),
        actor=people["agent"],
    ).case
    assert case.status == "dispatched" and case.responsible_unit == org["east"]
    events_before = case.last_event_seq
    soon = timezone.now() + timedelta(hours=2)
    actions = []
    for i in range(20):
        tech = techs[i % len(techs)]
        match i % 5:
            case 0 | 1:
                actions.append(lambda t=tech: services.accept(case.number, actor=t))
            case 2:
                actions.append(lambda t=tech: services.book(case.number, soon, actor=t))
            case 3:
                actions.append(lambda t=tech: services.arrive(case.number, actor=t))
            case 4:
                actions.append(
                    lambda: services.cancel(case.number, "客户撤回", actor=people["agent"])
                )
    results = run_together(actions)
    kinds = Counter(kind for kind, _ in results)
    assert kinds["crash"] == 0, [r for r in results if r[0] == "crash"]
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))  # no gaps
    assert len(events) == events_before + kinds["ok"]  # every success, and only successes, recorded
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_status == before.to_status  # a legal chain, nothing lost
    final = Case.objects.get(pk=case.pk)
    assert final.status == events[-1].to_status and final.last_event_seq == len(events)
    accepted = [e for e in events if e.action == "accept"]
    assert len(accepted) <= 1  # only one person ever accepts


def test_fifty_retries_with_one_idempotency_key_make_one_case(people, customers):
    data = {
        "channel": "gov_12345",
        "kind": "repair",
        "content": "转办：暖气不热",
        "customer_id": customers["east"].pk,
    }
    results = run_together(
        [
            lambda: services.create_contact_idempotent(
                "retry-42", "same", services.ContactInput(**data), actor=people["agent"]
            )
            for _ in range(50)
        ]
    )
    assert all(kind == "ok" for kind, _ in results), [r for r in results if r[0] != "ok"]
    contacts = {value[0].pk for _, value in results}
    assert len(contacts) == 1 and Case.objects.count() == 1 and Contact.objects.count() == 1
    assert sum(1 for _, value in results if value[1]) == 1  # exactly one "created"


def test_case_numbers_stay_unique_under_concurrent_creation(people, area):
    customers = [
        make_customer(area["east"], f"{200 + i}", phones=(f"1370000{i:04d}",)) for i in range(30)
    ]
    results = run_together(
        [
            lambda c=c: (
                services.create_contact(
                    services.ContactInput(
                        channel="phone", kind="repair", content="不热", customer_id=c.pk
                    ),
                    actor=people["agent"],
                ).case.number
            )
            for c in customers
        ]
    )
    numbers = [value for kind, value in results if kind == "ok"]
    assert len(numbers) == 30 and len(set(numbers)) == 30


def test_concurrent_sweeps_escalate_and_notify_once(people, area, org):
    from django.utils import timezone as tz

    from utilitydesk.cases.models import CaseEscalation
    from utilitydesk.cases.sweeper import sweep
    from utilitydesk.notifications.models import Message

    start = tz.now()
    numbers = []
    for i in range(40):
        customer = make_customer(area["east"], f"{400 + i}", phones=(f"1350000{i:04d}",))
        numbers.append(
            services.create_contact(
                services.ContactInput(
                    channel="phone", kind="repair", content="不热", customer_id=customer.pk
                ),
                actor=people["agent"],
            ).case.number
        )
    for hours in (25, 49):
        moment = start + timedelta(hours=hours)
        results = run_together([lambda m=moment: sweep(m, batch=7) for _ in range(4)])
        assert all(kind == "ok" for kind, _ in results), results
        assert (
            sum(value["escalations"] for _, value in results) == 40
        )  # each case once, across sweepers
    levels = Counter(CaseEscalation.objects.values_list("case_id", "level"))
    assert len(levels) == 80 and set(levels.values()) == {1}
    per_case_events = Counter(
        CaseEvent.objects.filter(action="escalated").values_list("case_id", flat=True)
    )
    assert set(per_case_events.values()) == {2}
    escalation_messages = Counter(
        Message.objects.filter(dedupe_key__startswith="esc:").values_list(
            "recipient_id", "reference", "subject"
        )
    )
    assert len(escalation_messages) == 80 and set(escalation_messages.values()) == {1}
    for case in Case.objects.all():
        seqs = list(case.events.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
