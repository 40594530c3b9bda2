"""Callbacks, spot checks, complaints and the rates (issue 5)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import make_customer, open_case, staff
from utilitydesk.callbacks import selectors as callback_selectors
from utilitydesk.callbacks import services as callbacks
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, Status
from utilitydesk.complaints import services as complaints
from utilitydesk.complaints.models import Complaint
from utilitydesk.kpis import selectors as kpi_selectors
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def resolved_repair(people, customer, when=None) -> Case:
    case = open_case(people["agent"], customer)
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="修好"), actor=people["tech"])
    if when is not None:
        Case.objects.filter(pk=case.pk).update(resolved_at=when)
    return Case.objects.get(pk=case.pk)


def at(hour, minute=0):
    return datetime(2026, 11, 24, hour, minute, tzinfo=SH)


def test_a_resolved_repair_gets_exactly_one_callback_by_its_first_responder(people, customers):
    case = resolved_repair(people, customers["east"])
    task = CallbackTask.objects.get(case=case)
    assert task.purpose == "first" and task.caller == people["agent"] and task.status == "open"
    assert task.due_at == case.deadlines.get(name="callback").due_at


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (at(6, 30), False),
        (at(12), False),
        (at(22, 30), False),
        (at(9), True),
        (at(18, 0), False),
        (at(19, 30), True),
    ],
)
def test_queue_respects_allowed_hours_and_meal_times(people, customers, moment, shown):
    resolved_repair(people, customers["east"])
    assert callback_selectors.callable_now(people["agent"], moment).exists() is shown


def test_satisfied_callback_moves_the_case_to_callback_done(people, customers):
    case = resolved_repair(people, customers["east"])
    task = CallbackTask.objects.get(case=case)
    callbacks.record_outcome(task.pk, "satisfied", "很满意", actor=people["agent"])
    case.refresh_from_db()
    assert (
        case.status == Status.CALLBACK_DONE and case.deadlines.get(name="callback").state == "met"
    )


def test_three_unreachable_tries_close_as_unreachable_never_satisfied(people, customers):
    case = resolved_repair(people, customers["east"])
    task = CallbackTask.objects.get(case=case)
    for _ in range(2):
        callbacks.record_outcome(task.pk, "unreachable", actor=people["agent"])
        task.refresh_from_db()
        assert task.status == "open"
    callbacks.record_outcome(task.pk, "unreachable", actor=people["agent"])
    task.refresh_from_db()
    assert task.status == "unreachable" and task.outcome == "unreachable" and task.attempts == 3
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED
    with pytest.raises(ValidationError):
        callbacks.record_outcome(task.pk, "satisfied", actor=people["agent"])


def test_dissatisfied_reopens_the_case_into_the_station_queue(people, customers, org):
    case = resolved_repair(people, customers["east"])
    task = CallbackTask.objects.get(case=case)
    with pytest.raises(ValidationError):
        callbacks.record_outcome(task.pk, "dissatisfied", "", actor=people["agent"])
    callbacks.record_outcome(
        task.pk, "dissatisfied", "还是不热", actor=people["agent"], if_dissatisfied="reopen"
    )
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.responsible_unit == org["east"]
    from utilitydesk.cases.selectors import unit_queue

    assert case in unit_queue(people["tech"])
    assert case.events.filter(action="resolve").exists()  # history kept


def test_dissatisfied_can_open_a_linked_complaint_instead(people, customers):
    case = resolved_repair(people, customers["east"])
    task = CallbackTask.objects.get(case=case)
    callbacks.record_outcome(
        task.pk, "dissatisfied", "服务态度差", actor=people["agent"], if_dissatisfied="complaint"
    )
    complaint = Complaint.objects.get()
    assert complaint.source_case == case and complaint.case.kind == "complaint"
    assert Case.objects.get(pk=case.pk).status == Status.CALLBACK_DONE


def test_other_kinds_are_called_back_by_the_policy_share():
    from utilitydesk.callbacks.services import _share_selected

    chosen = sum(_share_selected(f"GD20261123{n:04d}", 0.3) for n in range(2000))
    assert 500 < chosen < 700  # about 30 %
    assert _share_selected("GD202611230001", 0.3) == _share_selected("GD202611230001", 0.3)


def test_spot_check_is_reproducible_sized_and_limited_to_unit_and_quarter(
    people, customers, area, org
):
    office = people["office"]
    in_quarter = datetime(2026, 11, 10, 10, tzinfo=SH)
    east_cases = [
        resolved_repair(
            people,
            make_customer(area["east"], f"{500 + i}", phones=(f"1330000{i:04d}",)),
            when=in_quarter,
        )
        for i in range(10)
    ]
    resolved_repair(
        people, customers["east"], when=datetime(2026, 9, 30, 10, tzinfo=SH)
    )  # previous quarter
    first = callbacks.create_spot_check(org["east"], 2026, 4, actor=office, seed="s1")
    sample = sorted(first.tasks.values_list("case_id", flat=True))
    assert len(sample) == 2 and set(sample) <= {c.pk for c in east_cases}  # 20 % of 10
    again = callbacks.spot_check_sample(
        [c.pk for c in east_cases], first.ratio, f"s1:{org['east'].pk}:2026Q4"
    )
    assert again == sample
    with pytest.raises(ValidationError):
        callbacks.create_spot_check(org["east"], 2026, 4, actor=office, seed="s1")
    west = callbacks.create_spot_check(org["west"], 2026, 4, actor=office, seed="s1")
    assert west.population == 0 and not west.tasks.exists()
    with pytest.raises(PermissionDenied):
        callbacks.create_spot_check(org["east"], 2026, 4, actor=people["agent"], seed="x")


def test_spot_check_results_are_compared_with_the_first_callbacks(people, area, org):
    office = people["office"]
    when = datetime(2026, 11, 10, 10, tzinfo=SH)
    made = [
        resolved_repair(
            people,
            make_customer(area["east"], f"{600 + i}", phones=(f"1320000{i:04d}",)),
            when=when,
        )
        for i in range(5)
    ]
    for case in made:
        callbacks.record_outcome(
            CallbackTask.objects.get(case=case, purpose="first").pk,
            "satisfied",
            actor=people["agent"],
        )
    check = callbacks.create_spot_check(org["east"], 2026, 4, actor=office)
    task = check.tasks.get()
    callbacks.record_outcome(task.pk, "dissatisfied", "其实没修好", actor=office)
    rows = callback_selectors.spot_check_comparison(check)
    assert [(r.first, r.spot, r.disagrees) for r in rows] == [("satisfied", "dissatisfied", True)]


def complaint_case(people, customer):
    case = open_case(people["agent"], customer, kind="complaint", content="维修工态度差")
    return case, Complaint.objects.get(case=case)


def handle(people, case):
    cases.accept(case.number, actor=people["agent"])
    cases.resolve(
        case.number, cases.Resolution(work_done="已道歉并批评教育"), actor=people["agent"]
    )


def test_complaint_responsibility_appeal_and_ruling(people, customers, org):
    case, complaint = complaint_case(people, customers["east"])
    with pytest.raises(ValidationError):
        complaints.determine(
            complaint.pk,
            actor=people["office"],
            responsibility="negligence",
            valid=True,
            responsible_unit=org["east"],
            corrective_actions="培训",
        )
    handle(people, case)
    with pytest.raises(ValidationError):
        complaints.determine(
            complaint.pk, actor=people["office"], responsibility="negligence", valid=True
        )
    complaint = complaints.determine(
        complaint.pk,
        actor=people["office"],
        responsibility="negligence",
        valid=True,
        responsible_unit=org["east"],
        corrective_actions="培训",
    )
    assert complaint.counts
    # seven days from the next day, to 24:00 of the seventh.
    due = timezone.localtime(complaints.appeal_deadline(complaint))
    determined_on = timezone.localtime(complaint.determined_at).date()
    assert (due.date(), due.hour, due.minute) == (determined_on + timedelta(days=8), 0, 0)
    with pytest.raises(PermissionDenied):
        complaints.submit_appeal(complaint.pk, "不是我们的责任", actor=people["agent"])
    late = timezone.now() + timedelta(days=8)
    with pytest.raises(ValidationError):
        complaints.submit_appeal(complaint.pk, "晚了", actor=people["head_east"], now=late)
    appeal = complaints.submit_appeal(complaint.pk, "客户家中阀门问题", actor=people["head_east"])
    with pytest.raises(ValidationError):
        complaints.submit_appeal(complaint.pk, "再次申诉", actor=people["head_east"])
    complaints.rule_appeal(
        appeal.pk, actor=people["gm"], upheld=True, ruling="经核实属客户自身原因"
    )
    assert not Complaint.objects.get(pk=complaint.pk).counts


def test_complaint_cannot_be_deleted_inside_retention(people, customers):
    _case, complaint = complaint_case(people, customers["east"])
    with pytest.raises(ValidationError) as error:
        complaints.delete_complaint(complaint.pk, actor=people["admin"])
    assert "365" in str(error.value)
    complaints.delete_complaint(
        complaint.pk, actor=people["admin"], now=timezone.now() + timedelta(days=366)
    )
    assert not Complaint.objects.exists()
    with pytest.raises(PermissionDenied):
        complaints.delete_complaint(1, actor=people["agent"])


def test_level_one_complaint_notifies_leaders_and_becomes_an_emergency(people, customers):
    from utilitydesk.notifications.models import Message

    case, complaint = complaint_case(people, customers["east"])
    complaints.classify(complaint.pk, "conduct", 1, actor=people["agent"])
    case = Case.objects.get(pk=case.pk)
    assert case.emergency
    # Its own limits: answered within the hour, settled within a natural day.
    assert case.deadlines.get(name="first_response").due_at == case.received_at + timedelta(hours=1)
    resolution = case.deadlines.get(name="resolution").due_at
    assert timezone.localtime(resolution).hour == 0 and resolution - case.received_at <= timedelta(
        days=2
    )
    assert (
        Message.objects.filter(recipient=people["gm"], subject__contains=case.number).count() == 1
    )


def test_rates_on_a_hand_computed_fixture(people, customers, area, org):
    start = timezone.now() - timedelta(days=1)
    made = [
        resolved_repair(
            people, make_customer(area["east"], f"{700 + i}", phones=(f"1310000{i:04d}",))
        )
        for i in range(4)
    ]
    tasks = [CallbackTask.objects.get(case=c, purpose="first") for c in made]
    callbacks.record_outcome(tasks[0].pk, "satisfied", actor=people["agent"])
    callbacks.record_outcome(tasks[1].pk, "basically", actor=people["agent"])
    callbacks.record_outcome(
        tasks[2].pk, "dissatisfied", "不满意", actor=people["agent"], if_dissatisfied="complaint"
    )
    # tasks[3] not called yet. The dissatisfied call opened a complaint (received in the period).
    complaint = Complaint.objects.get()
    complaint.case.responsible_unit = org["east"]
    complaint.case.save()
    cases.accept(complaint.case.number, actor=people["tech"])
    cases.resolve(complaint.case.number, cases.Resolution(work_done="处理"), actor=people["tech"])
    complaints.determine(
        complaint.pk,
        actor=people["office"],
        responsibility="mistake",
        valid=True,
        responsible_unit=org["east"],
        corrective_actions="复查",
    )
    result = kpi_selectors.rates(org["east"], start, timezone.now() + timedelta(minutes=1))
    # callbacks: 4 due (the complaint case itself is a complaint: called back too -> 5 due), 3 made
    assert result.callbacks_due == 5 and result.callbacks_made == 3
    assert result.callback_rate == 0.6
    assert result.satisfaction_rate == round(2 / 3, 4)  # satisfied + basically over reached
    assert (
        result.cases_received == 5
        and result.valid_complaints == 1
        and result.valid_complaint_rate == 0.2
    )
    assert result.complaints_resolved == 1 and result.complaint_timeliness == 1.0
    # The every-unit table (one set of grouped queries) agrees with each unit's own figures.
    end = timezone.now() + timedelta(minutes=1)
    table = dict(kpi_selectors.rates_by_unit(start, end))
    assert table[org["east"]] == result
    for unit, figures in table.items():
        assert figures == kpi_selectors.rates(unit, start, end), unit


def test_complaint_records_follow_the_case_kind(people, customers):
    case, complaint = complaint_case(people, customers["east"])
    assert complaint.category == "other" and complaint.level == 2
    with pytest.raises(ValidationError):
        complaints.classify(complaint.pk, "nonsense", 2, actor=people["agent"])
    staff("x", Position.TECHNICIAN, case.responsible_unit)


def test_vip_monthly_and_long_term_accounts_monthly_then_quarterly(people, customers):
    from datetime import date

    from utilitydesk.callbacks.services import account_period, schedule_account_callbacks

    vip, long_term = customers["east"], customers["west"]
    vip.grade = "vip"
    vip.save()
    long_term.long_term_since = date(2026, 3, 1)
    long_term.save()
    assert account_period(vip, date(2026, 11, 24)) == "2026-11"
    assert account_period(long_term, date(2026, 11, 24)) == "2026-11"  # first year: monthly
    assert account_period(long_term, date(2027, 5, 2)) == "2027-Q2"  # after: quarterly
    now = datetime(2026, 11, 24, 9, tzinfo=SH)
    assert schedule_account_callbacks(now=now) == 2
    assert schedule_account_callbacks(now=now) == 0  # once per period
    task = CallbackTask.objects.get(customer=vip)
    assert task in callback_selectors.callable_now(people["agent"], at(9))
    callbacks.record_outcome(task.pk, "satisfied", "一切正常", actor=people["agent"])
    assert CallbackTask.objects.get(pk=task.pk).status == "done"


def test_a_settled_case_is_called_back_and_stays_closed(people, customers):
    case = open_case(people["agent"], customers["east"])
    with pytest.raises(ValidationError):
        callbacks.request_callback(case, actor=people["office"], now=timezone.now())
    cases.settle(case.number, "停供已恢复", actor=people["office"])
    case.refresh_from_db()
    task = callbacks.request_callback(case, actor=people["office"], now=timezone.now())
    assert task.caller == people["agent"] and task.status == CallbackTask.Status.OPEN
    assert case.deadlines.filter(name="callback").exists()
    # asked twice (a retried restoration): one task
    assert callbacks.request_callback(case, actor=people["office"], now=timezone.now()) == task
    callbacks.record_outcome(task.pk, "satisfied", "有暖气了", actor=people["agent"])
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    last = case.events.order_by("-seq").first()
    assert last.action == "note" and "有暖气了" in last.note
