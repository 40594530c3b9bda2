"""Issue 10, findings 10, 11, 13, 14, 15 and parts of 16: who may act on major faults,
complaint grades, texts to customers and policy drafts; bad input is a 400 or a form
error, never a 500; no open redirect; callbacks recorded by their own agent; sign-off
codes never stored; only plausible calendar files loaded. Each test goes through the
interface the finding used (web pages, the API, the admin, an uploaded file)."""

import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import open_case, staff
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case
from utilitydesk.complaints.models import Complaint
from utilitydesk.knowledge.models import StandardPhrase
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.outages import services as outages
from utilitydesk.outages.models import MajorFault
from utilitydesk.policy.models import CalendarDay, PolicyVersion

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_fault(actor, units, title="主管网爆管") -> MajorFault:
    return outages.report_major_fault(
        actor=actor,
        title=title,
        occurred_at=timezone.now(),
        place="阳光花园",
        symptoms="停热",
        response_plan="抢修",
        unit_ids=[u.pk for u in units],
    )


ANALYSIS = {
    "impact": "200户",
    "handling": "抢修6小时",
    "root_cause": "管道腐蚀",
    "corrective_actions": "更换管段",
    "preventive_actions": "加强巡检",
}


# --- 10. major faults: a station head acts on their own station's faults only -----------


@pytest.fixture
def faults(people, org, customers):
    head_west = staff("head_west", Position.STATION_HEAD, org["west"])
    west = report_fault(head_west, [org["west"]], title="城西爆管")
    east = report_fault(people["head_east"], [org["east"]], title="城东爆管")
    both = report_fault(people["gm"], [org["east"], org["west"]], title="两站停热")
    case = open_case(people["agent"], customers["west"])
    outages.link_case_to_fault(case.number, west.pk, actor=head_west)
    outages.close_major_fault(west.pk, actor=head_west, **ANALYSIS)
    return {"west": west, "east": east, "both": both, "head_west": head_west}


def test_station_head_cannot_analyse_or_share_another_stations_fault(people, faults):
    client = web(people["head_east"])
    west = faults["west"]
    assert client.post(f"/cases/faults/{west.pk}/", {"share": "1"}).status_code == 404
    assert client.post(f"/cases/faults/{faults['both'].pk}/", ANALYSIS).status_code == 403
    assert client.post(f"/cases/faults/{faults['both'].pk}/", {"share": "1"}).status_code == 403
    assert not Message.objects.filter(channel="sms").exists()
    assert MajorFault.objects.get(pk=faults["both"].pk).state == MajorFault.State.OPEN
    # Their own station's fault: analysed as before.
    assert client.post(f"/cases/faults/{faults['east'].pk}/", ANALYSIS).status_code == 302
    assert MajorFault.objects.get(pk=faults["east"].pk).state == MajorFault.State.CLOSED


def test_fault_list_shows_a_station_head_only_faults_naming_their_station(people, faults):
    page = web(people["head_east"]).get("/cases/faults/").content.decode()
    assert "城东爆管" in page and "两站停热" in page and "城西爆管" not in page
    assert web(people["head_east"]).get(f"/cases/faults/{faults['west'].pk}/").status_code == 404
    # Company-wide leaders see and act on every fault.
    gm_page = web(people["gm"]).get("/cases/faults/").content.decode()
    assert "城西爆管" in gm_page
    assert (
        web(people["gm"]).post(f"/cases/faults/{faults['west'].pk}/", {"share": "1"}).status_code
        == 302
    )
    assert (
        Message.objects.filter(channel="sms", reference=f"fault:{faults['west'].pk}").count() == 1
    )


def test_station_head_reports_faults_for_own_station_only(people, org):
    response = web(people["head_east"]).post(
        "/cases/faults/",
        {
            "title": "冒充城西",
            "occurred_at": "2026-11-20T08:00",
            "place": "x",
            "symptoms": "x",
            "response_plan": "x",
            "units": [org["west"].pk],
        },
    )
    assert response.status_code == 200 and not MajorFault.objects.exists()


# --- 11. complaint category and level -------------------------------------------------


@pytest.fixture
def complaint(people, customers, org):
    case = open_case(people["agent"], customers["east"], kind="complaint", content="态度差")
    cases.dispatch(
        case.number, actor=people["office"], unit_id=org["east"].pk, note="转城东", redispatch=True
    )
    cases.accept(case.number, actor=people["tech"])
    return Complaint.objects.select_related("case").get(case=case)


def test_technician_cannot_downgrade_a_complaint(people, complaint):
    Complaint.objects.filter(pk=complaint.pk).update(level=1)
    response = web(people["tech"]).post(
        f"/complaints/{complaint.pk}/classify/", {"category": "other", "level": "3"}
    )
    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).level == 1
    assert not ChangeRecord.objects.exists()


def test_office_reclassification_is_in_the_history_and_the_timeline(people, complaint):
    seq = Case.objects.get(pk=complaint.case_id).last_event_seq
    response = web(people["office"]).post(
        f"/complaints/{complaint.pk}/classify/", {"category": "conduct", "level": "3"}
    )
    assert response.status_code == 302
    changed = {
        (r.field, r.old_value, r.new_value, r.actor.username, r.source)
        for r in ChangeRecord.objects.filter(object_id=complaint.pk)
    }
    assert changed == {
        ("category", "other", "conduct", "office", "web"),
        ("level", "2", "3", "office", "web"),
    }
    event = Case.objects.get(pk=complaint.case_id).events.get(seq=seq + 1)
    assert event.action == "classify_complaint" and event.actor == people["office"]
    assert event.data["level"] == {"from": "2", "to": "3"}
    page = web(people["office"]).get(f"/cases/{complaint.case.number}/").content.decode()
    assert "投诉类别和等级" in page


@pytest.mark.parametrize(
    ("action", "post"),
    [
        ("classify", {"category": "other", "level": "abc"}),
        ("classify", {"category": "other", "level": HUGE}),
        ("classify", {"category": "nonsense", "level": "2"}),
        ("determine", {"responsibility": "mistake", "responsible_unit": "abc"}),
        ("determine", {"responsibility": "mistake", "responsible_staff": HUGE}),
        ("rule", {"appeal": "abc", "upheld": "1", "ruling": "x"}),
        ("rule", {"appeal": HUGE, "upheld": "1", "ruling": "x"}),
    ],
)
def test_bad_complaint_form_fields_are_form_errors(people, complaint, action, post):
    response = web(people["office"]).post(f"/complaints/{complaint.pk}/{action}/", post)
    # Shown again with the errors (issue 11 item 5: no form loses what was typed).
    assert response.status_code == 200
    assert Complaint.objects.get(pk=complaint.pk).level == 2


# --- 13. texting the customer -----------------------------------------------------------


@pytest.fixture
def assigned(people, customers):
    case = open_case(people["agent"], customers["east"])
    cases.accept(case.number, actor=people["tech"])
    return case


def test_colleagues_not_on_the_case_cannot_text_its_customer(people, org, assigned):
    other_tech = staff("tech2", Position.TECHNICIAN, org["east_team"])
    billing = staff("billing", Position.BILLING_CLERK, org["company"])
    parent = staff("parent_gm", Position.PARENT_GM, org["group"])
    for person in (other_tech, billing, parent):
        response = web(person).post(f"/cases/{assigned.number}/act/reply/", {"text": "您好"})
        assert response.status_code == 403, person.username
        response = api(person).post(
            f"/api/v1/cases/{assigned.number}/reply/", {"text": "您好"}, format="json"
        )
        assert response.status_code == 403, person.username
    assert not Message.objects.filter(channel="sms").exists()


def test_assignee_texts_are_limited_per_case_and_per_person(people, customers, assigned, settings):
    settings.CUSTOMER_SMS_PER_CASE_PER_DAY = 3
    client = api(people["tech"])
    url = f"/api/v1/cases/{assigned.number}/reply/"
    for i in range(3):
        assert client.post(url, {"text": f"师傅{i}点到"}, format="json").status_code == 200
    fourth = client.post(url, {"text": "再发一条"}, format="json")
    assert fourth.status_code == 400 and "今天" in fourth.json()["error"]["fields"]["text"][0]
    assert Message.objects.filter(channel="sms", sent_by=people["tech"]).count() == 3
    # Per person: a second case of theirs, with a person limit of 4.
    settings.CUSTOMER_SMS_PER_USER_PER_DAY = 4
    other = open_case(people["agent"], customers["east"])
    cases.accept(other.number, actor=people["tech"])
    url = f"/api/v1/cases/{other.number}/reply/"
    assert client.post(url, {"text": "明天上午到"}, format="json").status_code == 200
    assert client.post(url, {"text": "改到下午"}, format="json").status_code == 400


def test_texts_are_standard_phrases_or_checked_free_text(people, assigned):
    client = web(people["tech"])
    url = f"/cases/{assigned.number}/act/reply/"
    client.post(url, {"text": "你问我，我问谁？"})
    assert not Message.objects.exists()
    phrase = StandardPhrase.objects.order_by("pk").first()
    assert client.post(url, {"phrase_id": str(phrase.pk)}).status_code == 302
    sms = Message.objects.get(channel="sms")
    # The phrase as sent: the company's and the sender's names in place of its blanks.
    from utilitydesk.knowledge.selectors import render_phrase

    assert sms.body == render_phrase(phrase.text, people["tech"]) and "{" not in sms.body
    assert sms.sent_by == people["tech"]
    assert assigned.events.get(action="reply").data["phrase"] == phrase.pk
    assert client.post(url, {"phrase_id": "abc"}).status_code == 302
    assert Message.objects.count() == 1


def test_service_centre_and_station_head_may_text(people, assigned):
    for person in (people["agent"], people["head_east"]):
        response = api(person).post(
            f"/api/v1/cases/{assigned.number}/reply/", {"text": "已安排维修"}, format="json"
        )
        assert response.status_code == 200, person.username


# --- 14. policy drafts in the admin -----------------------------------------------------


def test_service_office_cannot_change_or_publish_a_policy_draft(people):
    from utilitydesk.policy import services as sla

    draft = sla.new_draft(actor=people["admin"])
    office = web(people["office"])
    url = f"/admin/sla/policyversion/{draft.pk}/change/"
    page = office.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = office.post(url, {"note": "服务办改的", "season_start": "01-01"})
    assert response.status_code == 403
    office.post(
        "/admin/sla/policyversion/",
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT and draft.note != "服务办改的"
    admin_page = web(people["admin"]).get(url).content.decode()
    assert 'name="_save"' in admin_page


# --- 15. bad parameters: 400 or a form error, never a 500 ------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/sla/calendar/?year=abc", 400),
        ("/sla/calendar/?year=99999", 400),
        ("/sla/calendar/?year=" + HUGE, 400),
        ("/sla/calendar/?year=2026", 200),
        ("/kpis/rates/?unit=²", 302),
        ("/kpis/rates/?unit=" + HUGE, 302),
        ("/kpis/rates/?from=0001-01-01", 302),
        ("/kpis/rates/?to=9999-12-31", 302),
        ("/kpis/rates/?from=2026-13-01", 302),
        ("/kpis/rates/?from=2026-05-01T10:00:00%2B05:00", 302),
        ("/kpis/rates/?from=2026-11-01&to=2026-11-30", 200),
    ],
)
def test_bad_query_parameters_on_pages(people, url, status):
    assert web(people["office"]).get(url).status_code == status


@pytest.mark.parametrize(
    "post",
    [
        {"units": [HUGE]},
        {"units": ["abc"]},
        {"occurred_at": "0001-01-01T00:00"},
        {"occurred_at": "99999-01-01T00:00"},
    ],
)
def test_bad_fault_form_fields_are_form_errors(people, org, post):
    data = {
        "title": "x",
        "occurred_at": "2026-11-20T08:00",
        "place": "x",
        "symptoms": "x",
        "response_plan": "x",
        "units": [org["east"].pk],
        **post,
    }
    assert web(people["office"]).post("/cases/faults/", data).status_code == 200
    assert not MajorFault.objects.exists()


def test_bad_fault_id_when_linking_a_case(people, assigned):
    for value in ("abc", "²", HUGE):
        response = web(people["office"]).post(
            f"/cases/{assigned.number}/act/link_fault/", {"fault_id": value}
        )
        assert response.status_code == 302
    assert Case.objects.get(pk=assigned.pk).major_fault is None


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/cases/?unit={HUGE}",
        "/api/v1/cases/?unit=²",
        "/api/v1/cases/?unit=-1",
    ],
)
def test_bad_id_filters_in_the_api_are_400(people, url):
    response = api(people["office"]).get(url)
    assert response.status_code == 400 and "unit" in response.json()["error"]["fields"]


def test_huge_ids_in_the_api_are_not_found_or_400(people, customers):
    assert api(people["office"]).get(f"/api/v1/customers/{HUGE}/").status_code == 404
    response = api(people["agent"]).post(
        "/api/v1/contacts/",
        {"channel": "phone", "kind": "repair", "content": "x", "customer_id": int(HUGE)},
        format="json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "1e999"])
def test_nan_and_infinity_in_case_attributes_are_400(people, customers, value):
    body = {
        "channel": "phone",
        "kind": "repair",
        "content": "管道漏水",
        "customer_id": customers["east"].pk,
        "attributes": {"pipe_diameter_mm": value},
    }
    response = api(people["agent"]).post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 400
    assert "attributes" in response.json()["error"]["fields"]
    raw = json.dumps(body).replace(f'"{value}"', "NaN")
    response = api(people["agent"]).post("/api/v1/contacts/", raw, content_type="application/json")
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("quantity", ['"NaN"', '"Infinity"', "1e999", "NaN", '"1e999"'])
def test_nan_and_infinity_in_material_quantities_are_400(people, customers, quantity):
    case = open_case(people["agent"], customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    raw = f'{{"work_done": "换阀门", "materials": [{{"name": "阀门", "quantity": {quantity}}}]}}'
    response = api(people["tech"]).post(
        f"/api/v1/cases/{case.number}/resolve/", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).resolved_at is None


def test_nan_material_quantity_on_the_resolve_form(people, customers):
    case = open_case(people["agent"], customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    web(people["tech"]).post(
        f"/cases/{case.number}/act/resolve/", {"work_done": "换阀门", "materials": "阀门,nan,个"}
    )
    assert Case.objects.get(pk=case.pk).resolved_at is None


def test_an_api_error_is_json_and_a_page_error_is_the_chinese_page(people):
    client = Client(raise_request_exception=False)
    client.force_login(people["office"])
    with mock.patch("utilitydesk.cases.selectors.search_cases", side_effect=RuntimeError("boom")):
        response = client.get("/api/v1/cases/")
        assert response.status_code == 500 and response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "server_error"
        page = client.get("/cases/")
    assert page.status_code == 500 and "服务器出错" in page.content.decode()
    assert "Traceback" not in page.content.decode() and "boom" not in page.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    tech = Client(raise_request_exception=False)
    tech.force_login(people["tech"])
    forbidden = tech.get("/kpis/rates/")
    assert forbidden.status_code == 403 and "无权" in forbidden.content.decode()


def test_the_500_page_needs_no_request_context_or_database(django_assert_num_queries, rf):
    from utilitydesk.web.errors import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/cases/"))
    assert response.status_code == 500 and "服务器出错" in response.content.decode()


# --- 16. open redirect, other agents' callbacks, sign-off codes, calendar files ------------


def resolved(people, customer) -> Case:
    case = open_case(people["agent"], customer)
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="修好"), actor=people["tech"])
    return case


def test_callback_form_does_not_redirect_to_another_site(people, customers):
    task = CallbackTask.objects.get(case=resolved(people, customers["east"]))
    response = web(people["agent"]).post(
        f"/callbacks/{task.pk}/record/",
        {"outcome": "satisfied", "if_dissatisfied": "reopen", "next": "https://evil.example/x"},
    )
    assert response.status_code == 302 and response["Location"] == "/callbacks/"
    response = web(people["agent"]).post(
        f"/callbacks/{task.pk}/record/", {"outcome": "", "next": "//evil.example/"}
    )
    # Shown again with its error; the way back it offers stays on this site.
    assert response.status_code == 200 and "evil" not in response.content.decode()


def test_an_agent_cannot_record_another_agents_callback(people, customers, org):
    task = CallbackTask.objects.get(case=resolved(people, customers["east"]))
    assert task.caller == people["agent"]
    agent_b = staff("agent2", Position.AGENT, org["centre"])
    response = web(agent_b).post(
        f"/callbacks/{task.pk}/record/", {"outcome": "satisfied", "if_dissatisfied": "reopen"}
    )
    assert response.status_code == 403
    assert CallbackTask.objects.get(pk=task.pk).status == CallbackTask.Status.OPEN
    # A supervisor of callbacks (the service office) may record it.
    web(people["office"]).post(
        f"/callbacks/{task.pk}/record/", {"outcome": "satisfied", "if_dissatisfied": "reopen"}
    )
    assert CallbackTask.objects.get(pk=task.pk).status == CallbackTask.Status.DONE


def test_signoff_code_is_neither_stored_nor_in_the_outbox(people, customers, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    case = open_case(people["agent"], customers["east"])
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    with mock.patch("utilitydesk.cases.services.fieldwork.secrets.randbelow", return_value=424242):
        response = api(people["tech"]).post(
            f"/api/v1/cases/{case.number}/send_signoff_code/", {}, format="json"
        )
    assert response.status_code == 200
    outbox = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8")
    assert case.number in outbox and "424242" not in outbox
    assert not any("424242" in body for body in Message.objects.values_list("body", flat=True))
    assert "424242" not in str(list(case.events.values_list("note", "data")))
    cases.confirm_signoff_code(case.number, "424242", actor=people["tech"])  # it was the code
    assert Case.objects.get(pk=case.pk).signoff == "code"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("y.json", b'{"years": [99999], "days": []}', "99999"),
        ("y.json", b'{"years": [1e999], "days": []}', "JSON"),
        ("y.csv", "date,kind,name\n2027-10-01,holiday,国庆节\n".encode(), "11"),
        ("y.csv", b"\xff\xfe\x00\xd8garbage\x81", "GB18030"),
    ],
)
def test_implausible_calendar_files_are_refused(people, name, content, expected):
    before = CalendarDay.objects.count()
    response = web(people["admin"]).post(
        "/sla/calendar/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"]]
    assert errors and expected in " ".join(errors)
    assert CalendarDay.objects.count() == before


def test_a_gb18030_calendar_file_with_a_whole_year_is_loaded(people):
    days = [
        "2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
        "2027-02-12", "2027-04-05", "2027-05-03", "2027-05-04", "2027-06-09",
        "2027-09-15", "2027-10-01", "2027-10-04", "2027-10-05",
    ]  # fmt: skip
    text = "date,kind,name\n" + "".join(f"{d},休,节日\n" for d in days) + "2027-02-06,班,调休\n"
    response = web(people["admin"]).post(
        "/sla/calendar/", {"file": SimpleUploadedFile("2027.csv", text.encode("gb18030"))}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027, kind="holiday").count() == len(days)
    assert CalendarDay.objects.get(date="2027-02-06").name == "调休"
