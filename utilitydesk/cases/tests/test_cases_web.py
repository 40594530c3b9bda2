"""The case screens and the API: intake, actions, slip PDF, idempotent creation."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Contact, Status
from utilitydesk.knowledge.models import Entry

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_intake_form_creates_a_routed_case(people, customers, client, org):
    client.force_login(people["agent"])
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "李雷" in page and "服务用语" in page
    response = client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "repair",
            "channel": "phone",
            "content": "暖气不热",
            "premises": customers["east"].premises.get().pk,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert case.responsible_unit == org["east"]


def test_intake_warns_about_duplicates_and_links_on_request(people, customers, client):
    client.force_login(people["agent"])
    post = {
        "customer": customers["east"].pk,
        "kind": "repair",
        "channel": "phone",
        "content": "还是不热",
    }
    client.post("/cases/new/", post)
    first = Case.objects.get()
    warned = client.post("/cases/new/", post)
    assert (
        warned.status_code == 200
        and "可能重复" in warned.content.decode()
        and first.number in warned.content.decode()
    )
    client.post("/cases/new/", {**post, "link_case": first.number})
    assert Case.objects.count() == 1 and Contact.objects.filter(case=first).count() == 2
    client.post("/cases/new/", {**post, "allow_duplicate": "on"})
    assert Case.objects.count() == 2


def test_intake_shows_field_errors_for_unknown_callers(people, client):
    client.force_login(people["agent"])
    response = client.post(
        "/cases/new/",
        {
            "kind": "repair",
            "channel": "phone",
            "content": "x",
            "caller_name": "路人",
            "caller_phone": "123",
        },
    )
    assert response.status_code == 200 and "有效的来电人电话" in response.content.decode()


def test_knowledge_search_finds_chinese_text(people, client):
    Entry.objects.create(question="暖气不热怎么办？", answer="先排气。", keywords="不热 排气")
    client.force_login(people["agent"])
    assert "先排气" in client.get("/cases/knowledge/", {"kq": "暖气不热"}).content.decode()
    assert (
        "先排气" in client.get("/cases/knowledge/", {"kq": "家里暖气片不怎么热"}).content.decode()
    )


def test_actions_from_the_case_page_and_clear_errors(people, customers, client):
    case = services.create_contact(
        services.ContactInput(
            channel="phone", kind="repair", content="不热", customer_id=customers["east"].pk
        ),
        actor=people["agent"],
    ).case
    client.force_login(people["tech"])
    client.post(f"/cases/{case.number}/act/accept/", {"expected_version": case.version})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.assignee == people["tech"]
    response = client.post(f"/cases/{case.number}/act/resolve/", {"work_done": "x"}, follow=True)
    assert "请先登记到达现场" in response.content.decode()
    stale = client.post(
        f"/cases/{case.number}/act/book/",
        {
            "expected_version": 0,
            "appointment_at": (timezone.localtime() + timedelta(hours=3)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
        follow=True,
    )
    assert "已被" in stale.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_technician_list_orders_by_appointment(people, customers, client, area):
    from tests.factories import make_customer

    other = make_customer(area["east"], "102", phones=("13700000001",), name="王五")
    numbers = []
    for customer in (customers["east"], other):
        case = services.create_contact(
            services.ContactInput(
                channel="phone", kind="repair", content="不热", customer_id=customer.pk
            ),
            actor=people["agent"],
        ).case
        services.accept(case.number, actor=people["tech"])
        numbers.append(case.number)
    services.book(numbers[0], timezone.now() + timedelta(hours=5), actor=people["tech"])
    services.book(numbers[1], timezone.now() + timedelta(hours=1), actor=people["tech"])
    client.force_login(people["tech"])
    page = client.get("/field/").content.decode()
    assert page.index(numbers[1]) < page.index(numbers[0])


def test_slip_pdf_has_the_chinese_fields(people, customers, client):
    case = services.create_contact(
        services.ContactInput(
            channel="phone", kind="repair", content="暖气片不热", customer_id=customers["east"].pk
        ),
        actor=people["agent"],
    ).case
    services.accept(case.number, actor=people["tech"])
    client.force_login(people["agent"])
    response = client.get(f"/cases/{case.number}/slip.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "服务派单",
        "接访供热所",
        "城东供热所",
        "用户地址",
        "东城区阳光花园1号楼1单元101室",
        "服务内容",
        "暖气片不热",
        "接收人",
        "王小明",
        "回访结果",
        "一式三联",
        case.number,
    ):
        assert expected in text, expected
    assert text.count("服务派单") >= 3  # three copies


def test_api_creates_with_idempotency_key(people, customers):
    client = api(people["agent"])
    body = {
        "channel": "gov_12345",
        "kind": "repair",
        "content": "12345转办：暖气不热",
        "customer_id": customers["east"].pk,
        "received_at": (timezone.now() - timedelta(hours=5)).isoformat(),
    }
    first = client.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="12345-abc")
    again = client.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="12345-abc")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["case"]["number"] == again.json()["case"]["number"]
    assert Case.objects.count() == 1
    changed = client.post(
        "/api/v1/contacts/",
        {**body, "content": "别的"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="12345-abc",
    )
    assert changed.status_code == 400 and "Idempotency-Key" in changed.json()["error"]["fields"]


def test_api_errors_have_field_messages(people, customers):
    client = api(people["agent"])
    future = client.post(
        "/api/v1/contacts/",
        {
            "channel": "letter",
            "kind": "repair",
            "content": "x",
            "customer_id": customers["east"].pk,
            "received_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert future.status_code == 400 and "received_at" in future.json()["error"]["fields"]
    unknown = client.post(
        "/api/v1/contacts/",
        {"channel": "phone", "kind": "repair", "content": "x", "customer_id": 99999},
        format="json",
    )
    assert unknown.status_code == 400 and "customer_id" in unknown.json()["error"]["fields"]
    bad = client.post("/api/v1/contacts/", {"channel": "fax", "kind": "repair"}, format="json")
    assert bad.status_code == 400 and {"channel", "content"} <= set(bad.json()["error"]["fields"])


def test_api_lifecycle_and_conflict(people, customers):
    created = (
        api(people["agent"])
        .post(
            "/api/v1/contacts/",
            {
                "channel": "phone",
                "kind": "repair",
                "content": "不热",
                "customer_id": customers["east"].pk,
            },
            format="json",
        )
        .json()
    )
    number, version = created["case"]["number"], created["case"]["version"]
    tech = api(people["tech"])
    accepted = tech.post(
        f"/api/v1/cases/{number}/accept/", {"expected_version": version}, format="json"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert [e["action"] for e in accepted.json()["timeline"]] == [
        "registered",
        "dispatched",
        "accept",
    ]
    conflict = tech.post(
        f"/api/v1/cases/{number}/arrive/", {"expected_version": version}, format="json"
    )
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    illegal = tech.post(f"/api/v1/cases/{number}/close/", {}, format="json")
    assert illegal.status_code == 403
    wrong_state = api(people["agent"]).post(f"/api/v1/cases/{number}/close/", {}, format="json")
    assert wrong_state.status_code == 400 and "status" in wrong_state.json()["error"]["fields"]
    listed = api(people["agent"]).get("/api/v1/cases/", {"status": "accepted"}).json()
    assert [c["number"] for c in listed["results"]] == [number]
    assert api(people["agent"]).get("/api/v1/cases/", {"status": "nope"}).status_code == 400


def test_api_duplicate_is_a_409_with_the_open_cases(people, customers):
    client = api(people["agent"])
    body = {
        "channel": "phone",
        "kind": "repair",
        "content": "不热",
        "customer_id": customers["east"].pk,
    }
    number = client.post("/api/v1/contacts/", body, format="json").json()["case"]["number"]
    response = client.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 409 and response.json()["error"]["open_cases"] == [number]


def test_technician_api_sees_only_own_station_cases(people, customers, org):
    from tests.factories import staff
    from utilitydesk.org.models import Position

    west_tech = staff("west_tech", Position.TECHNICIAN, org["west"])
    number = services.create_contact(
        services.ContactInput(
            channel="phone", kind="repair", content="不热", customer_id=customers["east"].pk
        ),
        actor=people["agent"],
    ).case.number
    assert api(west_tech).get(f"/api/v1/cases/{number}/").status_code == 404
    assert (
        api(people["tech"]).get(f"/api/v1/cases/{number}/").json()["caller_phone"] == "138****5678"
    )
