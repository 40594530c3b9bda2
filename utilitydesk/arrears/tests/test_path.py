"""The arrears path (R-803, R-805) with the shipped policy: records from the bills past their
due day and the ledger, each step in order after its waiting days, approved by the position
the policy names (wrong role and too early refused), stop heat only after the written
notice's days, on that premises only; payment orders restoration within 24 h."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.arrears import services
from utilitydesk.arrears.models import ActionStatus, ArrearsRecord, StepKind, Supply
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, CaseDeadline
from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import LimitRule

from .conftest import at

pytestmark = pytest.mark.django_db
D = Decimal
BILL = D("2230.20")


def premises_of(customer):
    return Premises.objects.get(customer=customer)


def pay(customer, amount, ref, when, actor=None):
    ledger.post_entry(
        customer.pk, EntryKind.PAYMENT, -D(amount), f"payment:test:{ref}", actor=actor, now=when
    )


def record_of(customer):
    return ArrearsRecord.objects.get(customer=customer)


def resolve(number, tech, when, supervisor):
    cases.accept(number, actor=tech, now=when)
    cases.arrive(number, actor=tech, now=when + timedelta(minutes=30))
    cases.exempt_signoff(
        number, "阀门操作，户内无人", actor=supervisor, now=when + timedelta(minutes=40)
    )
    cases.resolve(
        number, cases.Resolution(work_done="阀门已处理"), actor=tech, now=when + timedelta(hours=1)
    )


def take(record, step, requester, when, approver=None):
    action = services.request_step(record.pk, step, "记录", actor=requester, now=when)
    if approver is not None:
        action = services.decide_step(action.pk, True, actor=approver, now=when)
    assert action.status == ActionStatus.APPROVED
    return action


def test_records_follow_the_bills_past_due_and_the_ledger(billed):
    lei, han = billed["east"], billed["west"]
    pay(han, "2230.20", "han", at(11, 10))
    pay(lei, "1000.00", "lei", at(11, 10))
    # Nothing is overdue on the due day itself.
    assert services.refresh(on=at(11, 15).date(), now=at(11, 15)) == 0
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    record = record_of(lei)
    assert (record.overdue_amount, record.balance) == (BILL - D("1000.00"), D("1230.20"))
    assert record.station_id == premises_of(lei).station_id
    assert record.policy.number == 1
    assert not ArrearsRecord.objects.filter(customer=han).exists()  # paid in full
    # A payment keeps the record in step without a refresh (ledger reaction).
    pay(lei, "230.20", "lei-2", at(11, 20))
    record.refresh_from_db()
    assert record.overdue_amount == D("1000.00")
    pay(lei, "1000.00", "lei-3", at(11, 21))
    record.refresh_from_db()
    assert record.overdue_amount == 0 and record.settled_at == at(11, 21)
    # Running the refresh again changes nothing.
    assert services.refresh(on=at(11, 22).date(), now=at(11, 22)) == 0


def test_each_step_in_order_after_its_wait_approved_by_the_named_position(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    record = record_of(billed["east"])
    clerk, head, dept, deputy = (
        staffers["clerk"],
        staffers["head_east"],
        staffers["dept"],
        staffers["deputy"],
    )
    # The notice is the clerk's own step: approved at once.
    take(record, StepKind.NOTICE, clerk, at(11, 16))
    # The reminder comes 15 days after the notice.
    with pytest.raises(ValidationError) as too_early:
        services.request_step(record.pk, StepKind.REMINDER, actor=clerk, now=at(11, 30))
    assert "2026-12-01 09:00" in str(too_early.value)
    # The letter cannot skip the required reminder.
    with pytest.raises(ValidationError, match="请先办理"):
        services.request_step(record.pk, StepKind.LETTER, actor=clerk, now=at(12, 20))
    take(record, StepKind.REMINDER, clerk, at(12, 1))
    # The letter is the station head's: the clerk asks, it waits for the head.
    letter = services.request_step(
        record.pk, StepKind.LETTER, "催缴通知书", actor=clerk, now=at(12, 8)
    )
    assert letter.status == ActionStatus.PENDING
    with pytest.raises(PermissionDenied):  # wrong role
        services.decide_step(letter.pk, True, actor=dept, now=at(12, 8))
    with pytest.raises(ValidationError):  # the west station's head does not see the account
        services.decide_step(letter.pk, True, actor=staffers["head_west"], now=at(12, 8))
    with pytest.raises(ValidationError, match="等待审批"):
        services.request_step(record.pk, StepKind.PHONE, actor=clerk, now=at(12, 8))
    services.decide_step(letter.pk, True, actor=head, now=at(12, 9))
    # A skipped optional step cannot be taken after a later one.
    with pytest.raises(ValidationError, match="已办理后续步骤"):
        services.request_step(record.pk, StepKind.VISIT, actor=clerk, now=at(12, 30))
    # Stopping heat: 15 days after the letter, approved by the deputy GM.
    with pytest.raises(ValidationError, match="为时过早"):
        services.request_step(record.pk, StepKind.STOP, actor=clerk, now=at(12, 23))
    stop = services.request_step(record.pk, StepKind.STOP, actor=clerk, now=at(12, 24))
    with pytest.raises(ValidationError, match="驳回理由"):
        services.decide_step(stop.pk, False, actor=deputy, now=at(12, 24))
    services.decide_step(stop.pk, False, "先上门沟通", actor=deputy, now=at(12, 24))
    stop = services.request_step(record.pk, StepKind.STOP, actor=clerk, now=at(12, 25))
    stop = services.decide_step(stop.pk, True, actor=deputy, now=at(12, 25))
    record.refresh_from_db()
    assert (record.step, record.step_at) == (StepKind.STOP, at(12, 25))
    # The approval is the written notice: 3 days before the valve is closed.
    assert stop.acts_from == at(12, 28)
    with pytest.raises(ValidationError, match="书面通知"):
        services.carry_out(stop.pk, actor=clerk, now=at(12, 27))
    log = [(a.step, a.status, a.requested_by, a.decided_by) for a in record.actions.all()]
    assert log == [
        (StepKind.NOTICE, ActionStatus.APPROVED, clerk, clerk),
        (StepKind.REMINDER, ActionStatus.APPROVED, clerk, clerk),
        (StepKind.LETTER, ActionStatus.APPROVED, clerk, head),
        (StepKind.STOP, ActionStatus.REJECTED, clerk, deputy),
        (StepKind.STOP, ActionStatus.APPROVED, clerk, deputy),
    ]


def walk_to_stop(record, staffers):
    clerk = staffers["clerk"]
    take(record, StepKind.NOTICE, clerk, at(11, 16))
    take(record, StepKind.REMINDER, clerk, at(12, 1))
    take(record, StepKind.LETTER, clerk, at(12, 8), staffers["head_east"])
    return take(record, StepKind.STOP, clerk, at(12, 25), staffers["deputy"])


def test_stop_acts_on_that_premises_only_and_payment_restores_within_24_hours(
    billed, staffers, org
):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei = billed["east"]
    record = record_of(lei)
    stop = walk_to_stop(record, staffers)
    before = dict(Premises.objects.exclude(customer=lei).values_list("pk", "status"))
    stop = services.carry_out(stop.pk, actor=staffers["clerk"], now=at(12, 28))
    order = Case.objects.get(number=stop.work_order)
    assert order.premises_id == premises_of(lei).pk
    assert org["east"] in order.responsible_unit.ancestors()
    assert premises_of(lei).status == SupplyStatus.SUPPLIED  # until the valve is closed
    resolve(order.number, staffers["tech"], at(12, 28, 10), staffers["head_east"])
    assert premises_of(lei).status == SupplyStatus.SUSPENDED
    # Nobody else's supply changed: not the neighbours in the building, not the west.
    assert dict(Premises.objects.exclude(customer=lei).values_list("pk", "status")) == before
    changes = ChangeRecord.objects.filter(field="status", new_value=SupplyStatus.SUSPENDED)
    assert [c.object_id for c in changes] == [premises_of(lei).pk]
    record.refresh_from_db()
    assert record.supply == Supply.STOPPED
    # A partial payment restores nothing; settling the account orders restoration.
    pay(lei, "1000.00", "part", at(12, 30))
    record.refresh_from_db()
    assert record.supply == Supply.STOPPED and not record.restoration_case
    paid_at = at(12, 31, 14)
    pay(lei, "1230.20", "rest", paid_at)
    record.refresh_from_db()
    assert record.supply == Supply.RESTORING
    restore = Case.objects.get(number=record.restoration_case)
    assert restore.attributes["arrears_valve"] == "restore"
    assert org["east"] in restore.responsible_unit.ancestors()
    deadline = CaseDeadline.objects.get(case=restore, name="resolution")
    assert deadline.due_at - restore.received_at == timedelta(hours=24)
    resolve(restore.number, staffers["tech"], at(12, 31, 16), staffers["head_east"])
    assert premises_of(lei).status == SupplyStatus.SUPPLIED
    record.refresh_from_db()
    assert record.supply == Supply.NORMAL


def test_the_restoration_deadline_is_the_policy_limit(billed, staffers):
    """The restoration's 24 h is the policy's rule for arrears_valve=restore, not the
    repairs' general limit: changing the rule changes the deadline."""
    LimitRule.objects.filter(attribute="arrears_valve", value="restore").update(amount=6)
    sla.reset_caches()
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei = billed["east"]
    record = record_of(lei)
    stop = walk_to_stop(record, staffers)
    stop = services.carry_out(stop.pk, actor=staffers["clerk"], now=at(12, 28))
    resolve(stop.work_order, staffers["tech"], at(12, 28, 10), staffers["head_east"])
    pay(lei, "2230.20", "all", at(12, 29))
    restore = Case.objects.get(number=ArrearsRecord.objects.get(pk=record.pk).restoration_case)
    deadline = CaseDeadline.objects.get(case=restore, name="resolution")
    assert deadline.due_at - restore.received_at == timedelta(hours=6)


def test_a_settled_account_is_not_stopped(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei = billed["east"]
    record = record_of(lei)
    stop = walk_to_stop(record, staffers)
    pay(lei, "2230.20", "all", at(12, 27))
    with pytest.raises(ValidationError, match="已结清"):
        services.carry_out(stop.pk, actor=staffers["clerk"], now=at(12, 28))
    with pytest.raises(ValidationError, match="已结清"):
        services.request_step(record.pk, StepKind.PHONE, actor=staffers["clerk"], now=at(12, 28))
    assert premises_of(lei).status == SupplyStatus.SUPPLIED


def test_an_agent_may_not_work_arrears(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    with pytest.raises(PermissionDenied):
        services.request_step(
            record_of(billed["east"]).pk, StepKind.NOTICE, actor=staffers["agent"], now=at(11, 16)
        )


def test_two_seasons_owed_are_one_open_record(billed, staffers):
    from utilitydesk.billing import services as billing

    run = billing.start_run(2025, actor=None, now=at(10, 1, year=2025))
    billing.generate_bills(run.pk, now=at(10, 1, year=2025))
    services.refresh(on=at(12, 1).date(), now=at(12, 1))
    records = ArrearsRecord.objects.filter(customer=billed["east"])
    assert records.count() == 1
    assert records.get().overdue_amount == BILL * 2
    pay(billed["east"], "2230.20", "one", at(12, 2))
    services.refresh(on=at(12, 3).date(), now=at(12, 3))
    assert ArrearsRecord.objects.get(customer=billed["east"]).overdue_amount == BILL


def test_a_record_keeps_the_policy_version_it_was_opened_under(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    old = record_of(billed["east"])
    with pytest.raises(PermissionDenied):
        services.new_policy_draft(actor=staffers["clerk"])
    draft = services.new_policy_draft(actor=staffers["admin"], now=at(11, 20))
    assert draft.number == 2 and draft.steps.count() == 7
    draft.steps.filter(kind=StepKind.REMINDER).update(wait_days=5)
    services.publish_policy(draft.pk, actor=staffers["admin"], now=at(11, 21))
    ArrearsRecord.objects.filter(customer=billed["west"]).delete()
    services.refresh(on=at(11, 22).date(), now=at(11, 22))
    assert record_of(billed["east"]).policy.number == 1
    assert record_of(billed["west"]).policy.number == 2
    take(old, StepKind.NOTICE, staffers["clerk"], at(11, 22))
    # The old record waits 15 days for its reminder, the new one 5.
    with pytest.raises(ValidationError, match="为时过早"):
        services.request_step(old.pk, StepKind.REMINDER, actor=staffers["clerk"], now=at(11, 28))
    new = record_of(billed["west"])
    take(new, StepKind.NOTICE, staffers["clerk"], at(11, 22))
    take(new, StepKind.REMINDER, staffers["clerk"], at(11, 28))


def test_a_payment_is_never_refused_and_the_refresh_retries_restoration(billed, staffers):
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei = billed["east"]
    record = record_of(lei)
    ArrearsRecord.objects.filter(pk=record.pk).update(supply=Supply.STOPPED)
    pay(lei, "2230.20", "all", at(12, 1))  # nobody to open the work order: still booked
    record.refresh_from_db()
    assert record.overdue_amount == 0 and record.supply == Supply.STOPPED
    stop = record.actions.create(
        step=StepKind.STOP,
        status=ActionStatus.DONE,
        approver_position="deputy_gm",
        requested_by=staffers["clerk"],
        requested_at=at(11, 30),
        decided_by=staffers["deputy"],
        decided_at=at(11, 30),
    )
    services.refresh(on=at(12, 2).date(), now=at(12, 2))
    record.refresh_from_db()
    assert record.supply == Supply.RESTORING
    assert Case.objects.get(number=record.restoration_case).first_responder == stop.decided_by


def test_a_bank_files_batch_of_payments_orders_restoration(billed, staffers):
    """Payments posted set-wise (a bank file: billing.ledger.post_new_entries) are followed
    through the batch reaction: the stopped, now paid account gets its restoration order."""
    services.refresh(on=at(11, 16).date(), now=at(11, 16))
    lei, han = billed["east"], billed["west"]
    record = record_of(lei)
    ArrearsRecord.objects.filter(pk=record.pk).update(supply=Supply.STOPPED)
    record.actions.create(
        step=StepKind.STOP,
        status=ActionStatus.DONE,
        approver_position="deputy_gm",
        requested_by=staffers["clerk"],
        requested_at=at(11, 30),
        decided_by=staffers["deputy"],
        decided_at=at(11, 30),
    )
    rows = [
        {
            "customer_id": customer.pk,
            "premises_id": premises_of(customer).pk,
            "kind": EntryKind.PAYMENT.value,
            "amount": -BILL,
            "bill_id": None,
            "season": None,
            "reference": f"payment:bank:{customer.pk}",
            "booked_at": at(12, 3),
            "note": "",
            "created_by_id": None,
        }
        for customer in (lei, han)
    ]
    assert ledger.post_new_entries(rows) == 2
    record.refresh_from_db()
    assert (record.overdue_amount, record.supply) == (0, Supply.RESTORING)
    assert Case.objects.filter(number=record.restoration_case).count() == 1
    assert record_of(han).overdue_amount == 0
