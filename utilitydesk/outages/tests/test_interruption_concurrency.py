"""Two dispatchers restoring one interruption at once: one restoration, one set of
notices. PostgreSQL only: row locks are what is being proved."""

from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests import concurrency
from tests.factories import is_postgres, open_case, staff
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.outages import interruptions as services
from utilitydesk.outages.models import Interruption, InterruptionLink

from .conftest import burst

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


# What a person is told when someone else acted first; anything else is a bug.
run_together = partial(concurrency.run_together, refused=(ValidationError,))


def test_two_dispatchers_restoring_at_once_restore_once(net, org):
    other = staff("dispatcher2", Position.DISPATCHER, org["centre"])
    now = timezone.now()
    draft = burst(net, now=now)
    services.announce(draft.pk, actor=net["dispatcher"], now=now)
    later = now + timedelta(hours=2)
    results = run_together(
        [
            lambda who=who: services.restore(draft.pk, note=f"{who} 恢复", actor=who, now=later)
            for who in (net["dispatcher"], other)
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    restored = Interruption.objects.get(pk=draft.pk)
    assert restored.state == "restored"
    assert restored.events.filter(action="restored").count() == 1
    sent = Message.objects.filter(
        reference=f"interruption:{draft.pk}", template_code="outage_restored"
    )
    assert sent.count() == 4


def test_calls_linked_while_announcing_are_each_counted(net, people, customers):
    now = timezone.now()
    draft = burst(net, now=now)
    interruption = services.announce(draft.pk, actor=net["dispatcher"], now=now)
    callers = [customers["east"], *net["extra"]]
    results = run_together(
        [
            lambda c=c: open_case(
                people["agent"], c, reaction_data={"interruption": interruption.pk}
            )
            for c in callers
        ],
    )
    assert [r[0] for r in results] == ["ok"] * len(callers), results
    assert Interruption.objects.get(pk=draft.pk).linked_calls == len(callers)
    assert InterruptionLink.objects.filter(interruption=draft).count() == len(callers)
    seqs = list(draft.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
