"""Two people acting on one account at once (PostgreSQL): the record's lock lets one step
through; a payment and the stop's work order at once never leave a paid home stopped."""

from functools import partial

import pytest
from django.core.exceptions import ValidationError

from tests import concurrency
from tests.factories import is_postgres, staff
from utilitydesk.arrears import services
from utilitydesk.arrears.models import ArrearsAction, ArrearsRecord, StepKind
from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind
from utilitydesk.org.models import Position

from .conftest import at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(not is_postgres(), reason="row locks need PostgreSQL"),
]


# What a person is told when someone else acted first; anything else is a bug.
run_together = partial(concurrency.run_together, refused=(ValidationError,))


def test_two_clerks_giving_the_notice_at_once_log_it_once(billed, staffers, org):
    other = staff("clerk2", Position.BILLING_CLERK, org["company"])
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    record = ArrearsRecord.objects.get(customer=billed["east"])
    results = run_together(
        [
            lambda: services.request_step(
                record.pk, StepKind.NOTICE, actor=staffers["clerk"], now=at(11, 17)
            ),
            lambda: services.request_step(record.pk, StepKind.NOTICE, actor=other, now=at(11, 17)),
        ]
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert ArrearsAction.objects.filter(record=record).count() == 1


def test_payments_at_once_order_one_restoration(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei = billed["east"]
    record = ArrearsRecord.objects.get(customer=lei)
    ArrearsRecord.objects.filter(pk=record.pk).update(supply="stopped")
    ArrearsAction.objects.create(
        record=record,
        step=StepKind.STOP,
        status="done",
        approver_position=Position.DEPUTY_GM,
        requested_by=staffers["clerk"],
        requested_at=at(12, 1),
        decided_by=staffers["deputy"],
        decided_at=at(12, 1),
    )

    def pay(ref):
        return lambda: ledger.post_entry(
            lei.pk,
            EntryKind.PAYMENT,
            -ledger.balance_of(lei.pk),
            f"payment:t:{ref}",
            actor=None,
            now=at(12, 5),
        )

    results = run_together([pay("a"), pay("b")])
    assert all(r[0] == "ok" for r in results), results
    record.refresh_from_db()
    assert record.supply == "restoring" and record.restoration_case
