"""Issue 11, the service desk: periodic callbacks recorded without a case (item 2), valid
complaints charged to the unit held responsible (item 4), the compact callback list
(item 12), complaint forms offered only when allowed and never losing input (item 5),
the complaint register, important complaints, the person held responsible, and the
leaders' access to rates and surveys."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_customer, open_case, staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case
from utilitydesk.kpis import selectors as kpi_selectors
from utilitydesk.org.models import Position
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def any_hour(org):
    """Callbacks are offered only inside the policy's hours; tests run at any time."""
    PolicyVersion.objects.update(callback_hours="00:00-23:59", callback_quiet="")
    sla.reset_caches()


def web(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def resolved_repair(people, customer, **kw) -> Case:
    case = open_case(people["agent"], customer, **kw)
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="修好"), actor=people["tech"])
    return Case.objects.get(pk=case.pk)


def handled_complaint(people, org, customer, content="维修工态度差") -> Case:
    """A complaint case the east station handled (resolved), as the office sends them."""
    case = open_case(people["agent"], customer, kind="complaint", content=content)
    cases.dispatch(
        case.number, actor=people["office"], unit_id=org["east"].pk, note="转城东", redispatch=True
    )
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="已道歉"), actor=people["tech"])
    return Case.objects.get(pk=case.pk)


def account_task(customer, period="2026-11", **kw) -> CallbackTask:
    return CallbackTask.objects.create(
        customer=customer,
        period=period,
        purpose=CallbackTask.Purpose.ACCOUNT,
        due_at=kw.pop("due_at", timezone.now() + timedelta(days=3)),
        **kw,
    )


# --- item 2: periodic callbacks -----------------------------------------------------------


@pytest.mark.parametrize("outcome", ["satisfied", "unreachable", "dissatisfied"])
def test_a_periodic_account_callback_is_recorded_without_a_case(
    people, customers, any_hour, outcome
):
    customers["east"].grade = "vip"
    customers["east"].save()
    task = account_task(customers["east"])
    client = web(people["agent"])
    panel = client.get(f"/callbacks/{task.pk}/").content.decode()
    assert "重新打开工单" not in panel and 'name="if_dissatisfied"' not in panel
    response = client.post(
        f"/callbacks/{task.pk}/record/",
        {"outcome": outcome, "comment": "供热不错" if outcome != "unreachable" else ""},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.attempts == 1 and task.tries.get().outcome == outcome
    assert str(customers["east"].name) in client.get(response["Location"]).content.decode()


# --- item 4: the valid-complaint rate -----------------------------------------------------


def _ruled_complaint(people, org, customers, against):
    from utilitydesk.complaints import services as complaints
    from utilitydesk.complaints.models import Complaint

    case = handled_complaint(people, org, customers["east"])
    complaint = Complaint.objects.get(case=case)
    complaints.determine(
        complaint.pk,
        actor=people["office"],
        responsibility="mistake",
        valid=True,
        responsible_unit=against,
        corrective_actions="批评教育",
    )
    return case


def test_a_valid_complaint_counts_against_the_unit_held_responsible(people, org, customers):
    case = _ruled_complaint(people, org, customers, against=org["east_team"])
    # The complaint case itself is handled by the service centre.
    Case.objects.filter(pk=case.pk).update(responsible_unit=org["centre"])
    start = timezone.now() - timedelta(days=1)
    end = timezone.now() + timedelta(days=1)
    east = kpi_selectors.rates(org["east"], start, end)
    centre = kpi_selectors.rates(org["centre"], start, end)
    assert east.valid_complaints == 1 and centre.valid_complaints == 0
    assert centre.valid_complaint_rate == 0
    table = dict(kpi_selectors.rates_by_unit(start, end))
    for unit, figures in table.items():
        assert figures == kpi_selectors.rates(unit, start, end), unit
    assert table[org["east"]].valid_complaints == 1
    assert table[org["company"]].valid_complaints == 1


def test_the_rates_page_charges_the_station(people, org, customers):
    case = _ruled_complaint(people, org, customers, against=org["east_team"])
    Case.objects.filter(pk=case.pk).update(responsible_unit=org["centre"])
    html = web(people["office"]).get(f"/kpis/rates/?unit={org['east'].pk}").content.decode()
    valid_row = html.split("有效投诉率", 1)[1].split("</tr>", 1)[0]
    assert "1 / " in valid_row


def test_the_old_rates_address_leads_to_the_kpis_page(people, org):
    query = f"unit={org['east'].pk}&from=2026-11-01&to=2026-11-30"
    old = web(people["office"]).get(f"/callbacks/rates/?{query}")
    assert old.status_code == 301 and old["Location"] == f"/kpis/rates/?{query}"
    assert web(people["tech"]).get("/callbacks/rates/", follow=True).status_code == 403


# --- item 12: the callback list -----------------------------------------------------------


@pytest.fixture
def mixed_queue(people, customers, org, area, any_hour):
    """A case callback, a VIP and a long-term account callback, and a spot check of a case
    entered for a known customer without a caller number."""
    from datetime import date

    repair = resolved_repair(people, customers["east"])
    vip = make_customer(area["east"], "102", phones=("13700000001",), name="王VIP", grade="vip")
    long_term = make_customer(
        area["west"],
        "902",
        phones=("13700000002",),
        name="长协单位",
        long_term_since=date(2020, 1, 1),
    )
    account_task(vip, due_at=timezone.now() - timedelta(hours=3))
    account_task(long_term, period="2026-Q4", due_at=timezone.now() + timedelta(days=20))
    spot_case = resolved_repair(people, customers["east"])
    Case.objects.filter(pk=spot_case.pk).update(caller_phone="")
    CallbackTask.objects.create(
        case=spot_case,
        purpose=CallbackTask.Purpose.SPOT_CHECK,
        caller=people["office"],
        due_at=timezone.now() + timedelta(days=10),
    )
    return {"repair": repair, "vip": vip, "long_term": long_term, "spot_case": spot_case}


def test_the_list_is_one_compact_row_per_callback_with_no_forms(people, mixed_queue):
    html = web(people["office"]).get("/callbacks/").content.decode()
    assert html.count('class="callback-row"') == 5
    assert "<textarea" not in html and 'name="outcome"' not in html
    for label in ("工单回访", "VIP客户", "长期客户", "抽查"):
        assert label in html
    spot_row = html.split(f'data-task="{_spot(mixed_queue).pk}"', 1)[1].split("</tr>", 1)[0]
    assert "13812345678" in spot_row  # the customer's number when the case has none


def _spot(mixed_queue):
    return CallbackTask.objects.get(case=mixed_queue["spot_case"], purpose="spot_check")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=vip", {"王VIP"}),
        ("type=long_term", {"长协单位"}),
        ("type=spot_check", {"spot"}),
        ("due=overdue", {"王VIP"}),
        ("unit=WEST", {"长协单位"}),
        ("agent=unassigned", {"王VIP", "长协单位"}),
    ],
)
def test_filters(people, mixed_queue, org, query, expected):
    query = query.replace("WEST", str(org["west"].pk))
    html = web(people["office"]).get(f"/callbacks/?{query}").content.decode()
    names = set()
    for row in html.split('class="callback-row"')[1:]:
        row = row.split("</tr>", 1)[0]
        if "王VIP" in row:
            names.add("王VIP")
        elif "长协单位" in row:
            names.add("长协单位")
        elif mixed_queue["spot_case"].number in row:
            names.add("spot")
        else:
            names.add("other")
    assert names == expected


def test_agents_see_their_own_and_unassigned_supervisors_everyones(people, mixed_queue, org):
    other = staff("agent2", Position.AGENT, org["centre"])
    CallbackTask.objects.filter(case=mixed_queue["repair"]).update(caller=other)
    agent_html = web(people["agent"]).get("/callbacks/").content.decode()
    # Their own callback after the second repair and the two unassigned account callbacks.
    assert agent_html.count('class="callback-row"') == 3
    assert f'data-task="{_spot(mixed_queue).pk}"' not in agent_html
    assert mixed_queue["repair"].number not in agent_html
    office = web(people["office"]).get(f"/callbacks/?agent={other.pk}").content.decode()
    assert office.count('class="callback-row"') == 1
    assert mixed_queue["repair"].number in office
    # An agent cannot open someone else's callback.
    task = CallbackTask.objects.get(case=mixed_queue["repair"], purpose="first")
    assert web(people["agent"]).get(f"/callbacks/{task.pk}/").status_code == 403


def test_sorting_by_tries_and_bad_filters_are_ignored(people, mixed_queue):
    task = CallbackTask.objects.get(case=mixed_queue["repair"], purpose="first")
    CallbackTask.objects.filter(pk=task.pk).update(attempts=2)
    client = web(people["office"])
    html = client.get("/callbacks/?sort=-tries").content.decode()
    first = html.split('class="callback-row"', 2)[1]
    assert mixed_queue["repair"].number in first
    assert client.get("/callbacks/?sort=nonsense&type=%00&unit=abc&due=x").status_code in (200, 400)


def test_the_list_and_a_callback_are_logged(people, mixed_queue):
    client = web(people["office"])
    client.get("/callbacks/")
    logged = set(
        AccessLog.objects.filter(actor=people["office"], action="list").values_list(
            "customer_id", flat=True
        )
    )
    assert {mixed_queue["vip"].pk, mixed_queue["long_term"].pk} <= logged
    task = _spot(mixed_queue)
    client.get(f"/callbacks/{task.pk}/", HTTP_HX_REQUEST="true")
    assert AccessLog.objects.filter(
        actor=people["office"], action="view", detail__callback=task.pk
    ).exists()


def test_the_row_opens_one_form_and_reopen_is_offered_only_for_a_case(people, mixed_queue):
    client = web(people["office"])
    case_task = CallbackTask.objects.get(case=mixed_queue["repair"], purpose="first")
    panel = client.get(f"/callbacks/{case_task.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel and panel.count("<form") == 1
    assert "重新打开工单" in panel
    spot = client.get(f"/callbacks/{_spot(mixed_queue).pk}/", HTTP_HX_REQUEST="true")
    assert "重新打开工单" not in spot.content.decode()
    assert "13812345678" in spot.content.decode()
    vip = CallbackTask.objects.get(customer=mixed_queue["vip"])
    page = client.get(f"/callbacks/{vip.pk}/").content.decode()
    assert "<html" in page and "重新打开工单" not in page and "13700000001" in page


def test_an_invalid_outcome_keeps_what_was_typed(people, mixed_queue):
    client = web(people["office"])
    task = CallbackTask.objects.get(case=mixed_queue["repair"], purpose="first")
    response = client.post(
        f"/callbacks/{task.pk}/record/",
        {"outcome": "dissatisfied", "comment": "", "if_dissatisfied": "complaint"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "不满意的原因" in html
    assert 'value="dissatisfied" required checked' in html
    assert '<option value="complaint" selected>' in html
    response = client.post(
        f"/callbacks/{task.pk}/record/", {"outcome": "nonsense", "comment": "客户说还行"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "客户说还行" in html and "<html" in html
    task.refresh_from_db()
    assert task.attempts == 0


def test_recording_from_the_panel_returns_to_the_filtered_list(people, mixed_queue):
    client = web(people["office"])
    vip = CallbackTask.objects.get(customer=mixed_queue["vip"])
    response = client.post(
        f"/callbacks/{vip.pk}/record/",
        {"outcome": "satisfied", "comment": "", "next": "/callbacks/?type=vip"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == "/callbacks/?type=vip"
    vip.refresh_from_db()
    assert vip.status == "done"


def test_no_callbacks_offered_outside_the_calling_hours(people, mixed_queue):
    PolicyVersion.objects.update(callback_hours="00:00-00:01", callback_quiet="")
    sla.reset_caches()
    client = web(people["office"])
    html = client.get("/callbacks/").content.decode()
    assert 'class="callback-row"' not in html and "现在不宜打扰客户" in html
    vip = CallbackTask.objects.get(customer=mixed_queue["vip"])
    panel = client.get(f"/callbacks/{vip.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<form" not in panel and "现在不宜打扰客户" in panel


def test_the_list_has_a_constant_number_of_queries(
    people, mixed_queue, area, django_assert_max_num_queries
):
    client = web(people["office"])
    client.get("/callbacks/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/callbacks/")
    for n in range(6):
        customer = make_customer(area["east"], f"2{n:02d}", phones=(f"1370000100{n}",), grade="vip")
        account_task(customer)
    with CaptureQueriesContext(connection) as many:
        client.get("/callbacks/")
    assert len(many) == len(few)


# --- item 5: the complaint forms ------------------------------------------------------------


@pytest.fixture
def leaders(org):
    return {
        "deputy": staff("deputy", Position.DEPUTY_GM, org["company"]),
        "sc_head": staff("sc_head", Position.DEPARTMENT_HEAD, org["centre"]),
    }


def _complaint_of(case):
    from utilitydesk.complaints.models import Complaint

    return Complaint.objects.select_related("case").get(case=case)


def _section(html: str) -> str:
    return html.split('id="complaint"', 1)[1].split("</section>", 1)[0]


def test_responsibility_is_offered_only_once_the_complaint_is_handled(people, org, customers):
    case = open_case(people["agent"], customers["east"], kind="complaint", content="收费不合理")
    complaint = _complaint_of(case)
    office = web(people["office"])
    before = _section(office.get(f"/cases/{case.number}/").content.decode())
    assert "/determine/" not in before and "尚未判定责任" in before
    assert "/classify/" in before  # classifying is allowed at any time
    # Posting anyway is explained, not a server error, and changes nothing.
    response = office.post(
        f"/complaints/{complaint.pk}/determine/",
        {"responsibility": "mistake", "corrective_actions": "核对账单"},
    )
    assert response.status_code == 200 and "投诉处理完毕后判定" in response.content.decode()
    assert _complaint_of(case).determined_at is None


def test_a_ruling_with_an_error_comes_back_with_what_was_typed(people, org, customers):
    case = handled_complaint(people, org, customers["east"])
    complaint = _complaint_of(case)
    office = web(people["office"])
    page = _section(office.get(f"/cases/{case.number}/").content.decode())
    assert "认定责任" in page and 'name="responsible_staff"' in page
    response = office.post(
        f"/complaints/{complaint.pk}/determine/",
        {
            "responsibility": "negligence",
            "valid": "on",
            "responsible_unit": str(org["east"].pk),
            "responsible_staff": str(people["agent"].pk),  # not of the east station
            "corrective_actions": "对维修工批评教育并扣分",
            "next": f"/cases/{case.number}/",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "对维修工批评教育并扣分" in html and "责任人须是责任单位的人员" in html
    assert f'<option value="{org["east"].pk}" selected>' in html
    assert f'value="/cases/{case.number}/"' in html  # saving again returns to the case
    assert _complaint_of(case).determined_at is None
    response = office.post(
        f"/complaints/{complaint.pk}/determine/",
        {
            "responsibility": "negligence",
            "valid": "on",
            "responsible_unit": str(org["east_team"].pk),
            "responsible_staff": str(people["tech"].pk),
            "corrective_actions": "对维修工批评教育并扣分",
            "next": f"/cases/{case.number}/",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    complaint = _complaint_of(case)
    assert complaint.responsible_staff == people["tech"] and complaint.counts


def test_the_staff_picker_lists_the_units_people_only(people, org):
    html = (
        web(people["office"])
        .get("/complaints/staff/", {"responsible_unit": org["east"].pk})
        .content.decode()
    )
    assert "tech" in html and "head_east" in html and "agent" not in html
    assert web(people["agent"]).get("/complaints/staff/").status_code == 403


@pytest.fixture
def ruled(people, org, customers):
    from utilitydesk.complaints import services as complaints

    case = handled_complaint(people, org, customers["east"])
    complaints.determine(
        _complaint_of(case).pk,
        actor=people["office"],
        responsibility="mistake",
        valid=True,
        responsible_unit=org["east"],
        corrective_actions="加强培训",
    )
    return _complaint_of(case)


def test_appeal_and_ruling_forms_appear_only_for_who_may_use_them(people, ruled, leaders):
    from utilitydesk.complaints import services as complaints

    head = web(people["head_east"])
    page = head.get(f"/complaints/{ruled.pk}/").content.decode()
    assert "提交申诉" in page and "裁定申诉" not in page
    assert "提交申诉" not in web(people["agent"]).get(f"/complaints/{ruled.pk}/").content.decode()
    # Out of the appeal period: no form, and a late post is explained.
    from utilitydesk.complaints.models import Complaint

    Complaint.objects.filter(pk=ruled.pk).update(determined_at=timezone.now() - timedelta(days=8))
    page = head.get(f"/complaints/{ruled.pk}/").content.decode()
    assert "提交申诉" not in page
    late = head.post(f"/complaints/{ruled.pk}/appeal/", {"reason": "晚了"})
    assert late.status_code == 200 and "申诉期" in late.content.decode()
    Complaint.objects.filter(pk=ruled.pk).update(determined_at=timezone.now())
    appeal = complaints.submit_appeal(ruled.pk, "客户家中阀门问题", actor=people["head_east"])
    # The submitter never rules; someone holding the right does, once.
    assert "裁定申诉" not in head.get(f"/complaints/{ruled.pk}/").content.decode()
    deputy = web(leaders["deputy"])
    page = deputy.get(f"/complaints/{ruled.pk}/").content.decode()
    assert "裁定申诉" in page and "认定责任" not in page
    response = deputy.post(
        f"/complaints/{ruled.pk}/rule/",
        {"appeal": str(appeal.pk), "upheld": "maybe", "ruling": "经核实属客户自身原因"},
    )
    assert response.status_code == 200 and "经核实属客户自身原因" in response.content.decode()
    response = deputy.post(
        f"/complaints/{ruled.pk}/rule/",
        {"appeal": str(appeal.pk), "upheld": "1", "ruling": "经核实属客户自身原因"},
    )
    assert response.status_code == 302
    assert not _complaint_of(ruled.case).counts
    assert "裁定申诉" not in deputy.get(f"/complaints/{ruled.pk}/").content.decode()


# --- important complaints ----------------------------------------------------------


def test_the_service_office_marks_a_complaint_important_with_history(people, ruled):
    from django.core.exceptions import ValidationError

    from utilitydesk.complaints import services as complaints

    office = web(people["office"])
    assert "标记为重要投诉" in office.get(f"/cases/{ruled.case.number}/").content.decode()
    assert (
        "标记为重要投诉"
        not in web(people["agent"]).get(f"/cases/{ruled.case.number}/").content.decode()
    )
    assert (
        web(people["agent"])
        .post(f"/complaints/{ruled.pk}/important/", {"important": "1"})
        .status_code
        == 403
    )
    response = office.post(f"/complaints/{ruled.pk}/important/", {"important": "1"})
    assert response.status_code == 302
    assert _complaint_of(ruled.case).important
    page = office.get(f"/complaints/{ruled.pk}/").content.decode()
    assert "取消重要标记" in page and "标记为重要" in page  # the button and the history
    with pytest.raises(ValidationError):
        complaints.delete_complaint(
            ruled.pk, actor=people["admin"], now=timezone.now() + timedelta(days=400)
        )
    from utilitydesk.audit.models import ChangeRecord

    record = ChangeRecord.objects.get(field="important", object_id=ruled.pk)
    assert record.actor == people["office"] and record.new_value == "1"


# --- the complaint register -----------------------------------------------------------------


def test_the_register_filters_paginates_and_exports_with_logging(people, org, customers, ruled):
    from openpyxl import load_workbook

    from utilitydesk.complaints.models import Complaint

    other = open_case(people["agent"], customers["west"], kind="complaint", content="热费多收")
    Complaint.objects.filter(case=other).update(category="fee")
    office = web(people["office"])
    html = office.get("/complaints/").content.decode()
    assert ruled.case.number in html and other.number in html
    html = office.get("/complaints/", {"unit": org["east"].pk, "valid": "yes"}).content.decode()
    assert ruled.case.number in html and other.number not in html
    html = office.get("/complaints/", {"category": "fee"}).content.decode()
    assert other.number in html and ruled.case.number not in html
    html = office.get("/complaints/", {"start": "1999-01-01", "level": "x"}).content.decode()
    assert "2000" in html  # the date error is shown, the page still answers
    assert AccessLog.objects.filter(
        actor=people["office"], action="list", customer=customers["west"]
    ).exists()
    response = office.get("/complaints/", {"category": "fee", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and rows[1][1] == other.number
    assert AccessLog.objects.filter(
        actor=people["office"], action="export", customer=customers["west"]
    ).exists()
    assert "导出" not in web(people["agent"]).get("/complaints/").content.decode()
    assert web(people["agent"]).get("/complaints/?export=xlsx").status_code == 403
    assert web(people["tech"]).get("/complaints/").status_code == 403


# --- leaders: rates, surveys, menu ------------------------------------------------------------


def test_leaders_read_rates_and_surveys(people, org, leaders, customers):
    from utilitydesk.surveys.models import Survey

    survey = Survey.objects.create(
        title="冬季满意度调查", sample_size=3, seed="s", created_by=people["office"]
    )
    for user in (people["gm"], leaders["deputy"], leaders["sc_head"]):
        client = web(user)
        home = client.get("/").content.decode()
        assert "满意度调查" in home and "服务指标" in home and "投诉台账" in home
        assert client.get("/kpis/rates/").status_code == 200
        listing = client.get("/surveys/").content.decode()
        assert "冬季满意度调查" in listing
        if user != leaders["sc_head"]:  # the service centre's head also draws samples
            assert 'name="sample_size"' not in listing
        report = client.get(f"/surveys/{survey.pk}/").content.decode()
        assert "调查汇总" in report and "导入报告" not in report
        if user != leaders["sc_head"]:
            assert client.post("/surveys/", {"title": "x", "sample_size": "2"}).status_code == 403
    head = web(people["head_east"])
    rates = head.get("/kpis/rates/").content.decode()
    assert org["east"].name in rates and org["west"].name not in rates
    assert org["company"].name not in rates.split("<main", 1)[1]
    assert head.get(f"/kpis/rates/?unit={org['west'].pk}").status_code == 200
    assert org["west"].name not in head.get(f"/kpis/rates/?unit={org['west'].pk}").content.decode()
    assert web(people["tech"]).get("/kpis/rates/").status_code == 403


def test_the_spot_check_page_shows_numbers_and_chinese_results(people, org, customers, any_hour):
    from utilitydesk.callbacks import services as callbacks

    case = resolved_repair(people, customers["east"])
    Case.objects.filter(pk=case.pk).update(caller_phone="")
    first = CallbackTask.objects.get(case=case, purpose="first")
    callbacks.record_outcome(first.pk, "satisfied", actor=people["agent"])
    today = timezone.localdate()
    check = callbacks.create_spot_check(
        org["east"], today.year, (today.month - 1) // 3 + 1, actor=people["office"]
    )
    client = web(people["office"])
    html = client.get(f"/callbacks/spot-checks/{check.pk}/").content.decode()
    assert "13812345678" in html and ">满意<" in html and ">satisfied<" not in html
    assert "重新打开工单" not in html  # a spot check has no reopen / complaint choice
    assert AccessLog.objects.filter(
        actor=people["office"], detail__spot_check=check.pk, customer=customers["east"]
    ).exists()
