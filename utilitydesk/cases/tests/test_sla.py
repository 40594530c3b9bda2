"""Service policy, deadlines on cases, pausing, the escalation ladder and the sweeper."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_customer, open_case, staff
from utilitydesk.accounts.models import Profile
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, CaseDeadline, CaseEscalation
from utilitydesk.cases.sweeper import sweep
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import LimitRule

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def new_case(people, customer, kind="repair", now=None, **kw) -> Case:
    return open_case(people["agent"], customer, kind=kind, now=now, **kw)


def due(case, name):
    return CaseDeadline.objects.get(case=case, name=name)


def test_a_new_repair_case_gets_its_policy_version_and_deadlines(people, customers):
    case = new_case(people, customers["east"])
    assert case.policy_version.number == 1
    got = {d.name: d.due_at - case.received_at for d in case.deadlines.all()}
    assert got == {
        "first_response": timedelta(hours=24),
        "on_site": timedelta(hours=1),
        "resolution": timedelta(hours=24),
    }
    # Warned when a quarter of the 1-hour on-site limit is left, not at creation.
    assert case.next_check_at == case.received_at + timedelta(minutes=45)


def test_limits_depend_on_grade_emergency_and_attributes(people, customers):
    customer = customers["east"]
    customer.grade, customer.customer_type = "vip", "commercial"
    customer.save()
    vip_complaint = new_case(people, customer, kind="complaint")
    assert due(vip_complaint, "first_response").due_at - vip_complaint.received_at == timedelta(
        hours=1
    )
    enterprise_repair = new_case(people, customer)
    assert due(enterprise_repair, "on_site").due_at - enterprise_repair.received_at == timedelta(
        minutes=30
    )
    leak = new_case(people, customers["west"], attributes={"pipe_diameter_mm": "600"})
    assert due(leak, "resolution").due_at - leak.received_at == timedelta(hours=48)
    emergency = new_case(people, customers["west"], kind="temperature", emergency=True)
    assert due(emergency, "on_site").due_at - emergency.received_at == timedelta(hours=1)


def test_publishing_a_new_policy_leaves_existing_cases_alone(people, customers):
    before = new_case(people, customers["east"])
    draft = sla.new_draft(actor=people["admin"])
    LimitRule.objects.filter(policy=draft, name="resolution", kind="repair", attribute="").update(
        amount=12
    )
    with pytest.raises(ValidationError):
        sla.publish(
            before.policy_version_id, actor=people["admin"]
        )  # published versions do not change
    sla.publish(draft.pk, actor=people["admin"])
    after = new_case(people, customers["west"])
    assert after.policy_version == draft
    assert due(after, "resolution").due_at - after.received_at == timedelta(hours=12)
    assert due(before, "resolution").due_at - before.received_at == timedelta(hours=24)
    assert Case.objects.get(pk=before.pk).policy_version.number == 1


def test_events_meet_deadlines(people, customers):
    case = new_case(people, customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    assert due(case, "first_response").state == "met" and due(case, "on_site").state == "met"
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="修好"), actor=people["tech"])
    assert due(case, "resolution").state == "met"
    callback = due(case, "callback")
    assert callback.state == "pending" and callback.due_at > timezone.now()


def test_pausing_extends_by_the_paused_time_and_keeps_earlier_lateness(people, customers):
    start = timezone.now()
    case = new_case(people, customers["east"])
    sweep(start + timedelta(hours=2))  # on-site limit (1 h) breached before the pause
    assert due(case, "on_site").state == "breached"
    cases.accept(case.number, actor=people["tech"])
    resolution_due = due(case, "resolution").due_at
    cases.wait_for_customer(case.number, "客户要求周末上门", actor=people["tech"])
    deadline = due(case, "resolution")
    deadline.paused_at -= timedelta(hours=5)  # as if the wait lasted five hours
    deadline.save()
    cases.resume(case.number, actor=people["tech"])
    assert abs(due(case, "resolution").due_at - (resolution_due + timedelta(hours=5))) < timedelta(
        seconds=5
    )
    on_site = due(case, "on_site")
    assert on_site.state == "breached" and on_site.breached_at is not None
    assert case.pauses.get().reason == "客户要求周末上门"


def test_paused_deadlines_are_not_breached_by_the_sweeper(people, customers):
    case = new_case(people, customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.wait_for_customer(case.number, "客户出差", actor=people["tech"])
    sweep(timezone.now() + timedelta(hours=30))
    assert due(case, "resolution").state == "paused"


def test_the_ladder_walks_up_once_per_level(people, customers, org, capsys):
    deputy = staff("deputy", Position.DEPUTY_GM, org["company"])
    Profile.objects.create(user=deputy, mobile="13900009999")
    parent = staff("parent", Position.PARENT_GM, org["group"])
    start = timezone.now()
    case = new_case(people, customers["east"])
    expected = [(24, "head_east"), (48, "gm"), (72, "deputy"), (96, "parent")]
    for hours, who in expected:
        for _ in range(2):  # a second sweep at the same moment changes nothing
            call_command("sweep", "--now", (start + timedelta(hours=hours, minutes=1)).isoformat())
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert summary["escalations"] == 0  # the second run escalated nothing new
        assert list(
            CaseEscalation.objects.filter(case=case).values_list("level", flat=True)
        ) == list(range(1, expected.index((hours, who)) + 2))
    targets = {e.level: e.targets for e in CaseEscalation.objects.filter(case=case)}
    assert targets == {1: ["head_east"], 2: ["gm"], 3: ["deputy"], 4: ["parent"]}
    escalation_messages = Message.objects.filter(dedupe_key__startswith=f"esc:{case.pk}:")
    assert escalation_messages.count() == 4
    assert escalation_messages.get(recipient=deputy).channel == "sms"
    assert escalation_messages.get(recipient=deputy).address == "13900009999"
    assert escalation_messages.get(recipient=deputy).status == "sent"
    assert escalation_messages.get(recipient=parent).channel == "inbox"  # no mobile on file
    timeline = list(case.events.filter(action="escalated").values_list("data__level", flat=True))
    assert timeline == [1, 2, 3, 4]
    assert Case.objects.get(pk=case.pk).next_check_at is None or Case.objects.get(
        pk=case.pk
    ).next_check_at > start + timedelta(hours=96)


def test_a_resolved_case_does_not_escalate(people, customers):
    case = new_case(people, customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="修好"), actor=people["tech"])
    sweep(timezone.now() + timedelta(hours=50))
    assert not CaseEscalation.objects.exists()


def test_owner_is_warned_before_the_deadline_and_told_when_it_passes(people, customers):
    start = timezone.now()
    case = new_case(people, customers["east"])
    cases.accept(case.number, actor=people["tech"])
    assert sweep(start + timedelta(minutes=5))["warnings"] == 0  # not at once
    first = sweep(start + timedelta(minutes=46))
    assert first["warnings"] == 1  # on-site due in a quarter of an hour
    again = sweep(start + timedelta(minutes=47))
    assert again["warnings"] == 0
    late = sweep(start + timedelta(minutes=61))
    assert late["breaches"] == 1
    inbox = list(Message.objects.filter(recipient=people["tech"]).values_list("subject", flat=True))
    assert (
        len(inbox) == 2 and any("即将到期" in s for s in inbox) and any("超时" in s for s in inbox)
    )
    assert case.events.filter(action="deadline_breached").count() == 1


def test_sweep_with_nothing_due_reads_only_the_index(people, area, django_assert_max_num_queries):
    for i in range(30):
        new_case(people, make_customer(area["east"], f"{300 + i}", phones=(f"1360000{i:04d}",)))
    # A constant handful (the index read, the delivery check, their savepoints), not one per case.
    with django_assert_max_num_queries(6):
        assert sweep(timezone.now() - timedelta(minutes=1))["checked"] == 0


def test_new_years_eve_complaint_is_provisional_then_final_after_the_2027_file(
    people, customers, tmp_path, capsys
):
    eve = datetime(2026, 12, 31, 10, 0, tzinfo=SH)
    case = new_case(
        people, customers["east"], kind="complaint", channel="letter", received_at=eve, now=eve
    )
    resolution = due(case, "resolution")
    assert resolution.provisional and resolution.due_at == datetime(2027, 1, 6, 0, 0, tzinfo=SH)
    assert 2027 in sla.missing_years(now=eve)
    file = tmp_path / "2027.csv"
    # A whole year (an example: the official 2027 schedule is published in autumn 2026).
    later = ["2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
    later += ["2027-04-05", "2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15"]
    later += ["2027-10-01", "2027-10-04", "2027-10-05"]
    file.write_text(
        "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,holiday,元旦调休（示例）\n"
        + "".join(f"{day},holiday,示例\n" for day in later),
        encoding="utf-8",
    )
    call_command("holidays", "import", str(file))
    assert json.loads(capsys.readouterr().out)["provisional_deadlines_recomputed"] >= 1
    resolution.refresh_from_db()
    assert not resolution.provisional
    # 1 and 4 January off: the 5th, 6th and 7th count; due at 24:00 of Thursday the 7th.
    assert resolution.due_at == datetime(2027, 1, 8, 0, 0, tzinfo=SH)
    assert 2027 not in sla.missing_years(now=eve)


def test_calendar_file_errors_are_reported_by_line(tmp_path):
    from django.core.management.base import CommandError

    file = tmp_path / "bad.csv"
    file.write_text("date,kind,name\n2027-13-01,holiday,x\n2027-01-02,maybe,y\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("holidays", "import", str(file))
    assert "2" in str(error.value) and "3" in str(error.value)


def test_deadlines_command_prints_the_r408_example(capsys):
    call_command("deadlines", "--kind", "complaint", "--received", "2026-09-18T17:00")
    out = json.loads(capsys.readouterr().out)
    assert out["resolution"] == "2026-09-23T00:00:00+08:00" and out["provisional"] is False
    call_command("deadlines", "--kind", "complaint", "--received", "2026-12-31T10:00")
    assert json.loads(capsys.readouterr().out)["provisional"] is True
    out_stream = StringIO()
    call_command("holidays", "show", "2026", stdout=out_stream)
    shown = json.loads(out_stream.getvalue())
    assert (
        shown["loaded"]
        and {"date": "2026-09-20", "kind": "workday", "name": "国庆节"} in shown["days"]
    )


def test_heating_season_is_policy_data():
    from datetime import date

    assert sla.is_heating_season(date(2026, 11, 15)) and sla.is_heating_season(date(2027, 3, 20))
    assert not sla.is_heating_season(date(2026, 6, 1))


def test_administrators_see_the_missing_year_warning_and_staff_see_their_inbox_badge(
    people, client
):
    from utilitydesk.notifications.services import notify_staff
    from utilitydesk.policy.models import CalendarYear

    CalendarYear.objects.filter(year__gte=timezone.localtime().year).delete()
    client.force_login(people["admin"])
    page = client.get("/").content.decode()
    assert "工作日历尚未导入" in page and str(timezone.localtime().year) in page
    client.force_login(people["agent"])
    assert "工作日历尚未导入" not in client.get("/").content.decode()
    notify_staff([people["agent"]], "测试", "内容")
    assert 'id="inbox-badge">1<' in client.get("/").content.decode()
    client.post("/inbox/read/")
    assert 'id="inbox-badge"' not in client.get("/").content.decode()
