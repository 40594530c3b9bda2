"""Issue 11, items 7 and 14 and the smaller premises and knowledge items, through the
pages people use: the customer 360 view's contact history and nearest deadline, major
faults with their affected area on the fault form, on intake and on the 360 view, the
premises page, and the heating FAQ and standard phrases."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import BuildingFactory, SubstationFactory, make_customer, open_case, staff
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.callbacks import services as callbacks
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Contact
from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import send_sms
from utilitydesk.org.models import Position
from utilitydesk.outages.models import MajorFault

pytestmark = pytest.mark.django_db


def history_of(page: str) -> str:
    """The contact history section of a 360 page."""
    match = re.search(r'<section class="card" id="contact-history">(.*?)</section>', page, re.S)
    assert match, "no contact history on the page"
    return match.group(1)


def answer_on_spot(agent, customer, content, now, **kw):
    return services.create_contact(
        services.ContactInput(
            channel="phone",
            kind=kw.pop("kind", "consultation"),
            content=content,
            customer_id=customer.pk if customer else None,
            answer=kw.pop("answer", "采暖期为每年11月15日至次年3月20日。"),
            **kw,
        ),
        actor=agent,
        now=now,
    )


# --- 7. every contact in one timeline -----------------------------------------------------


def test_the_360_view_shows_every_contact_newest_first(people, customers, client):
    agent, customer = people["agent"], customers["east"]
    start = timezone.now() - timedelta(hours=5)
    answer_on_spot(agent, customer, "问什么时候开始供暖", start)
    case = open_case(agent, customer, content="卧室暖气不热", now=start + timedelta(hours=1))
    services.create_contact(
        services.ContactInput(
            channel="phone",
            kind="repair",
            content="再次来电催促上门",
            customer_id=customer.pk,
            link_to_case=case.number,
        ),
        actor=agent,
        now=start + timedelta(hours=2),
    )
    # An unrecognised caller on one of the customer's numbers is the same customer.
    answer_on_spot(
        agent,
        None,
        "问热费单价",
        start + timedelta(hours=3),
        caller_name="李先生",
        caller_phone="13812345678",
        kind="fee",
        answer="按供热面积计费。",
    )
    task = CallbackTask.objects.create(
        customer=customer, purpose=CallbackTask.Purpose.ACCOUNT, due_at=start, period="2026-11"
    )
    callbacks.record_outcome(
        task.pk, "satisfied", "对服务满意", actor=people["office"], now=start + timedelta(hours=4)
    )
    message = send_sms("13812345678", "您的报修已受理。", reference=f"case:{case.number}")
    Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(hours=4, minutes=30))

    client.force_login(agent)
    history = history_of(client.get(f"/customers/{customer.pk}/").content.decode())
    order = [
        "您的报修已受理",  # text message, newest
        "对服务满意",  # the regular account callback
        "问热费单价",  # the unrecognised caller on the customer's number
        "再次来电催促上门",  # the call added to the open case
        "卧室暖气不热",  # the call that opened the case
        "问什么时候开始供暖",  # answered on the spot, oldest
    ]
    positions = [history.find(text) for text in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    for label in ("当场答复", "并入工单", "新建工单", "发送短信", "定期客户回访"):
        assert label in history, label
    assert history.count(case.number) >= 3


def test_the_contact_history_pages(people, customers, client):
    agent, customer = people["agent"], customers["east"]
    start = timezone.now() - timedelta(minutes=50)
    for i in range(25):
        answer_on_spot(agent, customer, f"咨询第{i:02d}次", start + timedelta(minutes=i))
    client.force_login(agent)
    first = history_of(client.get(f"/customers/{customer.pk}/").content.decode())
    assert "咨询第24次" in first and "咨询第05次" in first and "咨询第04次" not in first
    assert "history_page=2" in first
    second = history_of(client.get(f"/customers/{customer.pk}/?history_page=2").content.decode())
    assert "咨询第04次" in second and "咨询第00次" in second and "咨询第05次" not in second
    # A page number out of range or not a number is an empty page or the first, never a 500.
    assert client.get(f"/customers/{customer.pk}/?history_page=x").status_code == 200
    assert client.get(f"/customers/{customer.pk}/?history_page=99999").status_code == 200


def test_the_history_masks_numbers_and_keeps_other_stations_cases_out(
    people, customers, client, org
):
    tech, customer = people["tech"], customers["east"]
    answer_on_spot(people["agent"], customer, "请回电13912345678", timezone.now())
    client.force_login(tech)
    history = history_of(client.get(f"/customers/{customer.pk}/").content.decode())
    assert "请回电" in history and "13912345678" not in history


def test_the_cases_panel_shows_the_nearest_deadline_of_open_cases(people, customers, client):
    case = open_case(people["agent"], customers["east"])
    client.force_login(people["agent"])
    page = client.get(f"/customers/{customers['east'].pk}/").content.decode()
    panel = page[page.index('id="panel-cases"') :]
    row = panel[panel.index(case.number) : panel.index("</tr>", panel.index(case.number))]
    assert 'class="due due-' in row and ("剩余" in row or "超时" in row)


# --- 14. major faults ----------------------------------------------------------------------


@pytest.fixture
def fault_area(area, org):
    """A second building on the east substation and one on its own east substation."""
    same_substation = BuildingFactory(name="2号楼", substation=area["east"].substation)
    elsewhere = BuildingFactory(
        name="5号楼", substation=SubstationFactory(code="H-E2", station=org["east"])
    )
    return {"same_substation": same_substation, "elsewhere": elsewhere}


def report_on_the_form(client, org, **area):
    return client.post(
        "/cases/faults/",
        {
            "title": "城东主管网爆管",
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "建设路与人民路口",
            "symptoms": "主管网漏水，压力下降",
            "response_plan": "关阀抢修，预计今晚22:00恢复供热",
            "units": [org["east"].pk],
            **area,
        },
    )


def test_a_fault_names_its_area_and_the_hotline_sees_it(
    people, customers, client, org, area, fault_area
):
    client.force_login(people["office"])
    # No area: the form says so and keeps what was typed.
    refused = report_on_the_form(client, org).content.decode()
    assert "受影响的换热站或楼栋" in refused and "城东主管网爆管" in refused
    assert not MajorFault.objects.exists()
    response = report_on_the_form(client, org, substations=[area["east"].substation.pk])
    assert response.status_code == 302
    fault = MajorFault.objects.get()
    assert list(fault.substations.all()) == [area["east"].substation]

    # The agent has the menu entry and the fault list.
    client.force_login(people["agent"])
    home = client.get("/").content.decode()
    assert 'href="/cases/faults/"' in home and "重大故障" in home
    listing = client.get("/cases/faults/").content.decode()
    assert "城东主管网爆管" in listing and area["east"].substation.name in listing

    # The 360 view of a customer served by the substation: a banner and the supply status.
    east = client.get(f"/customers/{customers['east'].pk}/").content.decode()
    assert 'id="panel-major_faults"' in east and "城东主管网爆管" in east
    assert "受故障影响" in east and "关阀抢修" in east
    # A building served by another substation is not affected.
    other = make_customer(fault_area["elsewhere"], "501", phones=("13700000001",))
    page = client.get(f"/customers/{other.pk}/").content.decode()
    assert "受故障影响" not in page and 'id="panel-major_faults"' not in page


def test_a_fault_on_single_buildings(people, customers, client, org, area, fault_area):
    client.force_login(people["head_east"])
    report_on_the_form(client, org, buildings=[fault_area["same_substation"].pk])
    fault = MajorFault.objects.get()
    assert list(fault.buildings.all()) == [fault_area["same_substation"]]
    neighbour = make_customer(fault_area["same_substation"], "201", phones=("13700000002",))
    client.force_login(people["agent"])
    assert "受故障影响" in client.get(f"/customers/{neighbour.pk}/").content.decode()
    assert "受故障影响" not in client.get(f"/customers/{customers['east'].pk}/").content.decode()
    # A station head names only buildings of their own station.
    client.force_login(people["head_east"])
    refused = report_on_the_form(client, org, buildings=[area["west"].pk]).content.decode()
    assert MajorFault.objects.count() == 1 and "error" in refused


def test_the_area_is_changed_on_the_fault_page(people, customers, client, org, area, fault_area):
    client.force_login(people["head_east"])
    report_on_the_form(client, org, buildings=[fault_area["same_substation"].pk])
    fault = MajorFault.objects.get()
    response = client.post(
        f"/cases/faults/{fault.pk}/",
        {"change_area": "1", "substations": [area["east"].substation.pk]},
    )
    assert response.status_code == 302
    assert list(fault.substations.all()) == [area["east"].substation]
    assert not fault.buildings.exists()
    # The agent sees the fault but may not change it.
    client.force_login(people["agent"])
    assert client.get(f"/cases/faults/{fault.pk}/").status_code == 200
    denied = client.post(f"/cases/faults/{fault.pk}/", {"change_area": "1", "buildings": []})
    assert denied.status_code == 403


def test_intake_shows_the_fault_and_links_the_call(people, customers, client, org, area):
    client.force_login(people["office"])
    report_on_the_form(client, org, substations=[area["east"].substation.pk])
    fault = MajorFault.objects.get()
    client.force_login(people["agent"])
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "来电用户所在楼栋受重大故障影响" in page and "城东主管网爆管" in page
    assert f'name="major_fault" value="{fault.pk}"' in page
    # Another customer's intake lists it among the open faults, not as their building's.
    other = client.get(f"/cases/new/?customer={customers['west'].pk}").content.decode()
    assert "来电用户所在楼栋受重大故障影响" not in other and "城东主管网爆管" in other

    # From the 360 banner: the fault is chosen already.
    chosen = client.get(
        f"/cases/new/?customer={customers['east'].pk}&fault={fault.pk}"
    ).content.decode()
    assert f'value="{fault.pk}" checked' in chosen

    client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "consultation",
            "channel": "phone",
            "content": "问什么时候恢复供热",
            "answer": "正在抢修，预计今晚22:00恢复供热。",
            "major_fault": fault.pk,
        },
    )
    contact = Contact.objects.get()
    assert contact.closed_on_spot and contact.major_fault == fault
    client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "repair",
            "channel": "phone",
            "content": "家里暖气全凉了",
            "premises": customers["east"].premises.get().pk,
            "major_fault": fault.pk,
            "allow_duplicate": "on",
        },
    )
    case = Case.objects.get()
    assert case.major_fault == fault
    detail = client.get(f"/cases/faults/{fault.pk}/").content.decode()
    assert case.number in detail
    history = history_of(client.get(f"/customers/{customers['east'].pk}/").content.decode())
    assert "城东主管网爆管" in history


def test_intake_refuses_an_unknown_fault_and_keeps_the_input(people, customers, client):
    client.force_login(people["agent"])
    page = client.post(
        "/cases/new/",
        {
            "customer": customers["east"].pk,
            "kind": "consultation",
            "channel": "phone",
            "content": "问停热原因",
            "answer": "正在抢修。",
            "major_fault": "999999",
        },
    ).content.decode()
    assert "问停热原因" in page and "重大故障不存在" in page
    assert not Contact.objects.exists()


# --- update_premises on a page --------------------------------------------------------------


def test_premises_page_suspends_heating_and_records_the_change(people, customers, client):
    customer = customers["east"]
    premises = customer.premises.get()
    client.force_login(people["agent"])
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    url = f"/customers/{customer.pk}/premises/{premises.pk}/"
    assert url in detail
    response = client.post(
        url,
        {"status": SupplyStatus.SUSPENDED, "heated_area": "90.25", "meter_no": ""},
    )
    assert response.status_code == 302
    premises.refresh_from_db()
    assert premises.status == SupplyStatus.SUSPENDED and str(premises.heated_area) == "90.25"
    fields = set(ChangeRecord.objects.filter(object_id=premises.pk).values_list("field", flat=True))
    assert {"status", "heated_area"} <= fields
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "停热" in page and "90.25" in page

    # Resuming heat with a meter: billed by meter from now on.
    client.post(url, {"status": SupplyStatus.SUPPLIED, "heated_area": "90.25", "meter_no": "M-77"})
    premises.refresh_from_db()
    assert premises.status == SupplyStatus.SUPPLIED and premises.metered
    assert premises.meter_no == "M-77"


def test_premises_page_keeps_the_input_on_errors_and_is_refused_to_field_staff(
    people, customers, client
):
    customer = customers["east"]
    premises = customer.premises.get()
    url = f"/customers/{customer.pk}/premises/{premises.pk}/"
    client.force_login(people["agent"])
    page = client.post(
        url, {"status": SupplyStatus.CLOSED, "heated_area": "-3", "meter_no": "M-9"}
    ).content.decode()
    assert 'value="M-9"' in page and 'value="-3"' in page and "error" in page
    premises.refresh_from_db()
    assert premises.status == SupplyStatus.SUPPLIED
    # Another customer's premises through this customer's address: not found.
    west = customers["west"].premises.get()
    assert client.get(f"/customers/{customer.pk}/premises/{west.pk}/").status_code == 404
    client.force_login(people["tech"])
    assert client.get(url).status_code == 403
    assert Premises.objects.get(pk=premises.pk).status == SupplyStatus.SUPPLIED


# --- knowledge: the heating FAQ and the company's name in the standard phrases ------------


def test_the_faq_is_installed_without_touching_edited_entries(db):
    from utilitydesk.knowledge.defaults import FAQ_ENTRIES, install_default_faq
    from utilitydesk.knowledge.models import Entry

    Entry.objects.all().delete()
    question = FAQ_ENTRIES[0][0]
    Entry.objects.create(question=question, answer="本公司已修改的答案")
    added = install_default_faq(Entry)
    assert added == len(FAQ_ENTRIES) - 1
    assert Entry.objects.get(question=question).answer == "本公司已修改的答案"
    assert install_default_faq(Entry) == 0
    topics = " ".join(Entry.objects.values_list("question", flat=True))
    for topic in ("供暖期", "热费", "缴费", "停热", "恢复供暖", "温度", "不热", "放气", "紧急"):
        assert topic in topics, topic


def test_agents_find_the_faq_from_intake(people, client):
    from utilitydesk.knowledge.defaults import install_default_faq
    from utilitydesk.knowledge.models import Entry

    install_default_faq(Entry)
    client.force_login(people["agent"])
    found = client.get("/cases/knowledge/", {"kq": "放气"}).content.decode()
    assert "暖气片需要放气" in found
    found = client.get("/cases/knowledge/", {"kq": "热费怎么算"}).content.decode()
    assert "供热面积" in found


def test_standard_phrases_carry_the_company_name_and_no_blank(people, customers, client, org):
    from utilitydesk.knowledge.defaults import replace_shipped_placeholders
    from utilitydesk.knowledge.models import StandardPhrase

    # A database from the first release still holds the seed's blanks.
    StandardPhrase.objects.filter(situation="热线接听").update(
        text="您好，XX供热公司XXX很高兴为您服务。"
    )
    assert replace_shipped_placeholders(StandardPhrase) == 1
    client.force_login(people["agent"])
    page = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "您好，热力公司王小明很高兴为您服务。" in page
    assert "XX供热公司" not in page and "XXX" not in page and "{company}" not in page

    # Texting a standard phrase to a customer sends the company's name.
    case = open_case(people["agent"], customers["east"])
    intro = StandardPhrase.objects.get(situation="入户自我介绍")
    services.reply_to_customer(case.number, "", actor=people["agent"], phrase_id=intro.pk)
    sent = Message.objects.filter(channel="sms").latest("pk").body
    assert sent.startswith("您好，我是热力公司的工作人员")


def test_a_blank_never_reaches_a_customer(people, customers):
    from django.core.exceptions import ValidationError

    case = open_case(people["agent"], customers["east"])
    with pytest.raises(ValidationError):
        services.reply_to_customer(
            case.number, "您好，XX供热公司XXX很高兴为您服务。", actor=people["agent"]
        )
    assert not Message.objects.filter(channel="sms").exists()


def test_billing_clerks_see_faults_too(org, area, client):
    clerk = staff("clerk", Position.BILLING_CLERK, org["centre"])
    client.force_login(clerk)
    assert client.get("/cases/faults/").status_code == 200


def test_the_360_page_reads_the_same_number_of_times_for_a_long_history(people, customers, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent, customer = people["agent"], customers["east"]
    start = timezone.now() - timedelta(minutes=30)
    answer_on_spot(agent, customer, "咨询", start)
    open_case(agent, customer, now=start)
    client.force_login(agent)
    client.get(f"/customers/{customer.pk}/")

    def reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/customers/{customer.pk}/").status_code == 200
        return len(queries)

    few = reads()
    for i in range(10):
        answer_on_spot(agent, customer, f"咨询{i}", start + timedelta(minutes=i + 1))
        open_case(agent, customer, now=start + timedelta(minutes=i + 1))
    assert reads() == few
