"""Issue 10, findings 2–5 and the personal-data parts of 16: every read of personal data is
logged and throttled, phones are masked in one place, uploaded files need a permission."""

import io
import logging
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import open_case, staff
from utilitydesk.audit.models import AccessLog, ChangeRecord
from utilitydesk.cases import services as case_services
from utilitydesk.customers import services as customer_services
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db

FULL = "13812345678"
MASKED = "138****5678"


@pytest.fixture
def more(org, people):
    return {
        "tech2": staff("tech2", Position.TECHNICIAN, org["east_team"]),
        "billing": staff("billing", Position.BILLING_CLERK, org["company"]),
    }


@pytest.fixture
def case(people, customers):
    return open_case(people["agent"], customers["east"])


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def rows(**filters) -> int:
    return AccessLog.objects.filter(**filters).count()


# --- 2. bulk reads are logged, throttled and raise an alert ---------------------------------


def test_paging_the_customer_api_logs_every_customer_on_the_page(people, customers, more):
    response = api_as(more["billing"]).get("/api/v1/customers/")
    assert response.status_code == 200
    shown = {row["id"] for row in response.json()["results"]}
    logged = set(
        AccessLog.objects.filter(actor=more["billing"], action="list").values_list(
            "customer_id", flat=True
        )
    )
    assert shown == logged == {customers["east"].pk, customers["west"].pk}


def test_bulk_reading_is_throttled_per_user(people, customers, more, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "personal_data": "5/min"}
    client = api_as(more["billing"])
    codes = [client.get("/api/v1/customers/").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    # Another person is not slowed down by the first one's reading.
    assert api_as(people["office"]).get("/api/v1/customers/").status_code == 200
    # The web pages share the same limit.
    web = Client()
    web.force_login(more["billing"])
    page = web.get("/customers/")
    assert page.status_code == 429 and "Retry-After" in page


def test_harvesting_volume_alerts_the_service_office_once(people, customers, more, settings):
    settings.HARVEST_ALERT_CUSTOMERS_PER_HOUR = 3
    client = api_as(more["billing"])
    for _ in range(4):
        assert client.get("/api/v1/customers/").status_code == 200
    alerts = Message.objects.filter(recipient=people["office"], reference__startswith="privacy:")
    assert alerts.count() == 1
    assert "billing" in alerts.get().body


def test_the_self_service_account_is_not_a_harvester(people, customers, settings):
    """Households reading their own records through the /my/ pages: logged, no alert."""
    from tests.factories import staff
    from utilitydesk.org.models import Position
    from utilitydesk.privacy.access import record_access

    settings.HARVEST_ALERT_CUSTOMERS_PER_HOUR = 1
    account = staff(
        settings.SELFSERVICE_ACTOR, Position.AGENT, people["agent"].assignments.first().unit
    )
    for customer in customers.values():
        record_access(account, "view", [customer])
    assert rows(actor=account) == len(customers)
    assert not Message.objects.filter(reference__startswith="privacy:harvest").exists()


@pytest.mark.parametrize(
    "who,path",
    [
        ("agent", "/customers/?q=李雷"),
        ("agent", "/cases/"),
        ("agent", "/cases/{number}/"),
        ("tech", "/field/"),
        ("tech", "/field/{number}/"),
        ("agent", "/cases/new/?customer={customer}"),
        ("admin", "/admin/customers/customer/"),
        ("admin", "/admin/customers/customer/{customer}/change/"),
    ],
)
def test_every_page_showing_personal_data_leaves_an_access_log_row(
    people, customers, case, client, who, path
):
    client.force_login(people[who])
    url = path.format(number=case.number, customer=customers["east"].pk)
    before = rows(actor=people[who])
    response = client.get(url)
    assert response.status_code == 200, url
    assert rows(actor=people[who], customer=customers["east"]) > 0
    assert rows(actor=people[who]) > before


def test_case_api_list_and_detail_are_logged(people, customers, case):
    client = api_as(people["agent"])
    assert client.get("/api/v1/cases/").status_code == 200
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200
    assert rows(actor=people["agent"], action="case", customer=customers["east"]) == 2


def test_callback_queue_and_survey_pages_are_logged(people, customers, client, monkeypatch):
    from utilitydesk.callbacks.models import CallbackTask
    from utilitydesk.surveys import services as survey_services

    CallbackTask.objects.create(
        customer=customers["east"],
        purpose="vip_regular",
        period="2026-11",
        due_at=timezone.now() + timedelta(days=3),
    )
    monkeypatch.setattr("utilitydesk.callbacks.selectors.may_call_at", lambda *a: True)
    client.force_login(people["office"])
    assert client.get("/callbacks/").status_code == 200
    assert rows(actor=people["office"], action="list", customer=customers["east"]) == 1

    survey = survey_services.create_survey("冬季满意度", 2, "seed", actor=people["office"])
    assert client.get(f"/surveys/{survey.pk}/").status_code == 200
    member = survey.members.first()
    assert client.get(f"/surveys/{survey.pk}/member/{member.pk}/").status_code == 200
    assert rows(actor=people["office"], detail__survey=survey.pk) >= 2


# --- 3. field page and slip: full number only to the assignee ------------------------------


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_field_page_and_slip_show_the_full_number_only_to_the_assignee(
    people, customers, case, more, client, tmp_path
):
    case_services.accept(case.number, actor=people["tech"])
    client.force_login(more["tech2"])
    page = client.get(f"/field/{case.number}/").content.decode()
    assert MASKED in page and FULL not in page
    slip = _pdf_text(client.get(f"/cases/{case.number}/slip.pdf").content, tmp_path)
    assert MASKED in slip and FULL not in slip

    client.force_login(people["tech"])
    assert FULL in client.get(f"/field/{case.number}/").content.decode()
    assert FULL in _pdf_text(client.get(f"/cases/{case.number}/slip.pdf").content, tmp_path)


def test_slip_access_log_row_names_the_address(people, customers, case, client):
    client.force_login(people["agent"])
    assert client.get(f"/cases/{case.number}/slip.pdf").status_code == 200
    row = AccessLog.objects.get(actor=people["agent"], action="print")
    assert row.customer == customers["east"]
    assert row.detail["slip"] == case.number and "1号楼" in row.detail["address"]


# --- 4. masking in history, search and the API --------------------------------------------


def test_change_history_masks_old_and_new_numbers_for_masked_roles(people, customers, client):
    customer_services.update_customer(
        customers["east"].pk, {"phones": ["13900002222"]}, actor=people["office"], source="web"
    )
    client.force_login(people["tech"])
    page = client.get(f"/customers/{customers['east'].pk}/").content.decode()
    assert "139****2222" in page and MASKED in page
    assert "13900002222" not in page and FULL not in page
    client.force_login(people["office"])
    assert "13900002222" in client.get(f"/customers/{customers['east'].pk}/").content.decode()


def test_masked_role_cannot_confirm_a_full_number_by_searching(people, customers, case, client):
    client.force_login(people["tech"])
    listing = client.get("/customers/", {"q": FULL}).content.decode()
    assert "李雷" not in listing
    popped = client.post("/customers/lookup/", {"q": FULL}).content.decode()
    assert "李雷" not in popped
    cases = client.get("/cases/", {"q": FULL}).content.decode()
    assert case.number not in cases
    api = api_as(people["tech"]).get("/api/v1/customers/lookup/", {"phone": FULL})
    assert api.status_code == 200 and api.json() == []
    # The same searches find the customer for a role that sees full numbers.
    client.force_login(people["agent"])
    assert "李雷" in client.post("/customers/lookup/", {"q": FULL}).content.decode()


def test_case_api_masks_caller_phone_and_timeline_notes(people, customers, case):
    case_services.add_note(case.number, f"客户另留电话 {FULL}", actor=people["agent"])
    body = api_as(people["tech"]).get(f"/api/v1/cases/{case.number}/").json()
    assert body["caller_phone"] == MASKED
    assert FULL not in str(body) and MASKED in str(body["timeline"])


# --- 5. uploaded files only through a permission check ------------------------------------


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_signatures_are_served_only_to_people_who_may_see_the_case(
    people, customers, case, org, client
):
    case.signature.save("sig.png", ContentFile(PNG), save=True)
    url = case.signature.url
    assert url.startswith("/media/signatures/")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(people["agent"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert "no-store" in response["Cache-Control"]
    assert rows(actor=people["agent"], action="file", customer=customers["east"]) == 1

    west_head = staff("head_west", Position.STATION_HEAD, org["west"])
    client.force_login(west_head)
    assert client.get(url).status_code == 404
    assert client.get("/media/../settings.py").status_code == 404


def test_import_files_need_the_import_permission(people, customers, client):
    from utilitydesk.customers.models import ImportJob

    job = ImportJob(original_name="客户.csv", created_by=people["office"])
    job.file.save("客户.csv", ContentFile("户号,姓名\n".encode()), save=True)
    client.force_login(people["tech"])
    assert client.get(job.file.url).status_code == 404
    client.force_login(people["office"])
    response = client.get(job.file.url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_make_run_serves_with_debug_off_by_default():
    root = Path(__file__).resolve().parents[3]
    makefile = (root / "Makefile").read_text()
    run_line = next(line for line in makefile.splitlines() if "honcho" in line)
    assert "DEBUG=$${DEBUG:-0}" in run_line and "--procfile Procfile start" in run_line
    # A production WSGI server, not Django's development server, and the companion process.
    procfile = dict(
        line.split(": ", 1)
        for line in (root / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert procfile["web"].startswith(".venv/bin/gunicorn utilitydesk.wsgi --config deploy/")
    assert "manage.py worker --periodic-jobs" in procfile["companion"]


# --- 16. headers, request logs, admin phones -------------------------------------------------


def test_pages_send_a_content_security_policy_and_no_store(people, customers, client):
    client.force_login(people["agent"])
    response = client.get(f"/customers/{customers['east'].pk}/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert not re.search(r"\son(click|change|submit|load)=", html)
    export = client.get("/customers/export/")
    assert "no-store" in export["Cache-Control"]


def test_intake_page_has_no_inline_script(people, customers, client):
    client.force_login(people["agent"])
    html = client.get(f"/cases/new/?customer={customers['east'].pk}").content.decode()
    assert "<script>" not in html and "onclick=" not in html


def test_request_log_lines_mask_phone_numbers(caplog):
    from utilitydesk.privacy.logs import MaskPhoneNumbers

    logger = logging.getLogger("django.server.test")
    logger.addFilter(MaskPhoneNumbers())
    with caplog.at_level(logging.INFO, logger="django.server.test"):
        logger.info('"%s" %s', f"GET /customers/?q={FULL} HTTP/1.1", 200)
    assert MASKED in caplog.text and FULL not in caplog.text


def test_screen_pop_box_posts_so_the_number_stays_out_of_request_lines(people, client):
    client.force_login(people["agent"])
    html = client.get("/").content.decode()
    assert 'hx-post="/customers/lookup/"' in html


def test_admin_phone_edits_are_validated_and_recorded(people, customers, client):
    customer = customers["east"]
    client.force_login(people["admin"])
    url = f"/admin/customers/customer/{customer.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    bad = client.post(url, {**data, "phones": "12345"})
    assert bad.status_code == 200 and not ChangeRecord.objects.filter(field="phones").exists()
    good = client.post(url, {**data, "phones": "13700001111"})
    assert good.status_code == 302
    record = ChangeRecord.objects.get(field="phones")
    assert record.new_value == "13700001111" and record.source == "admin"


def test_admin_does_not_show_full_numbers_to_roles_without_the_right(org, customers, client):
    from django.contrib.auth.models import Permission

    clerk = staff("desk", Position.TECHNICIAN, org["east_team"])
    clerk.is_staff = True
    clerk.save()
    clerk.user_permissions.add(
        Permission.objects.get(codename="change_customer"),
        Permission.objects.get(codename="view_customer"),
    )
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert not clerk.has_perm("customers.view_full_phone")
    client.force_login(clerk)
    html = client.get(f"/admin/customers/customer/{customers['east'].pk}/change/").content
    assert FULL.encode() not in html and MASKED.encode() in html


# --- retention ---------------------------------------------------------------------------


def test_access_log_is_kept_six_months_then_purged(people, customers, settings):
    from utilitydesk.privacy.services import purge_access_log

    now = timezone.now()
    settings.ACCESS_LOG_RETENTION_DAYS = 30  # below the legal minimum: six months still apply
    old = AccessLog.objects.create(
        actor=people["agent"], action="view", at=now - timedelta(days=200)
    )
    recent = AccessLog.objects.create(
        actor=people["agent"], action="view", at=now - timedelta(days=100)
    )
    assert purge_access_log(now=now) == 1
    assert purge_access_log(now=now) == 0
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    assert AccessLog.objects.filter(pk=recent.pk).exists()


def test_purge_command_accepts_now(people):
    from django.core.management import call_command

    AccessLog.objects.create(
        actor=people["agent"], action="view", at=timezone.now() - timedelta(days=10)
    )
    out = io.StringIO()
    call_command("purge_access_log", "--now", "2030-01-01T03:00", stdout=out)
    assert "Deleted 1" in out.getvalue()


def test_case_page_offers_texting_only_to_people_acting_on_the_case(
    people, customers, case, more, client
):
    case_services.accept(case.number, actor=people["tech"])
    client.force_login(more["tech2"])
    assert "发送短信" not in client.get(f"/cases/{case.number}/").content.decode()
    client.force_login(people["tech"])
    assert "发送短信" in client.get(f"/cases/{case.number}/").content.decode()
