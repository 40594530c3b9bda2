"""The refunds page (R-706): the office sees failed homes' credits with band, period, days
and fraction (no invented price), filters them, and the approver the policy names approves
or rejects with a reason; the season's running credits are closed by the command and the
daily job, once."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from utilitydesk.audit.models import AccessLog
from utilitydesk.temperature import services
from utilitydesk.temperature.models import CreditStatus, RefundCredit
from utilitydesk.temperature.tasks import close_season_credits_task

from .conftest import LOCAL, NOW, on_site, record_input, room

pytestmark = pytest.mark.django_db

URL = "/temperature/refunds/"
AFTER_SEASON = datetime(2027, 3, 21, 2, 0, tzinfo=LOCAL)


def _failed_credit(people, customers, thermometer) -> RefundCredit:
    """A home measured at 16.8 °C (band 20 %): its credit runs until the next measurement."""
    case = on_site(people, customers)
    cold = [room("bedroom", "12", "16.5"), room("living_room", "20", "16.9", "17.1")]
    failed = services.record_measurement(
        record_input(case, thermometer, rooms=cold),
        actor=people["tech"],
        now=NOW + timedelta(hours=3),
    )
    return RefundCredit.objects.get(measurement=failed)


@pytest.fixture
def pending(people, customers, thermometer):
    """A credit ended by the season's end and waiting for the office's decision."""
    credit = _failed_credit(people, customers, thermometer)
    assert services.close_season_credits(2026, now=AFTER_SEASON) == 1
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PENDING
    return credit


def test_the_office_sees_the_refund_with_its_band_period_and_fraction(client, people, pending):
    client.force_login(people["office"])
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert pending.premises.address_text in html
    assert "16.8" in html and "20 %" in html
    # 2026-12-01 to the season's last day, 2027-03-20, that day counted: 110 of 126 days.
    assert "2026-12-01" in html and "2027-03-20" in html
    assert pending.days == 110 and pending.season_days == 126
    assert str(pending.fee_fraction) == "0.174603" and "0.174603" in html
    # No price is invented: the amount is the fraction of the home's season fee.
    assert "按供暖季热费计" in html and "17.4603 %" in html
    assert "批准" in html and "驳回" in html
    assert AccessLog.objects.filter(
        actor=people["office"], customer_id=pending.premises.customer_id
    ).exists()


def test_filters_by_status_season_and_station(client, people, org, pending):
    client.force_login(people["office"])
    address = pending.premises.address_text
    station = pending.premises.station_id
    shown = {
        "status=pending": True,
        "status=approved": False,
        "season=2026": True,
        f"station={station}": True,
        f"station={org['west'].pk}": False,
        f"status=pending&season=2026&station={station}": True,
    }
    for query, expected in shown.items():
        html = client.get(f"{URL}?{query}").content.decode()
        assert (address in html) is expected, query


def test_approve_and_reject_with_a_reason(client, people, customers, thermometer, pending):
    client.force_login(people["office"])
    decide = reverse("temperature_refunds:decide", args=[pending.pk])
    # A rejection needs its reason.
    response = client.post(decide, {"decision": "reject", "note": "  "}, follow=True)
    assert "驳回" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == CreditStatus.PENDING
    response = client.post(
        decide, {"decision": "reject", "note": "用户自行关阀", "back": "status=pending"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=pending")
    pending.refresh_from_db()
    assert pending.status == CreditStatus.REJECTED and pending.decision_note == "用户自行关阀"
    assert pending.decided_by == people["office"]
    # Decided: no buttons any more, the decision shown instead; a second decision refused.
    html = client.get(URL).content.decode()
    assert "用户自行关阀" in html and 'value="approve"' not in html
    client.post(decide, {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == CreditStatus.REJECTED


def test_approval_by_the_office(client, people, pending):
    client.force_login(people["office"])
    client.post(reverse("temperature_refunds:decide", args=[pending.pk]), {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == CreditStatus.APPROVED
    assert "已批准" in client.get(f"{URL}?status=approved").content.decode()


def test_only_the_position_the_policy_names_decides(client, people, pending):
    RefundCredit.objects.filter(pk=pending.pk).update(approver_position="general_manager")
    client.force_login(people["office"])
    html = client.get(URL).content.decode()
    assert pending.premises.address_text in html and 'value="approve"' not in html
    client.post(reverse("temperature_refunds:decide", args=[pending.pk]), {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == CreditStatus.PENDING


def test_without_the_permission_no_page_and_no_decision(client, people, pending):
    for who in ("agent", "tech", "head_east"):
        client.force_login(people[who])
        assert client.get(URL).status_code == 403
        decide = reverse("temperature_refunds:decide", args=[pending.pk])
        assert client.post(decide, {"decision": "approve"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == CreditStatus.PENDING


def test_a_running_credit_shows_as_running(client, people, customers, thermometer):
    credit = _failed_credit(people, customers, thermometer)
    client.force_login(people["office"])
    html = client.get(URL).content.decode()
    assert credit.premises.address_text in html and 'value="approve"' not in html


def test_the_command_closes_the_season_once(people, customers, thermometer):
    credit = _failed_credit(people, customers, thermometer)
    out = StringIO()
    # During the season nothing is closed.
    call_command("close_temperature_credits", "--season=2026", "--now=2027-03-20T20:00", stdout=out)
    credit.refresh_from_db()
    assert credit.status == CreditStatus.OPEN and ": 0 " in out.getvalue()
    call_command("close_temperature_credits", "--season=2026", "--now=2027-03-21T02:00", stdout=out)
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PENDING and credit.period_end.isoformat() == "2027-03-20"
    first = (credit.days, credit.fee_fraction)
    out = StringIO()
    call_command("close_temperature_credits", "--season=2026", "--now=2027-03-22T02:00", stdout=out)
    credit.refresh_from_db()
    assert ": 0 " in out.getvalue() and (credit.days, credit.fee_fraction) == first


def test_the_daily_job_closes_the_ended_season(people, customers, thermometer, monkeypatch):
    assert settings.PERIODIC_JOBS["temperature.close_season_credits"] == 86400
    credit = _failed_credit(people, customers, thermometer)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + timedelta(days=10))
    assert close_season_credits_task() == 0
    monkeypatch.setattr("django.utils.timezone.now", lambda: AFTER_SEASON + timedelta(days=1))
    assert close_season_credits_task() == 1
    assert close_season_credits_task() == 0
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PENDING


def test_the_navigation_leads_the_office_to_the_refunds(client, people):
    client.force_login(people["office"])
    assert f'href="{URL}"' in client.get("/").content.decode()
    client.force_login(people["agent"])
    assert f'href="{URL}"' not in client.get("/").content.decode()
