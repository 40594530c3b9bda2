"""A household's fault report becomes a web-channel case through the hotline's intake;
it follows only its own cases; a dissatisfied rating reopens the case."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import open_case
from utilitydesk.audit.models import AccessLog
from utilitydesk.billing import services as billing
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases.models import Case, Channel, Status
from utilitydesk.cases.services import DuplicateWarning
from utilitydesk.customers.models import Premises
from utilitydesk.outages import interruptions
from utilitydesk.outages.tests.conftest import NOW, burst
from utilitydesk.policy import services as policy
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import Photo, Rating

from .conftest import PHONE, resolve, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def bound(customers, ss_actor):
    services.bind(PHONE, customers["east"].account_no, name="李雷")
    return customers["east"]


def premises_of(customer):
    return Premises.objects.get(customer=customer)


def test_a_report_is_a_web_contact_routed_like_the_hotline(bound, people, org):
    contact = services.report(
        PHONE,
        services.FaultReport(premises_of(bound).pk, "repair", "全屋暖气不热"),
    )
    case = contact.case
    assert contact.channel == Channel.WEB and case.channel == Channel.WEB
    assert case.customer == bound and case.premises == premises_of(bound)
    # Routed to the station of the building, as the hotline's case would be.
    hotline = open_case(people["agent"], bound, content="同样不热")
    assert case.responsible_unit == hotline.responsible_unit == org["east"]
    assert case.status == Status.DISPATCHED
    # The same duplicate check: a second report while it is open is refused.
    with pytest.raises(DuplicateWarning):
        services.report(PHONE, services.FaultReport(premises_of(bound).pk, "repair", "还是不热"))


def test_a_report_only_for_bound_premises(bound, customers):
    with pytest.raises(ValidationError) as error:
        services.report(
            PHONE, services.FaultReport(premises_of(customers["west"]).pk, "repair", "不热")
        )
    assert "premises" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.report(PHONE, services.FaultReport(premises_of(bound).pk, "temperature", ""))
    assert set(error.value.message_dict) == {"kind", "description"}


def test_report_page_shows_the_open_case_instead_of_a_duplicate(client, texts, bound):
    sign_in(client, texts)
    data = {"kind": "repair", "premises": premises_of(bound).pk, "description": "暖气不热"}
    response = client.post("/my/report/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == f"/my/cases/{case.number}/"
    response = client.post("/my/report/", {**data, "description": "又不热了"})
    body = response.content.decode()
    assert response.status_code == 200 and case.number in body and "又不热了" in body
    assert Case.objects.count() == 1
    response = client.post("/my/report/", {"kind": "nonsense", "premises": "x"})
    assert response.status_code == 200


def test_a_duplicate_report_is_added_to_the_open_case(client, texts, bound, people):
    from .test_photos import picture

    sign_in(client, texts)
    data = {"kind": "repair", "premises": premises_of(bound).pk, "description": "暖气不热"}
    case = Case.objects.get(number=client.post("/my/report/", data).url.split("/")[-2])
    again = {**data, "description": "卧室也不热了，阀门漏水"}
    page = client.post("/my/report/", {**again, "photos": [picture()]}).content.decode()
    assert "补充说明到该工单" in page and f'name="add_to" value="{case.number}"' in page
    assert "请先在下方重新选择照片" in page  # a file input cannot be kept across pages
    response = client.post("/my/report/", {**again, "add_to": case.number, "photos": [picture()]})
    assert response.status_code == 302 and response.url == f"/my/cases/{case.number}/"
    assert Case.objects.count() == 1
    contact = case.contacts.order_by("pk").last()
    assert contact.channel == Channel.WEB and contact.content == "卧室也不热了，阀门漏水"
    event = case.events.get(action="contact_added")
    assert event.note == "卧室也不热了，阀门漏水" and event.actor.username == "selfservice"
    assert Photo.objects.filter(case=case).count() == 1
    # The staff case page shows the added text; the household's timeline the step.
    agent = Client()
    agent.force_login(people["agent"])
    assert "阀门漏水" in agent.get(f"/cases/{case.number}/").content.decode()
    assert "客户再次来电" in client.get(f"/my/cases/{case.number}/").content.decode()


def test_text_is_added_only_to_an_open_case_of_the_households_address(
    bound, people, customers, ss_actor
):
    mine = services.report(PHONE, services.FaultReport(premises_of(bound).pk, "repair", "不热"))
    theirs = open_case(people["agent"], customers["west"])
    text = services.FaultReport(premises_of(bound).pk, "repair", "补充")
    with pytest.raises(ValidationError) as refused:
        services.add_to_case(PHONE, theirs.number, text)
    assert "premises" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.add_to_case(PHONE, "GD-NO-SUCH", text)
    resolve(mine.case, people)
    with pytest.raises(ValidationError):
        services.add_to_case(PHONE, mine.case.number, text)
    assert not theirs.events.filter(action="contact_added").exists()
    assert not mine.case.events.filter(action="contact_added").exists()


def test_another_households_case_and_bill_are_not_found(client, texts, bound, customers, people):
    run = billing.start_run(2026, actor=None, now=NOW)
    billing.generate_bills(run.pk, now=NOW)
    mine = open_case(people["agent"], bound)
    theirs = open_case(people["agent"], customers["west"])
    sign_in(client, texts)
    assert client.get(f"/my/cases/{mine.number}/").status_code == 200
    assert client.get(f"/my/cases/{theirs.number}/").status_code == 404
    # Guessing the neighbouring numbers finds nothing either.
    for guess in (theirs.number[:-1] + "9", "GD000000000001", "../", "1"):
        assert client.get(f"/my/cases/{guess}/").status_code == 404
    assert (
        client.post(f"/my/cases/{theirs.number}/", {"outcome": "dissatisfied"}).status_code == 404
    )
    my_bill, their_bill = (
        bound_bill.number
        for bound_bill in (
            billing_bill(bound),
            billing_bill(customers["west"]),
        )
    )
    assert client.get(f"/my/bills/{my_bill}/").status_code == 200
    assert client.get(f"/my/bills/{their_bill}/").status_code == 404
    listing = client.get("/my/cases/").content.decode()
    assert mine.number in listing and theirs.number not in listing
    bills = client.get("/my/bills/").content.decode()
    assert my_bill in bills and their_bill not in bills and "韩梅梅" not in bills
    # Each page of personal data is in the access log, as the self-service account.
    logged = AccessLog.objects.filter(detail__selfservice="136****5678")
    assert logged.filter(action="case", customer=bound).exists()
    assert not logged.filter(customer=customers["west"]).exists()


def billing_bill(customer):
    from utilitydesk.billing.models import Bill

    return Bill.objects.get(customer=customer)


def test_my_cases_is_one_query(client, texts, bound, people):
    for _i in range(5):
        open_case(people["agent"], bound)
    sign_in(client, texts)
    from utilitydesk.selfservice import selectors

    with CaptureQueriesContext(connection) as queries:
        found = selectors.my_cases(PHONE)
    assert len(found) == 5 and len(queries) == 1


def test_the_timeline_shows_steps_and_the_booking_not_internal_notes(client, texts, bound, people):
    from utilitydesk.cases import services as cases

    case = open_case(people["agent"], bound)
    cases.add_note(case.number, "内部备注：客户脾气大", actor=people["agent"])
    cases.accept(case.number, actor=people["tech"])
    cases.book(case.number, timezone.now() + timedelta(hours=3), actor=people["tech"])
    sign_in(client, texts)
    body = client.get(f"/my/cases/{case.number}/").content.decode()
    assert "内部备注" not in body
    assert 'id="booking"' in body and "王小明" in body


def test_rating_dissatisfied_reopens_the_case(client, texts, bound, people):
    case = open_case(people["agent"], bound)
    resolve(case, people)
    sign_in(client, texts)
    page = client.get(f"/my/cases/{case.number}/").content.decode()
    assert 'id="rating"' in page
    response = client.post(f"/my/cases/{case.number}/", {"outcome": "dissatisfied"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    response = client.post(
        f"/my/cases/{case.number}/", {"outcome": "dissatisfied", "comment": "卧室还是不热"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert case.events.filter(action="reopen", note__contains="卧室还是不热").exists()
    assert Rating.objects.get(case=case).reopened
    # The hotline agent's callback task stays for the agent (theirs to record).
    task = CallbackTask.objects.get(case=case, purpose="first")
    assert task.status == "open" and task.caller == people["agent"] and task.outcome == ""
    assert 'id="rating"' not in client.get(f"/my/cases/{case.number}/").content.decode()


def test_rating_a_web_case_answers_its_callback(bound, people, ss_actor):
    contact = services.report(PHONE, services.FaultReport(premises_of(bound).pk, "repair", "不热"))
    case = resolve(contact.case, people)
    task = CallbackTask.objects.get(case=case)
    # Not left to the self-service account (nobody makes its calls): any agent's.
    assert task.caller is None
    services.rate(PHONE, case.number, "satisfied")
    case.refresh_from_db()
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == "satisfied"
    assert case.status == Status.CALLBACK_DONE
    with pytest.raises(ValidationError):
        services.rate(PHONE, case.number, "dissatisfied", "又坏了")  # once per resolution


def test_rating_only_within_the_window(bound, people):
    case = resolve(open_case(people["agent"], bound), people)
    # The shipped policy's window: a week after the resolution.
    assert services.reopen_days(case) == 7
    later = case.resolved_at + timedelta(days=7, minutes=1)
    with pytest.raises(ValidationError, match="no longer"):
        services.rate(PHONE, case.number, "dissatisfied", "不热", now=later)
    case.refresh_from_db()
    assert case.status != Status.REOPENED


def test_the_rating_window_is_the_cases_policy(bound, people, customers):
    people["admin"].is_superuser = True
    people["admin"].save()
    older = open_case(people["agent"], customers["west"])  # under the shipped version
    draft = policy.new_draft(actor=people["admin"])
    draft.selfservice_reopen_days = 2
    draft.save()
    policy.publish(draft.pk, actor=people["admin"])
    case = resolve(open_case(people["agent"], bound), people)
    assert case.policy_version_id == draft.pk
    three_days_on = case.resolved_at + timedelta(days=3)
    assert not services.may_rate(case, three_days_on)
    assert services.may_rate(case, case.resolved_at + timedelta(days=1))
    with pytest.raises(ValidationError, match="no longer"):
        services.rate(PHONE, case.number, "satisfied", now=three_days_on)
    # A case created under the week-long version keeps its week.
    assert services.reopen_days(older) == 7


def test_the_rating_window_is_checked_when_the_policy_is_published(people):
    people["admin"].is_superuser = True
    people["admin"].save()
    draft = policy.new_draft(actor=people["admin"])
    draft.selfservice_reopen_days = 0
    draft.save()
    with pytest.raises(ValidationError) as refused:
        policy.publish(draft.pk, actor=people["admin"])
    assert "1 to 90 days" in " ".join(refused.value.messages)
    draft.selfservice_reopen_days = 14
    draft.save()
    assert policy.publish(draft.pk, actor=people["admin"]).selfservice_reopen_days == 14


def running(net):
    return interruptions.announce(burst(net).pk, actor=net["dispatcher"], now=NOW)


def test_a_web_case_closed_by_restoration_gets_a_callback_any_agent_sees(
    net, bound, people, ss_actor
):
    interruption = running(net)
    case = services.report(
        PHONE, services.FaultReport(premises_of(bound).pk, "repair", "不热")
    ).case
    interruptions.link_case(interruption.pk, number=case.number, actor=people["agent"], now=NOW)
    interruptions.restore(
        interruption.pk, note="已恢复供热", actor=net["dispatcher"], now=NOW + timedelta(hours=2)
    )
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    task = CallbackTask.objects.get(case=case, purpose="first", status="open")
    # Not the self-service account's (nobody makes its calls): in every agent's list.
    assert task.caller is None


def test_dissatisfied_with_a_case_closed_by_restoration_puts_it_in_a_queue(
    net, bound, people, org, ss_actor
):
    interruption = running(net)
    held = open_case(people["agent"], bound, reaction_data={"interruption": interruption.pk})
    assert held.responsible_unit is None  # held by the interruption: no unit
    interruptions.restore(
        interruption.pk, note="已恢复供热", actor=net["dispatcher"], now=NOW + timedelta(hours=2)
    )
    services.rate(PHONE, held.number, "dissatisfied", "还是不热", now=NOW + timedelta(hours=3))
    # Reopened it would have no unit, and the self-service account may not dispatch: the
    # complaint is a new web case, routed by intake to the station's queue.
    new = Case.objects.exclude(pk=held.pk).get()
    assert new.channel == Channel.WEB and new.responsible_unit == org["east"]
    assert new.status == Status.DISPATCHED
    assert "还是不热" in new.content and held.number in new.content
    case = Case.objects.get(pk=held.pk)
    assert case.events.filter(action="note", note__contains=new.number).exists()
    # The hotline's callback stays the agent's; the rating does not answer it.
    task = CallbackTask.objects.get(case=case, purpose="first")
    assert task.status == "open" and task.caller == people["agent"]


def test_a_rating_does_not_answer_a_hotline_cases_unassigned_callback(bound, people, ss_actor):
    case = resolve(open_case(people["agent"], bound), people)
    task = CallbackTask.objects.get(case=case, purpose="first")
    task.caller = None
    task.save()
    services.rate(PHONE, case.number, "satisfied")
    task.refresh_from_db()
    assert task.status == "open"
    assert case.events.filter(action="note", note__contains="self-service").exists()


def test_a_refused_rating_without_the_form_is_shown_as_a_message(client, texts, bound, people):
    case = resolve(open_case(people["agent"], bound), people)
    sign_in(client, texts)
    assert client.post(f"/my/cases/{case.number}/", {"outcome": "satisfied"}).status_code == 302
    response = client.post(f"/my/cases/{case.number}/", {"outcome": "satisfied"})
    assert response.status_code == 302
    shown = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in shown][-1] == "error"  # after the first one's thanks


def test_the_rating_window_is_in_the_policy_admin_in_chinese(client, people):
    people["admin"].is_superuser = True
    people["admin"].is_staff = True
    people["admin"].save()
    draft = policy.new_draft(actor=people["admin"])
    client.force_login(people["admin"])
    page = client.get(f"/admin/sla/policyversion/{draft.pk}/change/").content.decode()
    assert "居民可在办结后几天内评价或重开（天）" in page
    assert 'name="selfservice_reopen_days"' in page
