"""Technicians, team leaders and station heads (issue 11, items 5, 6, 13 and the smaller
field findings) through the pages they use: their home is their work, a refused field
form keeps what was typed, phone numbers follow one rule, a temperature measurement
cannot be exempted from the customer's signature, deadline warnings come at a sensible
time, are withdrawn when the case moves on and are grouped in the inbox."""

import base64
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import open_case, staff
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, Status
from utilitydesk.cases.sweeper import sweep
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.policy.models import PolicyVersion, warning_lead

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def on_site(people, customers, kind="repair"):
    case = open_case(people["agent"], customers["east"], kind=kind)
    services.accept(case.number, actor=people["tech"])
    services.arrive(case.number, actor=people["tech"])
    return Case.objects.get(pk=case.pk)


def field_post(client, case, action, data):
    return client.post(
        f"/cases/{case.number}/act/{action}/",
        {"next": f"/field/{case.number}/", "expected_version": case.version, **data},
    )


# --- home ------------------------------------------------------------------------------


def test_field_roles_start_at_their_work(people, org, client):
    leader = staff("leader", Position.TEAM_LEADER, org["east_team"])
    for user, target in [
        (people["tech"], "/field/"),
        (leader, "/field/"),
    ]:
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == target, user
    # A station head's home is the station's dashboard, with the queue one click away.
    for office in (people["agent"], people["gm"], people["head_east"]):
        client.force_login(office)
        assert client.get("/").status_code == 200


def test_someone_with_an_office_position_too_keeps_the_office_home(people, org, client):
    from utilitydesk.org.services import assign_position

    assign_position(people["tech"], org["centre"], Position.AGENT)
    client.force_login(people["tech"])
    assert client.get("/").status_code == 200


# --- forms keep what was typed ---------------------------------------------------------


def test_resolve_without_signature_keeps_everything_typed(people, customers, client):
    case = on_site(people, customers)
    client.force_login(people["tech"])
    response = field_post(
        client,
        case,
        "resolve",
        {
            "work_done": "更换户内进水阀门，排气后恢复",
            "materials": "阀门,1,个\n生料带,2,卷",
            "customer_side_fault": "on",
            "explanation": "户内阀门老化，属用户自有设施",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "更换户内进水阀门，排气后恢复" in page
    assert "阀门,1,个\n生料带,2,卷" in page
    assert "户内阀门老化，属用户自有设施" in page
    assert re.search(r'name="customer_side_fault"[^>]*checked', page)
    assert "客户未签字确认" in page  # the reason, next to the signature pad
    assert 'id="resolve-form"' in page and f'value="{case.version}"' in page
    assert f'name="next" value="/field/{case.number}/"' in page  # sent again from here
    assert Case.objects.get(pk=case.pk).status == Status.ON_SITE


def test_a_refused_resolve_keeps_the_drawn_signature(people, customers, client):
    case = on_site(people, customers)
    client.force_login(people["tech"])
    response = field_post(
        client,
        case,
        "resolve",
        {"work_done": "排气", "customer_side_fault": "on", "signature": SIGNATURE},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "书面" in page  # the explanation is missing
    assert f'value="{SIGNATURE}"' in page
    response = field_post(
        client,
        case,
        "resolve",
        {
            "work_done": "排气",
            "customer_side_fault": "on",
            "explanation": "户内阀门老化",
            "signature": SIGNATURE,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"


def test_booking_and_not_home_keep_their_input(people, customers, client):
    case = open_case(people["agent"], customers["east"])
    services.accept(case.number, actor=people["tech"])
    case.refresh_from_db()
    client.force_login(people["tech"])
    past = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = field_post(client, case, "book", {"appointment_at": past, "note": "下午三点前"})
    page = response.content.decode()
    assert response.status_code == 400 and "下午三点前" in page and past in page
    soon = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    assert field_post(client, case, "book", {"appointment_at": soon}).status_code == 302
    case.refresh_from_db()
    response = field_post(client, case, "not_home", {"note": "门上留了条", "appointment_at": ""})
    page = response.content.decode()
    assert response.status_code == 400 and "门上留了条" in page
    assert '<details class="card" open' in page  # the not-home form stays open
    assert Case.objects.get(pk=case.pk).version == case.version


def test_a_wrong_confirmation_code_is_shown_with_the_form_open(people, customers, client):
    case = on_site(people, customers)
    services.send_signoff_code(case.number, actor=people["tech"])
    client.force_login(people["tech"])
    response = field_post(client, case, "confirm_signoff_code", {"code": "000000x"})
    page = response.content.decode()
    assert response.status_code == 400 and 'value="000000x"' in page and "确认码" in page
    assert re.search(r'<details class="card" open>\s*<summary>[^<]*确认', page)


def test_someone_elses_change_keeps_the_form_and_allows_a_deliberate_resend(
    people, customers, client
):
    case = on_site(people, customers)
    client.force_login(people["tech"])
    stale = case.version
    services.add_note(case.number, "客户来电催促", actor=people["head_east"])
    services.exempt_signoff(case.number, "客户出差，电话确认", actor=people["head_east"])
    response = client.post(
        f"/cases/{case.number}/act/resolve/",
        {"next": f"/field/{case.number}/", "expected_version": stale, "work_done": "排气"},
    )
    page = response.content.decode()
    current = Case.objects.get(pk=case.pk).version
    assert response.status_code == 409 and "排气" in page and "head_east" in page
    assert f'name="expected_version" value="{current}"' in page
    response = client.post(
        f"/cases/{case.number}/act/resolve/",
        {"next": f"/field/{case.number}/", "expected_version": current, "work_done": "排气"},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def test_desk_page_actions_still_answer_with_a_message(people, customers, client):
    case = on_site(people, customers)
    client.force_login(people["tech"])
    response = client.post(
        f"/cases/{case.number}/act/resolve/",
        {"expected_version": case.version, "work_done": "排气"},
        follow=True,
    )
    assert response.redirect_chain and "客户未签字确认" in response.content.decode()


# --- phone numbers ---------------------------------------------------------------------


def test_full_number_and_tel_link_only_on_the_technicians_own_case(people, customers, org, client):
    mine = on_site(people, customers)
    other_tech = staff("tech2", Position.TECHNICIAN, org["east_team"])
    theirs = open_case(people["agent"], customers["east"], content="另一户不热")
    services.accept(theirs.number, actor=other_tech)
    client.force_login(people["tech"])

    own_field = client.get(f"/field/{mine.number}/").content.decode()
    own_desk = client.get(f"/cases/{mine.number}/").content.decode()
    assert 'href="tel:13812345678"' in own_field and "13812345678" in own_desk

    other_field = client.get(f"/field/{theirs.number}/").content.decode()
    other_desk = client.get(f"/cases/{theirs.number}/").content.decode()
    for page in (other_field, other_desk):
        assert "13812345678" not in page and "138****5678" in page
    assert "tel:" not in other_field

    search = client.post("/customers/lookup/", {"q": "阳光花园"}).content.decode()
    assert "13812345678" not in search and "138****5678" in search


def test_station_head_sees_full_numbers_and_calls_from_the_field_page(people, customers, client):
    case = open_case(people["agent"], customers["east"])
    client.force_login(people["head_east"])
    page = client.get(f"/field/{case.number}/").content.decode()
    assert 'href="tel:13812345678"' in page


# --- signature of a temperature measurement --------------------------------------------


def test_temperature_measurement_cannot_be_exempted_from_signature(people, customers, client):
    case = on_site(people, customers, kind="temperature")
    client.force_login(people["head_east"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "/act/exempt_signoff/" not in page
    response = client.post(
        f"/cases/{case.number}/act/exempt_signoff/",
        {"expected_version": case.version, "note": "客户不在家"},
        follow=True,
    )
    assert "测温记录" in response.content.decode()
    assert Case.objects.get(pk=case.pk).signoff == ""

    repair = on_site(people, customers)
    page = client.get(f"/cases/{repair.number}/").content.decode()
    assert "/act/exempt_signoff/" in page
    services.exempt_signoff(repair.number, "客户出差，电话确认", actor=people["head_east"])
    assert Case.objects.get(pk=repair.pk).signoff == "supervisor"


# --- deadline warnings -----------------------------------------------------------------


def test_warning_lead_is_a_share_of_the_limit_with_a_floor_and_a_cap():
    policy = PolicyVersion(warn_share=Decimal("0.25"), warn_floor_minutes=10)
    assert warning_lead(policy, 1, "hours") == timedelta(minutes=15)
    assert warning_lead(policy, Decimal("0.5"), "hours") == timedelta(minutes=10)
    assert warning_lead(policy, 24, "hours") == timedelta(minutes=60)
    assert warning_lead(policy, 3, "working_days") == timedelta(minutes=60)
    assert warning_lead(policy, Decimal("0.25"), "hours") == timedelta(minutes=7.5)  # half
    assert warning_lead(None, 1, "hours") == timedelta(minutes=15)


def warnings_to(user, case=None, standing=True):
    messages = Message.objects.filter(recipient=user, kind=Message.Kind.DEADLINE_WARNING)
    if case is not None:
        messages = messages.filter(reference=f"case:{case.number}")
    if standing is not None:
        messages = messages.filter(obsolete_at__isnull=standing)
    return messages


def test_no_warning_at_creation_for_a_one_hour_limit(people, customers):
    start = timezone.now()
    case = open_case(people["agent"], customers["east"], now=start)
    assert sweep(start)["warnings"] == 0
    assert sweep(start + timedelta(minutes=40))["warnings"] == 0
    assert Case.objects.get(pk=case.pk).next_check_at == case.received_at + timedelta(minutes=45)
    sweep(start + timedelta(minutes=46))
    warning = warnings_to(people["head_east"], case).get()
    assert "到场" in warning.body


def test_a_case_keeps_the_warning_lead_of_its_policy_version(people, customers):
    from utilitydesk.policy import services as sla_services

    start = timezone.now()
    old = open_case(people["agent"], customers["east"], now=start)
    draft = sla_services.new_draft(actor=None)
    draft.warn_share = Decimal("0.5")
    draft.save()
    sla_services.publish(draft.pk, actor=None)
    new = open_case(people["agent"], customers["east"], now=start, content="另一处漏水")
    sweep(start + timedelta(minutes=35))
    assert not warnings_to(people["head_east"], old).exists()
    assert warnings_to(people["head_east"], new).exists()


def test_warnings_are_withdrawn_when_the_case_moves_on(people, customers, org):
    head_west = staff("head_west", Position.STATION_HEAD, org["west"])
    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    start = timezone.now() - timedelta(minutes=50)
    case = open_case(people["agent"], customers["east"], now=start)
    sweep(timezone.now())
    assert warnings_to(people["head_east"], case).count() == 1

    # Given to a technician: the head's warning is withdrawn (kept), the technician warned.
    services.accept(case.number, actor=people["tech"])
    assert warnings_to(people["head_east"], case).count() == 0
    assert warnings_to(people["head_east"], case, standing=False).count() == 1
    sweep(timezone.now())
    assert warnings_to(people["tech"], case).count() == 1

    # Sent to another station: the technician's warning goes, the new station's head hears.
    services.dispatch(case.number, org["west"].pk, "不归城东", actor=dispatcher, redispatch=True)
    assert warnings_to(people["tech"], case).count() == 0
    sweep(timezone.now())
    assert warnings_to(head_west, case).count() == 1

    # Cancelled: nobody holds it, every notice is withdrawn; nothing was deleted.
    services.cancel(case.number, "重复来电", actor=dispatcher)
    assert not Message.objects.filter(
        reference=f"case:{case.number}", kind__startswith="deadline", obsolete_at__isnull=True
    ).exists()
    assert (
        Message.objects.filter(reference=f"case:{case.number}", kind__startswith="deadline").count()
        == 3
    )


def test_resolving_withdraws_the_warnings_and_met_deadlines_lose_theirs(people, customers):
    start = timezone.now() - timedelta(minutes=50)
    case = open_case(people["agent"], customers["east"], now=start)
    services.accept(case.number, actor=people["tech"])
    sweep(timezone.now())
    assert warnings_to(people["tech"], case).count() == 1  # arrival on site
    services.arrive(case.number, actor=people["tech"])
    assert warnings_to(people["tech"], case).count() == 0
    services.exempt_signoff(case.number, "客户出差，电话确认", actor=people["head_east"])
    services.resolve(case.number, services.Resolution(work_done="排气"), actor=people["tech"])
    # A resolved case is the callback agents' business: no notice to the field.
    sweep(timezone.now() + timedelta(days=3))
    assert not Message.objects.filter(
        reference=f"case:{case.number}", kind__startswith="deadline", obsolete_at__isnull=True
    ).exists()


# --- inbox -----------------------------------------------------------------------------


def test_inbox_groups_notices_by_case_with_counts(people, customers, client):
    head = people["head_east"]
    start = timezone.now() - timedelta(hours=30)
    case = open_case(people["agent"], customers["east"], now=start)
    other = open_case(people["agent"], customers["east"], now=start, content="楼道漏水")
    sweep(timezone.now())  # overdue notices and the first escalation, for each case

    def unread():
        return Message.objects.filter(recipient=head, read_at=None, obsolete_at=None).count()

    def badge(page):
        found = re.search(r'id="inbox-badge">(\d+)<', page)
        return int(found.group(1)) if found else 0

    per_case = Message.objects.filter(recipient=head, reference=f"case:{case.number}").count()
    assert per_case >= 3
    client.force_login(head)
    page = client.get("/inbox/").content.decode()
    assert page.count('class="card inbox-item') == 2
    assert f"{per_case} 条消息" in page and f"{per_case} 条未读" in page
    assert badge(page) == unread() == 2 * per_case

    client.post("/inbox/read/", {"group": f"case:{case.number}"})
    page = client.get("/inbox/").content.decode()
    assert badge(page) == unread() == per_case
    assert Message.objects.filter(reference=f"case:{other.number}", read_at=None).count()

    services.accept(other.number, actor=people["tech"])  # the head no longer holds it
    page = client.get("/inbox/").content.decode()
    withdrawn = Message.objects.filter(recipient=head, obsolete_at__isnull=False)
    assert withdrawn.filter(reference=f"case:{other.number}").exists()
    assert not withdrawn.filter(reference=f"case:{case.number}").exists()
    assert badge(page) == unread() < per_case and "已撤回" in page


def test_the_work_list_pages_a_technicians_many_orders(people, customers, client):
    from utilitydesk.audit.models import AccessLog
    from utilitydesk.cases.views import FIELD_PAGE_SIZE

    numbers = []
    for _ in range(FIELD_PAGE_SIZE + 2):
        case = open_case(people["agent"], customers["east"])
        services.accept(case.number, actor=people["tech"])
        numbers.append(case.number)
    client.force_login(people["tech"])
    before = AccessLog.objects.count()
    first = client.get("/field/").content.decode()
    shown = [n for n in numbers if f"/field/{n}/" in first]
    assert len(shown) == FIELD_PAGE_SIZE and "page=2" in first
    # Only what the phone showed is written down as seen.
    assert AccessLog.objects.count() - before <= FIELD_PAGE_SIZE + 1
    second = client.get("/field/?page=2").content.decode()
    rest = [n for n in numbers if f"/field/{n}/" in second]
    assert sorted(shown + rest) == sorted(numbers)
