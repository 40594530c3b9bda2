"""Issue 16 item 6: the first responder follows the case (R-203) — told when a case they
took is dispatched, resolved and closed, and the "我受理的" list of what they took."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_customer, open_case, staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.callbacks import followup
from utilitydesk.callbacks import services as callbacks
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import hooks
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, Status
from utilitydesk.notifications.models import Channel, Message
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def more(people, org):
    return {
        "agent2": staff("agent2", Position.AGENT, org["centre"]),
        "dispatcher": staff("dispatcher", Position.DISPATCHER, org["centre"]),
    }


def inbox(user, number: str | None = None) -> list[Message]:
    messages = Message.objects.filter(recipient=user, channel=Channel.INBOX)
    if number:
        messages = messages.filter(reference=f"case:{number}")
    return list(messages.order_by("pk"))


def subjects(user, number: str) -> list[str]:
    return [m.subject for m in inbox(user, number)]


def resolve(people, case: Case) -> Case:
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    return cases.resolve(case.number, cases.Resolution(work_done="更换阀门"), actor=people["tech"])


def redispatch(case: Case, unit, actor, note: str = "不属本所") -> Case:
    return cases.dispatch(case.number, unit.pk, note, redispatch=True, actor=actor)


# --- the messages -----------------------------------------------------------------------------


def test_the_first_responder_hears_of_dispatch_resolution_and_closing_once_each(
    people, customers, org, more
):
    agent = people["agent"]
    case = open_case(agent, customers["east"])
    assert inbox(agent) == []  # the agent recorded and routed it: nothing to tell them
    redispatch(case, org["east"], more["dispatcher"], note="转城东，电话13812345678")
    resolve(people, case)
    task = CallbackTask.objects.get(case=case)
    callbacks.record_outcome(task.pk, "satisfied", "满意", actor=agent)
    cases.close(case.number, "结案", actor=people["office"])

    assert subjects(agent, case.number) == [
        f"您受理的工单 {case.number} 已派往城东供热所",
        f"您受理的工单 {case.number} 已处理",
        f"您受理的工单 {case.number} 已结案",
    ]
    dispatched, resolved, closed = inbox(agent, case.number)
    assert "王小明" in dispatched.body  # who sent it (every test user is 王小明)
    assert "13812345678" in dispatched.body  # the agent may see full numbers
    assert dispatched.link == f"/cases/{case.number}/"
    assert "更换阀门" in resolved.body and "回访由您负责" in resolved.body
    assert "回访由您负责" not in closed.body
    # Nobody else took a contact on it: nobody else is told.
    assert Message.objects.filter(reference=f"case:{case.number}", channel="inbox").count() == 3


def test_a_masked_follower_reads_the_note_masked(people, customers, org, more):
    tech = people["tech"]  # a technician who recorded a follow-up is its first responder
    case = open_case(people["agent"], customers["east"])
    Case.objects.filter(pk=case.pk).update(first_responder=tech)
    redispatch(case, org["east"], more["dispatcher"], note="客户电话13812345678")
    (message,) = inbox(tech, case.number)
    assert "138****5678" in message.body and "13812345678" not in message.body


def test_a_redispatch_is_told_again_but_the_same_step_twice_only_once(people, customers, org, more):
    agent = people["agent"]
    case = open_case(agent, customers["east"])
    redispatch(case, org["west"], more["dispatcher"])
    case = redispatch(case, org["east"], more["dispatcher"])
    assert len(inbox(agent, case.number)) == 2
    assert "城西供热所" in inbox(agent)[0].subject and "城东供热所" in inbox(agent)[1].subject

    # The same step reaching the reaction again (announced twice, a retried handler).
    again = hooks.CaseHappened(
        hook=hooks.CaseHook.DISPATCHED,
        case=case,
        actor=more["dispatcher"],
        now=case.updated_at,
        data={"note": "不属本所", "event_seq": case.last_event_seq},
    )
    followup.on_case_step(again)
    followup.on_case_step(again)
    assert len(inbox(agent, case.number)) == 2


def test_the_person_who_acts_is_not_told_what_they_did(people, customers):
    office = people["office"]
    case = open_case(office, customers["east"])  # the office took the call itself
    cases.dispatch(case.number, case.responsible_unit_id, "改派", redispatch=True, actor=office)
    resolve(people, case)
    cases.close(case.number, "", actor=office)
    assert subjects(office, case.number) == [f"您受理的工单 {case.number} 已处理"]


def test_other_steps_tell_nobody(people, customers):
    agent = people["agent"]
    case = open_case(agent, customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.add_note(case.number, "已联系", actor=people["tech"])
    cases.cancel(case.number, "重复", actor=people["office"])
    assert inbox(agent) == []


def test_who_took_a_later_contact_on_the_case_follows_it_too(people, customers, org, more):
    agent, agent2 = people["agent"], more["agent2"]
    case = open_case(agent, customers["east"])
    cases.create_contact(
        cases.ContactInput(
            channel="phone",
            kind="repair",
            content="又来电催修",
            customer_id=customers["east"].pk,
            link_to_case=case.number,
        ),
        actor=agent2,
    )
    assert set(followup.followers(case)) == {agent, agent2}
    redispatch(case, org["east"], more["dispatcher"])
    assert len(inbox(agent, case.number)) == 1 and len(inbox(agent2, case.number)) == 1

    resolve(people, case)
    task = CallbackTask.objects.get(case=case)
    callbacks.record_outcome(task.pk, "satisfied", "满意", actor=agent)
    cases.close(case.number, "", actor=agent2)  # agent2 closes: only agent is told
    assert [m.subject[-3:] for m in inbox(agent, case.number)] == ["供热所", "已处理", "已结案"]
    assert [m.subject[-3:] for m in inbox(agent2, case.number)] == ["供热所", "已处理"]
    # The callback is the case's first responder's: only their message says so.
    assert "回访由您负责" in inbox(agent, case.number)[1].body
    assert "回访由您负责" not in inbox(agent2, case.number)[1].body


def test_a_follower_who_left_is_not_told(people, customers, org, more):
    agent = people["agent"]
    case = open_case(agent, customers["east"])
    type(agent).objects.filter(pk=agent.pk).update(is_active=False)
    redispatch(case, org["east"], more["dispatcher"])
    assert inbox(agent) == []


def test_a_settled_case_is_told_as_closed(people, customers, org):
    agent = people["agent"]
    case = open_case(agent, customers["east"])
    settler = staff("settler", Position.SERVICE_OFFICE, org["office"])
    from django.contrib.auth.models import Permission

    settler.user_permissions.add(Permission.objects.get(codename="settle_case"))
    settler = type(settler).objects.get(pk=settler.pk)
    cases.settle(case.number, "停热已恢复", actor=settler)
    assert subjects(agent, case.number) == [f"您受理的工单 {case.number} 已结案"]


# --- the list ---------------------------------------------------------------------------------


def web(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def page_numbers(response) -> list[str]:
    return [c.number for c in response.context["page"].object_list]


def test_the_selector_gives_what_i_took_and_may_see(people, customers, more):
    agent, agent2 = people["agent"], more["agent2"]
    mine = open_case(agent, customers["east"])
    theirs = open_case(agent2, customers["west"])
    joined = open_case(agent2, customers["east"], content="室温低")
    cases.create_contact(
        cases.ContactInput(
            channel="phone",
            kind="repair",
            content="再次来电",
            customer_id=customers["east"].pk,
            link_to_case=joined.number,
        ),
        actor=agent,
    )
    got = list(followup.followed_cases(agent, open_only=True))
    assert got == [joined, mine]  # newest first, each case once
    assert theirs not in got
    assert list(followup.followed_cases(agent2, open_only=False)) == [joined, theirs]
    # A technician's first-responder case moved out of their station is out of their sight.
    tech = people["tech"]
    Case.objects.filter(pk=theirs.pk).update(first_responder=tech)
    assert list(followup.followed_cases(tech, open_only=False)) == []


def test_open_means_not_yet_settled_with_the_customer(people, customers):
    agent = people["agent"]
    case = resolve(people, open_case(agent, customers["east"]))
    assert case.status == Status.RESOLVED
    assert list(followup.followed_cases(agent, open_only=True)) == [case]
    task = CallbackTask.objects.get(case=case)
    callbacks.record_outcome(task.pk, "satisfied", "满意", actor=agent)
    assert list(followup.followed_cases(agent, open_only=True)) == []
    assert list(followup.followed_cases(agent, open_only=False)) == [case]


def test_the_page_shows_my_contacts_with_progress_and_callback(people, customers, more):
    agent = people["agent"]
    mine = resolve(people, open_case(agent, customers["east"]))
    other = open_case(more["agent2"], customers["west"])
    response = web(agent).get("/callbacks/followed/")
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.number in html and other.number not in html
    assert "我受理的" in html and "城东供热所" in html and "待回访" in html
    assert "李雷" in html and "138****5678" not in html  # agents see full numbers
    assert AccessLog.objects.filter(actor=agent, customer_id=customers["east"].pk).exists()


def test_a_masked_reader_sees_masked_phones(people, customers, org):
    leader = staff("leader", Position.TEAM_LEADER, org["east_team"])
    case = open_case(people["agent"], customers["east"])
    Case.objects.filter(pk=case.pk).update(first_responder=leader)
    html = web(leader).get("/callbacks/followed/").content.decode()
    assert case.number in html and "138****5678" in html and "13812345678" not in html


def test_filters_open_all_kind_and_dates(people, customers):
    agent = people["agent"]
    old = open_case(
        agent,
        customers["east"],
        kind="consultation",
        content="咨询",
        channel="letter",
        received_at=datetime(2026, 11, 2, 10, tzinfo=SH),
        now=datetime(2026, 11, 3, 9, tzinfo=SH),
    )
    cases.cancel(old.number, "客户撤回", actor=people["office"])
    new = open_case(agent, customers["east"], now=datetime(2026, 11, 20, 9, tzinfo=SH))
    client = web(agent)
    assert page_numbers(client.get("/callbacks/followed/")) == [new.number]
    assert page_numbers(client.get("/callbacks/followed/?scope=all")) == [new.number, old.number]
    assert page_numbers(client.get("/callbacks/followed/?scope=all&kind=consultation")) == [
        old.number
    ]
    dated = client.get(
        "/callbacks/followed/?scope=all&received_from=2026-11-01&received_to=2026-11-02"
    )
    assert page_numbers(dated) == [old.number]
    wrong = client.get("/callbacks/followed/?received_from=2026-11-05&received_to=2026-11-01")
    assert wrong.status_code == 200 and "结束日期早于开始日期" in wrong.content.decode()
    assert 'value="2026-11-05"' in wrong.content.decode()  # kept as typed
    assert client.get("/callbacks/followed/?kind=nonsense").status_code == 200


def test_the_list_pages_by_25_newest_first(people, area):
    agent = people["agent"]
    start = datetime(2026, 11, 1, 8, tzinfo=SH)
    numbers = []
    for n in range(26):
        customer = make_customer(area["east"], f"3{n:02d}", phones=(f"1370000{n:04d}",))
        numbers.append(open_case(agent, customer, now=start + timedelta(minutes=n)).number)
    client = web(agent)
    first = client.get("/callbacks/followed/")
    assert page_numbers(first) == numbers[::-1][:25]
    assert page_numbers(client.get("/callbacks/followed/?page=2")) == [numbers[0]]
    assert "第 1 页" in first.content.decode() or "page=2" in first.content.decode()


def test_the_page_reads_a_constant_number_of_queries(people, area):
    agent = people["agent"]
    client = web(agent)

    def some_cases(prefix: str, n: int) -> None:
        for i in range(n):
            customer = make_customer(area["east"], f"{prefix}{i:02d}", phones=(f"1360000{i:04d}",))
            resolve(people, open_case(agent, customer))

    some_cases("4", 2)
    client.get("/callbacks/followed/")
    with CaptureQueriesContext(connection) as few:
        client.get("/callbacks/followed/")
    some_cases("5", 6)
    with CaptureQueriesContext(connection) as many:
        client.get("/callbacks/followed/")
    assert len(many) == len(few)


def test_the_page_needs_a_sign_in_and_the_menu_offers_it_to_agents(people):
    assert Client().get("/callbacks/followed/").status_code == 302
    html = web(people["agent"]).get("/").content.decode()
    assert 'href="/callbacks/followed/"' in html
