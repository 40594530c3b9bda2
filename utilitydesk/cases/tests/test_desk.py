"""Issue 11 at the desk (hotline agents and dispatchers): overdue cases stay visible and
red, merging a call is an explicit choice, routing rules have a page, unknown callers get
the service-area picker, the case list filters and exports, only doable actions offered."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import BuildingFactory, GridFactory, make_customer, open_case, staff
from utilitydesk.audit.models import AccessLog, ChangeRecord
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Contact, RoutingRule, Status
from utilitydesk.cases.sweeper import sweep
from utilitydesk.org.models import Position, UnitKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(org):
    return staff("dispatcher", Position.DISPATCHER, org["centre"])


def transfer_a_day_old(people, customer, kind="repair"):
    """A 12345 transfer entered with a received time a day earlier (issue 11, item 1)."""
    return services.create_contact(
        services.ContactInput(
            channel="gov_12345",
            kind=kind,
            content="12345转办：暖气不热",
            customer_id=customer.pk,
            received_at=timezone.now() - timedelta(days=1, hours=1),
            allow_duplicate=True,
        ),
        actor=people["agent"],
    ).case


# --- 1. overdue cases stay visible and red --------------------------------------------


def test_an_overdue_case_stays_in_the_due_view_and_red_in_every_list(
    people, customers, client, dispatcher
):
    case = transfer_a_day_old(people, customers["east"])
    summary = sweep(timezone.now())
    assert summary["breaches"] >= 1 and case.escalations.exists()
    client.force_login(dispatcher)
    for url in ("/cases/?view=due", "/cases/", "/cases/?view=all&overdue_only=on"):
        page = client.get(url).content.decode()
        assert case.number in page, url
        row = page.split(case.number, 2)[-1].split("</tr>", 1)[0]
        assert "due-over" in row and "超时" in row, url
    head = staff("head_e2", Position.STATION_HEAD, case.responsible_unit)
    client.force_login(head)
    page = client.get("/cases/?view=unit").content.decode()
    assert case.number in page and "due-over" in page.split(case.number, 2)[-1]


def test_a_cancelled_or_closed_case_shows_no_lateness(people, customers, client, dispatcher):
    late = transfer_a_day_old(people, customers["east"])
    sweep(timezone.now())
    services.cancel(late.number, "客户撤诉", actor=people["agent"])
    client.force_login(dispatcher)
    page = client.get("/cases/").content.decode()
    row = page.split(late.number, 2)[-1].split("</tr>", 1)[0]
    assert "超时" not in row and "due-" not in row
    assert late.number not in client.get("/cases/?view=due").content.decode()
    detail = client.get(f"/cases/{late.number}/").content.decode()
    assert "due-over" not in detail


def test_overdue_first_in_the_unit_queue(people, customers):
    from utilitydesk.cases.selectors import unit_queue

    fresh = open_case(people["agent"], customers["east"])
    late = transfer_a_day_old(people, customers["east"])
    sweep(timezone.now())
    queue = list(unit_queue(people["head_east"]))
    assert [c.number for c in queue][:2] == [late.number, fresh.number]
    assert queue[0].next_due < timezone.now() < queue[1].next_due


# --- 3. merging is an explicit choice --------------------------------------------------


def test_duplicate_warning_makes_creating_the_default_and_merging_a_click(
    people, customers, client
):
    client.force_login(people["agent"])
    post = {
        "customer": customers["east"].pk,
        "kind": "repair",
        "channel": "phone",
        "content": "又一处漏水",
    }
    client.post("/cases/new/", post)
    first = Case.objects.get()
    warned = client.post("/cases/new/", post).content.decode()
    form = warned.split('id="intake-form"', 1)[1]
    # The first submit button of the form (what Enter presses) creates a new case.
    first_button = form.split("<button", 1)[1].split(">", 1)[0]
    assert 'name="allow_duplicate"' in first_button and "data-default-submit" in first_button
    assert "link_case" not in first_button
    assert 'type="checkbox" name="allow_duplicate"' not in warned
    # Enter / Ctrl+Enter send the default button: a new case, the call not merged.
    client.post("/cases/new/", {**post, "allow_duplicate": "on"})
    assert Case.objects.count() == 2 and Contact.objects.filter(case=first).count() == 1
    # Without either button (a stray submit) nothing is merged: the warning again.
    again = client.post("/cases/new/", post)
    assert again.status_code == 200 and Case.objects.count() == 2
    client.post("/cases/new/", {**post, "link_case": first.number})
    assert Contact.objects.filter(case=first).count() == 2


# --- 9. routing rules page and the grouped redirect --------------------------------------


def test_dispatcher_edits_routing_rules_and_previews_a_building(
    people, area, org, client, dispatcher
):
    client.force_login(dispatcher)
    page = client.get("/cases/routing/").content.decode()
    assert "派单规则" in page and "报修 → 房屋所属供热所" in page
    preview = client.get(
        "/cases/routing/", {"building": area["west"].pk, "kind": "repair"}
    ).content.decode()
    assert "城西供热所" in preview.split("preview-result", 1)[1]

    response = client.post(
        "/cases/routing/new/",
        {
            "priority": 5,
            "name": "城西报修 → 城东维修班",
            "kind": "repair",
            "station": org["west"].pk,
            "target": "unit",
            "target_unit": org["east_team"].pk,
            "target_function": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="城西报修 → 城东维修班")
    assert ChangeRecord.objects.filter(object_id=str(rule.pk)).exists()
    preview = client.get("/cases/routing/", {"building": area["west"].pk, "kind": "repair"})
    assert "城东维修班" in preview.content.decode().split("preview-result", 1)[1]
    client.post(f"/cases/routing/{rule.pk}/deactivate/")
    rule.refresh_from_db()
    assert not rule.is_active
    preview = client.get("/cases/routing/", {"building": area["west"].pk, "kind": "repair"})
    assert "城西供热所" in preview.content.decode().split("preview-result", 1)[1]
    # Order: the last rule moves up one place.
    last = RoutingRule.objects.order_by("-priority", "-id").first()
    above = RoutingRule.objects.order_by("-priority", "-id")[1]
    client.post(f"/cases/routing/{last.pk}/up/")
    ordered = list(RoutingRule.objects.order_by("priority", "id"))
    assert ordered.index(last) < ordered.index(above)
    # A rule sending to a function needs the function.
    bad = client.post(
        "/cases/routing/new/",
        {"priority": 7, "name": "x", "kind": "", "target": "function", "target_function": ""},
    )
    assert bad.status_code == 200 and "请选择部门职能" in bad.content.decode()


def test_routing_rules_are_not_for_technicians_or_agents(people, client):
    client.force_login(people["tech"])
    assert client.get("/cases/routing/").status_code == 403
    client.force_login(people["agent"])
    assert client.get("/cases/routing/").status_code == 403
    rule = RoutingRule.objects.first()
    assert client.post(f"/cases/routing/{rule.pk}/deactivate/").status_code == 403
    client.force_login(people["office"])
    assert client.get("/cases/routing/new/").status_code == 200


def test_redirect_offers_stations_and_teams_grouped(people, customers, org, client, dispatcher):
    from tests.factories import UnitFactory

    UnitFactory(
        code="E-T9", name="城东旧班组", kind=UnitKind.TEAM, parent=org["east"], is_active=False
    )
    case = open_case(people["agent"], customers["east"])
    client.force_login(dispatcher)
    page = client.get(f"/cases/{case.number}/").content.decode()
    form = page.split('/act/redispatch/"', 1)[1].split("</form>", 1)[0]
    assert "责任单位/班组" in form and ">单元<" not in form
    assert '<optgroup label="城东供热所">' in form and "城东维修班" in form
    assert "城东旧班组" not in form and "热力公司" not in form
    east = form.index('<optgroup label="城东供热所">')
    assert east < form.index("城东维修班") < form.index('<optgroup label="城西供热所">')
    client.post(
        f"/cases/{case.number}/act/redispatch/",
        {"unit": org["east_team"].pk, "note": "直接给班组", "expected_version": case.version},
    )
    case.refresh_from_db()
    assert case.responsible_unit == org["east_team"]


# --- 10. unknown callers: the service-area picker ----------------------------------------


def test_unknown_caller_picks_the_building_and_the_case_goes_to_its_station(
    people, area, org, client
):
    client.force_login(people["agent"])
    building = area["west"]
    district = building.community.district
    picker = client.get("/cases/area/", {"district": district.pk}).content.decode()
    assert building.community.name in picker
    picker = client.get(
        "/cases/area/", {"district": district.pk, "community": building.community_id}
    ).content.decode()
    assert f'value="{building.pk}"' in picker
    response = client.post(
        "/cases/new/",
        {
            "kind": "repair",
            "channel": "phone",
            "content": "楼道暖气管漏水",
            "caller_name": "租户刘",
            "caller_phone": "13911112222",
            "district": district.pk,
            "community": building.community_id,
            "building": building.pk,
            "unit_no": "2",
            "room_no": "302",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.responsible_unit == org["west"] and case.building == building
    assert case.address_text == "东城区阳光花园9号楼2单元302室"
    detail = client.get(f"/cases/{case.number}/").content.decode()
    assert "东城区阳光花园9号楼2单元302室" in detail and "城西供热所" in detail


def test_a_building_served_only_through_its_grid_routes_to_the_grid_station(people, org, client):
    building = BuildingFactory(name="5号楼", substation=None, grid=GridFactory(station=org["east"]))
    client.force_login(people["agent"])
    client.post(
        "/cases/new/",
        {
            "kind": "temperature",
            "channel": "phone",
            "content": "室温只有14度",
            "caller_name": "王",
            "caller_phone": "13911113333",
            "building": building.pk,
            "room_no": "501",
        },
    )
    case = Case.objects.get()
    assert case.responsible_unit == org["east"] and case.address_text.endswith("5号楼501室")


def test_picker_keeps_what_was_typed_and_refuses_a_room_without_a_building(people, client):
    client.force_login(people["agent"])
    response = client.post(
        "/cases/new/",
        {
            "kind": "repair",
            "channel": "phone",
            "content": "不热",
            "caller_name": "路人",
            "caller_phone": "13911114444",
            "unit_no": "3",
            "room_no": "1201",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and Case.objects.count() == 0
    assert "请选择这个房间所在的楼栋" in page and 'value="1201"' in page and 'value="3"' in page


def test_a_customer_calling_about_another_place_picks_it(people, customers, area, org, client):
    client.force_login(people["agent"])
    post = {
        "customer": customers["east"].pk,
        "kind": "repair",
        "channel": "phone",
        "content": "我母亲家暖气漏水",
        "building": area["west"].pk,
        "room_no": "601",
    }
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    on_record = customers["east"].premises.get().pk
    assert f'<option value="{on_record}" selected>' in page
    both = client.post("/cases/new/", {**post, "premises": on_record})
    assert both.status_code == 200 and "另一个地点" in both.content.decode()
    assert Case.objects.count() == 0
    client.post("/cases/new/", {**post, "premises": ""})
    case = Case.objects.get()
    assert case.customer == customers["east"] and case.premises is None
    assert case.building == area["west"] and case.responsible_unit == org["west"]
    assert case.address_text.endswith("9号楼601室")


def test_redispatch_by_the_rules_uses_the_picked_building(people, area, org, dispatcher):
    case = services.create_contact(
        services.ContactInput(
            channel="phone",
            kind="repair",
            content="不热",
            caller_name="路人",
            caller_phone="13911115555",
            building_id=area["east"].pk,
            room_no="8",
        ),
        actor=people["agent"],
    ).case
    services.dispatch(
        case.number, actor=dispatcher, unit_id=org["west"].pk, note="误派", redispatch=True
    )
    services.dispatch(case.number, actor=dispatcher, note="按规则重派", redispatch=True)
    case.refresh_from_db()
    assert case.responsible_unit == org["east"]


# --- 11. filters, the problem column, export --------------------------------------------


@pytest.fixture
def listed(people, customers, area, org):
    """Cases of both stations, kinds, channels, grades and received days."""
    now = timezone.now()
    vip = make_customer(area["west"], "902", phones=("13900002222",), name="贵宾", grade="vip")
    east_repair = open_case(people["agent"], customers["east"], content="东边暖气片不热")
    west_fee = open_case(people["agent"], customers["west"], kind="fee", content="热费怎么算")
    vip_letter = open_case(
        people["agent"],
        vip,
        kind="complaint",
        channel="letter",
        content="来信投诉服务态度",
        received_at=now - timedelta(days=9),
    )
    late = transfer_a_day_old(people, customers["east"])
    sweep(now)
    return {"east_repair": east_repair, "west_fee": west_fee, "vip": vip_letter, "late": late}


def numbers_on(client, **params) -> set[str]:
    page = client.get("/cases/", params).content.decode()
    return {n for n in Case.objects.values_list("number", flat=True) if n in page}


def test_case_list_filters(listed, client, dispatcher, org, people):
    staff("team_tech", Position.TECHNICIAN, org["east_team"])
    east_team_case = listed["late"]
    services.dispatch(
        east_team_case.number,
        actor=dispatcher,
        unit_id=org["east_team"].pk,
        note="给班组",
        redispatch=True,
    )
    client.force_login(dispatcher)
    every = {c.number for c in listed.values()}
    assert numbers_on(client) == every
    # A station includes its teams.
    assert numbers_on(client, unit=org["east"].pk) == {
        listed["east_repair"].number,
        listed["late"].number,
    }
    assert numbers_on(client, unit=org["east_team"].pk) == {listed["late"].number}
    assert numbers_on(client, kind="fee") == {listed["west_fee"].number}
    assert numbers_on(client, channel="letter") == {listed["vip"].number}
    assert numbers_on(client, grade="vip") == {listed["vip"].number}
    assert listed["vip"].number not in numbers_on(client, grade="general")
    # The letter received nine days ago is past its deadlines too.
    assert numbers_on(client, overdue_only="on") == {listed["late"].number, listed["vip"].number}
    assert numbers_on(client, overdue_only="on", kind="repair") == {listed["late"].number}
    today = timezone.localdate()
    assert listed["vip"].number not in numbers_on(client, period="today")
    assert numbers_on(client, period="week") >= {listed["east_repair"].number}
    nine_days_ago = (today - timedelta(days=9)).isoformat()
    assert numbers_on(client, received_from=nine_days_ago, received_to=nine_days_ago) == {
        listed["vip"].number
    }
    # Filters apply inside the other views too.
    assert numbers_on(client, view="due", unit=org["west"].pk) == set()
    bad = client.get("/cases/", {"received_from": "2026-12-01", "received_to": "2026-11-01"})
    assert bad.status_code == 200 and "结束日期早于开始日期" in bad.content.decode()
    page = client.get("/cases/").content.decode()
    assert "问题描述" in page and "来信投诉服务态度" in page


def test_filters_survive_pagination(people, customers, client, dispatcher):
    for i in range(27):
        open_case(people["agent"], customers["east"], content=f"第{i}次")
    fee = open_case(people["agent"], customers["west"], kind="fee")
    client.force_login(dispatcher)
    first = client.get("/cases/", {"kind": "repair"}).content.decode()
    assert "kind=repair&amp;page=2" in first and "共 27 条" in first
    second = client.get("/cases/", {"kind": "repair", "page": 2}).content.decode()
    assert fee.number not in first + second and "第0次" in second


def test_export_of_the_filtered_list(listed, client, dispatcher, people):
    from openpyxl import load_workbook

    client.force_login(dispatcher)
    response = client.get("/cases/export/", {"kind": "repair"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "工单号" and "问题描述" in rows[0]
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {listed["east_repair"].number, listed["late"].number}
    overdue = {r[0]: r[-1] for r in rows[1:]}
    assert overdue[listed["late"].number] == "是" and not overdue[listed["east_repair"].number]
    logged = AccessLog.objects.filter(actor=dispatcher, action=AccessLog.Action.EXPORT)
    assert set(logged.values_list("customer_id", flat=True)) == {listed["east_repair"].customer_id}
    # Not for technicians, nor for agents.
    for person in (people["tech"], people["agent"]):
        client.force_login(person)
        assert client.get("/cases/export/").status_code == 403
        assert "导出" not in client.get("/cases/").content.decode()


def test_export_refuses_a_list_too_long(listed, client, dispatcher, monkeypatch):
    from utilitydesk.cases import export

    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 2)
    client.force_login(dispatcher)
    response = client.get("/cases/export/", follow=True)
    assert "缩小筛选范围" in response.content.decode()


# --- smaller ----------------------------------------------------------------------------


def test_slip_prints_the_emergency_flag(people, customers, client):
    case = open_case(people["agent"], customers["east"], content="主管道爆裂", emergency=True)
    client.force_login(people["agent"])
    pdf = client.get(f"/cases/{case.number}/slip.pdf").content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    assert "紧急" in text.stdout.decode()


def test_agent_is_not_offered_what_only_the_station_may_do(people, customers, client):
    case = open_case(people["agent"], customers["east"])
    client.force_login(people["agent"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    actions = page.split("<h2>办理</h2>", 1)[1].split("</div>", 1)[0]
    assert "接单" not in actions and "退回" not in actions
    client.force_login(people["tech"])
    assert "接单" in client.get(f"/cases/{case.number}/").content.decode()


def test_complaint_category_and_level_set_at_intake(people, customers, client):
    from utilitydesk.complaints.models import Complaint

    client.force_login(people["agent"])
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "投诉类别" in page
    client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "complaint",
            "channel": "phone",
            "content": "维修工态度恶劣，已找媒体",
            "complaint_category": "conduct",
            "complaint_level": "1",
        },
    )
    complaint = Complaint.objects.get()
    assert complaint.category == "conduct" and complaint.level == 1
    case = complaint.case
    assert case.emergency and case.events.filter(action="classify_complaint").exists()


def test_complaint_class_is_not_offered_to_people_who_do_not_classify(customers, org, client):
    clerk = staff("clerk", Position.BILLING_CLERK, org["office"])
    client.force_login(clerk)
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "投诉类别" not in page
    client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "complaint",
            "channel": "phone",
            "content": "投诉",
            "complaint_category": "conduct",
            "complaint_level": "1",
        },
    )
    assert Case.objects.get().complaint.level == 2


def test_statuses_for_deadlines_cover_every_status():
    from utilitydesk.cases.deadline_selectors import case_statuses_with_deadlines

    open_statuses, resolved = case_statuses_with_deadlines()
    assert Status.CANCELLED not in open_statuses and Status.CLOSED not in open_statuses
    assert resolved == Status.RESOLVED


def test_filtered_pages_show_rows_in_the_query_guard(people, area, client):
    """The filtered URLs of tests/test_query_counts.py list the rows they count."""
    from tests.system.test_query_counts import grow

    client.force_login(people["agent"])
    grow(people, area, 0, 3)
    for url in (
        "/cases/?period=week&kind=repair&channel=phone&grade=general",
        "/cases/?view=due&open_only=on&received_from=2026-01-01&overdue_only=",
    ):
        page = client.get(url).content.decode()
        assert sum(number in page for number in Case.objects.values_list("number", flat=True)) == 3
