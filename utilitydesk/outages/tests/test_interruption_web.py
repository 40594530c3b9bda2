"""Interruption pages, the hotline's view of them, the R-807 export and the API."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.factories import make_customer
from utilitydesk.accounts.services import issue_token
from utilitydesk.cases.models import Case
from utilitydesk.outages import interruptions as services
from utilitydesk.outages.models import Interruption, InterruptionLink

from .conftest import burst

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


def live(net, **kw) -> Interruption:
    """An unplanned interruption at the east substation, under way now."""
    now = timezone.now()
    draft = burst(net, now=now, **kw)
    return services.announce(draft.pk, actor=net["dispatcher"], now=now)


# --- the hotline ----------------------------------------------------------------------------


def test_intake_shows_the_interruption_first_and_links_the_call_by_default(
    net, people, customers, client
):
    interruption = live(net)
    client.force_login(people["agent"])
    customer = customers["east"]
    page = client.get(f"/cases/new/?customer={customer.pk}").content.decode()
    assert "您所在楼宇 突发停热 至" in page
    assert f'name="interruption" value="{interruption.pk}" checked' in page
    assert page.index("您所在楼宇") < page.index('name="content"')
    response = client.post(
        "/cases/new/",
        {
            "customer": customer.pk,
            "channel": "phone",
            "kind": "repair",
            "content": "家里暖气不热",
            "premises": customer.premises.get().pk,
            "interruption": interruption.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(customer=customer)
    assert InterruptionLink.objects.get(case=case).interruption == interruption
    assert case.status == "registered" and case.responsible_unit is None  # held, not dispatched
    assert Interruption.objects.get(pk=interruption.pk).linked_calls == 1


def test_intake_for_a_caller_outside_any_interruption_shows_nothing(net, people, customers, client):
    live(net)
    client.force_login(people["agent"])
    page = client.get(f"/cases/new/?customer={customers['west'].pk}").content.decode()
    assert "您所在楼宇" not in page and 'name="interruption"' not in page


def test_the_customer_360_shows_the_interruption_its_history_and_supply(
    net, people, customers, client
):
    interruption = live(net)
    client.force_login(people["agent"])
    page = client.get(f"/customers/{customers['east'].pk}/").content.decode()
    assert "您所在楼宇 突发停热" in page
    assert "停供中（至" in page  # the derived supply status
    assert interruption.number in page and "停供记录" in page
    west = client.get(f"/customers/{customers['west'].pk}/").content.decode()
    assert interruption.number not in west


def test_the_case_page_links_an_existing_case(net, people, customers, client):
    from tests.factories import open_case

    case = open_case(people["agent"], customers["east"])
    interruption = live(net)
    client.force_login(people["agent"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "关联停供事件" in page
    client.post(
        f"/cases/{case.number}/act/link_interruption/", {"interruption_id": interruption.pk}
    )
    assert InterruptionLink.objects.filter(case=case, interruption=interruption).exists()


# --- pages ------------------------------------------------------------------------------------


def test_the_dispatcher_records_previews_and_announces(net, people, client, area):
    client.force_login(net["dispatcher"])
    preview = client.get(
        "/cases/interruptions/preview/", {"substations": net["east_sub"].pk}
    ).content.decode()
    assert "<dd>4</dd>" in preview
    form = client.get("/cases/interruptions/new/").content.decode()
    assert "登记停供事件" in form and "影响范围预览" in form
    now = timezone.localtime()
    response = client.post(
        "/cases/interruptions/new/",
        {
            "planned": "0",
            "utility": "heat",
            "kind": "pipe_burst",
            "title": "爆管",
            "start_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "expected_restoration_at": (now + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
            "unit_building": area["east"].pk,
            "unit_numbers": "2",
        },
    )
    interruption = Interruption.objects.get()
    assert response.status_code == 302 and interruption.units.get().unit_no == "2"
    detail = client.get(f"/cases/interruptions/{interruption.pk}/").content.decode()
    assert "2 户房屋" in detail and "发布并发送通知" in detail
    client.post(
        f"/cases/interruptions/{interruption.pk}/act/announce/",
        {"expected_version": interruption.version},
    )
    interruption.refresh_from_db()
    assert interruption.state == "in_progress" and interruption.notices_queued == 1
    listing = client.get("/cases/interruptions/", {"state": "in_progress"}).content.decode()
    assert interruption.number in listing
    assert (
        interruption.number
        not in client.get("/cases/interruptions/", {"state": "closed"}).content.decode()
    )


def test_a_planned_interruption_too_soon_is_refused_on_the_page_then_overridden(net, client):
    now = timezone.now()
    draft = burst(
        net,
        now=now,
        planned=True,
        kind="maintenance",
        start_at=now + timedelta(hours=5),
        expected_restoration_at=now + timedelta(hours=9),
    )
    client.force_login(net["dispatcher"])
    url = f"/cases/interruptions/{draft.pk}/act/announce/"
    page = client.post(url, follow=True).content.decode()
    assert "计划停供须在通知发出至少 48 小时后开始" in page
    client.post(url, {"override_reason": "设备隐患，须立即处理"})
    assert Interruption.objects.get(pk=draft.pk).state == "announced"
    overrides = client.get("/cases/interruptions/", {"override": "on"}).content.decode()
    assert draft.number in overrides


def test_the_detail_page_lists_special_care_households_and_records_calls(net, people, client):
    interruption = live(net)
    client.force_login(people["agent"])
    page = client.get(f"/cases/interruptions/{interruption.pk}/").content.decode()
    assert "王奶奶" in page and "尚未电话告知" in page
    client.post(
        f"/cases/interruptions/{interruption.pk}/care/",
        {"customer_id": net["extra"][0].pk, "outcome": "reached", "note": "已告知"},
    )
    assert "已联系并告知" in client.get(f"/cases/interruptions/{interruption.pk}/").content.decode()
    # Agents see and phone, but do not run interruptions.
    assert "发布并发送通知" not in page
    assert (
        client.post(
            f"/cases/interruptions/{interruption.pk}/act/restore/", {"note": "x"}
        ).status_code
        == 403
    )


def test_who_sees_and_who_runs_interruptions(net, people, client):
    client.force_login(people["tech"])
    assert client.get("/cases/interruptions/").status_code == 403
    client.force_login(people["agent"])
    assert client.get("/cases/interruptions/").status_code == 200
    assert client.get("/cases/interruptions/new/").status_code == 403
    for who in (net["dispatcher"], people["head_east"], people["office"]):
        assert who.has_perm("outages.manage_interruption"), who
    assert not people["agent"].has_perm("outages.manage_interruption")


def test_the_fee_reduction_list_and_its_export(net, people, client, area):
    tricky = make_customer(area["east"], "301", phones=("13700000009",), name="=HYPERLINK(1)")
    now = timezone.now()
    draft = burst(net, now=now - timedelta(hours=30), start_at=now - timedelta(hours=31))
    services.announce(draft.pk, actor=net["dispatcher"], now=now - timedelta(hours=30))
    services.restore(draft.pk, note="恢复", actor=net["dispatcher"], now=now)
    client.force_login(net["billing"])
    page = client.get("/cases/interruptions/reductions/").content.decode()
    assert draft.number in page and "=HYPERLINK(1)" in page
    response = client.get("/cases/interruptions/reductions/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 5
    names = {r[6] for r in rows[1:]}
    assert "'=HYPERLINK(1)" in names and tricky.name not in names
    assert {r[4] for r in rows[1:]} == {2}
    client.force_login(people["agent"])
    export = client.get("/cases/interruptions/reductions/", {"format": "xlsx"})
    assert export.status_code in (302, 403)


# --- the API ---------------------------------------------------------------------------------


def test_api_records_announces_and_restores(net, people, customers):
    api = api_for(net["dispatcher"])
    now = timezone.now()
    body = {
        "kind": "pipe_burst",
        "title": "爆管",
        "start_at": (now - timedelta(minutes=3)).isoformat(),
        "expected_restoration_at": (now + timedelta(hours=4)).isoformat(),
        "substation_ids": [net["east_sub"].pk],
    }
    created = api.post("/api/v1/interruptions/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["number"].startswith("TD")
    announced = api.post(f"/api/v1/interruptions/{pk}/announce/", {}, format="json")
    assert announced.status_code == 200 and announced.json()["state"] == "in_progress"
    assert announced.json()["notices_queued"] == 4
    premises = customers["east"].premises.get().pk
    found = api.get("/api/v1/interruptions/", {"premises": premises, "active": 1}).json()
    assert [r["id"] for r in found["results"]] == [pk]
    west = customers["west"].premises.get().pk
    assert api.get("/api/v1/interruptions/", {"premises": west, "active": 1}).json()["count"] == 0
    restored = api.post(f"/api/v1/interruptions/{pk}/restore/", {"note": "恢复"}, format="json")
    assert restored.status_code == 200 and restored.json()["state"] == "restored"
    again = api.post(f"/api/v1/interruptions/{pk}/restore/", {"note": "恢复"}, format="json")
    assert again.status_code == 400 and "state" in again.json()["error"]["fields"]
    assert (
        api.get("/api/v1/interruptions/", {"premises": premises, "active": 1}).json()["count"] == 0
    )


def test_api_bad_input_gets_field_messages(net, people):
    api = api_for(net["dispatcher"])
    bad = api.post("/api/v1/interruptions/", {"kind": "flood", "title": ""}, format="json")
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert {"kind", "title", "start_at", "expected_restoration_at"} <= set(fields)
    now = timezone.now()
    no_scope = api.post(
        "/api/v1/interruptions/",
        {
            "kind": "other",
            "title": "x",
            "start_at": now.isoformat(),
            "expected_restoration_at": (now + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert no_scope.status_code == 400 and "scope" in no_scope.json()["error"]["fields"]
    assert api.get("/api/v1/interruptions/", {"premises": "x"}).status_code == 400
    assert api.get("/api/v1/interruptions/", {"active": "maybe"}).status_code == 400
    planned = api.post(
        "/api/v1/interruptions/",
        {
            "kind": "maintenance",
            "planned": True,
            "title": "检修",
            "start_at": (now + timedelta(hours=3)).isoformat(),
            "expected_restoration_at": (now + timedelta(hours=6)).isoformat(),
            "substation_ids": [net["east_sub"].pk],
        },
        format="json",
    )
    refused = api.post(f"/api/v1/interruptions/{planned.json()['id']}/announce/", {}, format="json")
    assert refused.status_code == 400 and "start_at" in refused.json()["error"]["fields"]


def test_api_permissions(net, people):
    agent = api_for(people["agent"])
    assert agent.get("/api/v1/interruptions/").status_code == 200
    now = timezone.now()
    assert agent.post("/api/v1/interruptions/", {"kind": "other"}, format="json").status_code == 403
    draft = burst(net, now=now)
    assert (
        agent.post(f"/api/v1/interruptions/{draft.pk}/announce/", {}, format="json").status_code
        == 403
    )
    assert api_for(people["tech"]).get("/api/v1/interruptions/").status_code == 403
    assert api_for(net["dispatcher"]).get("/api/v1/interruptions/999999/").status_code == 404


def test_the_endpoints_are_in_the_openapi_schema(people, client):
    client.force_login(people["agent"])
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/interruptions/",
        "/api/v1/interruptions/{id}/announce/",
        "/api/v1/interruptions/{id}/restore/",
    ):
        assert path in schema, path
    assert "premises" in schema and "override_reason" in schema
