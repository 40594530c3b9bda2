"""The duty pages: who may open and act on them, form errors keeping what was typed, the
publish refusal's messages on the page, the handover's sign / take over / refuse buttons and
the printable log."""

import subprocess  # nosec B404: pdftotext reads the PDF the test made
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from utilitydesk.duty import pdf, selectors, services
from utilitydesk.duty.models import DutyLogEntry, DutyRole, Handover, HandoverStatus, Roster

from .conftest import major_fault, put_on, staffed_roster

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def this_month(duty):
    """A published roster of the current month: agent on every day shift, agent2 on every
    night, the director as manager on each holiday."""
    today = timezone.localdate()
    first, last = selectors.month_bounds(today.year, today.month)
    roster = staffed_roster(duty, first, last, managers=False)
    for holiday in selectors.holiday_names(first, last):
        put_on(duty, roster, duty["director"], duty["day"], DutyRole.MANAGER, holiday)
    return services.publish_roster(roster.pk, actor=duty["office"])


def test_the_pages_are_for_duty_people(client, duty, people):
    client_for(client, people["tech"])
    for name in ("duty:handover", "duty:log", "duty:roster", "duty:print"):
        assert client.get(reverse(name)).status_code == 403
    client_for(client, duty["agent"])
    for name in ("duty:handover", "duty:log", "duty:roster"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert "值班与交接班" in client.get(reverse("duty:log")).content.decode()


def test_agents_cannot_edit_the_roster(client, duty):
    client_for(client, duty["agent"])
    page = client.get(reverse("duty:roster"), {"month": "2026-01"}).content.decode()
    assert "开始编制本月值班表" not in page
    response = client.post(reverse("duty:roster_create"), {"month": "2026-01"})
    assert response.status_code == 403 and not Roster.objects.exists()


def test_publishing_refused_lists_the_days_on_the_page(client, duty):
    roster = staffed_roster(duty, managers=False)
    client_for(client, duty["office"])
    page = client.get(reverse("duty:roster"), {"month": "2026-01"}).content.decode()
    assert "2026-01-01、2026-01-02、2026-01-03" in page  # warned before publishing
    response = client.post(reverse("duty:roster_publish", args=[roster.pk]), follow=True)
    text = response.content.decode()
    assert "值班表未发布" in text
    assert "以下节假日无管理人员值班（R-1001）：2026-01-01、2026-01-02、2026-01-03" in text
    roster.refresh_from_db()
    assert roster.status == "draft"


def test_a_bad_entry_keeps_what_was_typed(client, duty, people):
    roster = services.create_roster(
        duty["unit"].pk, date(2026, 1, 1), date(2026, 1, 31), actor=duty["office"]
    )
    client_for(client, duty["office"])

    def add(role):
        return client.post(
            reverse("duty:roster_add", args=[roster.pk]),
            {
                "first_day": "2026-01-05",
                "last_day": "2026-01-09",
                "shift": duty["night"].pk,
                "person": duty["agent"].pk,
                "role": role,
            },
        )

    response = add(DutyRole.MANAGER)
    assert response.status_code == 400
    page = response.content.decode()
    assert "值班领导须为部门负责人及以上" in page
    assert 'value="2026-01-05"' in page and 'value="2026-01-09"' in page
    assert f'<option value="{duty["agent"].pk}" selected>' in page
    assert not roster.entries.exists()
    response = add(DutyRole.AGENT)
    assert response.status_code == 302 and roster.entries.count() == 5


def test_the_log_form_keeps_what_was_typed(client, duty):
    client_for(client, duty["agent"])
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("duty:log"),
        {"kind": "visitor", "occurred_at": future, "text": "张先生来访咨询退费"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "时间不能晚于当前时间" in page or "不能" in page
    assert "张先生来访咨询退费" in page and f'value="{future}"' in page
    assert not DutyLogEntry.objects.exists()


def test_a_major_event_from_the_page_tells_the_writer_the_director_knows(client, duty):
    client_for(client, duty["agent"])
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("duty:log"),
        {"kind": "major_event", "occurred_at": now, "text": "城东停电"},
        follow=True,
    )
    page = response.content.decode()
    assert "已通知客户服务中心主任" in page
    assert "城东停电" in page
    assert DutyLogEntry.objects.get().director_notified_at is not None


def test_technicians_cannot_write_the_log(client, people, duty):
    client_for(client, people["tech"])
    assert client.post(reverse("duty:log"), {"kind": "other", "text": "x"}).status_code == 403


def test_the_log_filters_and_paginates(client, duty):
    for n in range(35):
        services.write_log_entry(
            duty["unit"].pk,
            kind="other" if n % 5 else "visitor",
            occurred_at=timezone.now() - timedelta(hours=n),
            text=f"记录{n}",
            actor=duty["agent"],
        )
    client_for(client, duty["agent"])
    page = client.get(reverse("duty:log")).content.decode()
    assert "记录0" in page and "记录34" not in page and "共 35" in page or "35" in page
    visitors = client.get(reverse("duty:log"), {"kind": "visitor"}).content.decode()
    assert "记录5<" in visitors and "记录1<" not in visitors


def test_handover_sign_refuse_and_take_over_through_the_page(client, duty, this_month):
    today = timezone.localdate()
    day_shift, night = duty["day"], duty["night"]
    major_fault(duty)
    client_for(client, duty["agent"])
    url = reverse("duty:handover")
    query = {"day": today.isoformat(), "shift": day_shift.pk}
    page = client.get(url, query).content.decode()
    assert "城东主干线泄漏" in page and "签字交班" in page
    write = reverse("duty:handover_write", args=[duty["unit"].pk, today.isoformat(), day_shift.pk])
    assert client.post(write, {"notes": "", "sign": "1"}).status_code == 302
    handover = Handover.objects.get()
    assert handover.status == HandoverStatus.HANDED_OVER

    client_for(client, duty["agent2"])
    page = client.get(url, query).content.decode()
    assert "签字接班" in page and "记录不清" in page and "确认接收" in page
    refused = client.post(reverse("duty:handover_refuse", args=[handover.pk]), {"note": "x"})
    assert refused.status_code == 400 and "请至少勾选一项拒接理由" in refused.content.decode()
    accepted = client.post(reverse("duty:handover_accept", args=[handover.pk]), {})
    assert accepted.status_code == 400
    assert "有未完成的紧急工作且交接说明为空" in accepted.content.decode()
    response = client.post(
        reverse("duty:handover_refuse", args=[handover.pk]),
        {"conditions": ["repair_unfinished"], "note": "抢修未交代"},
    )
    assert response.status_code == 302
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.REFUSED

    client_for(client, duty["agent"])
    client.post(write, {"notes": "东环路抢修中，维修部李班长负责，预计 22 点完成", "sign": "1"})
    client_for(client, duty["agent2"])
    assert client.post(reverse("duty:handover_accept", args=[handover.pk]), {}).status_code == 302
    handover.refresh_from_db()
    assert (
        handover.status == HandoverStatus.ACCEPTED and handover.incoming_signed_by == duty["agent2"]
    )
    page = client.get(url, query).content.decode()
    assert "接班" in page and "重大维修未完且无交接说明" in page  # the refusal stays visible

    pdf = client.get(reverse("duty:print"), {"day": today.isoformat(), "shift": day_shift.pk})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert night  # the incoming shift of the day shift


def test_the_printable_log_renders_chinese(duty):
    services.write_log_entry(
        duty["unit"].pk,
        kind="call_peak",
        occurred_at=None,
        text="夜间来电激增",
        actor=duty["agent"],
    )
    entries = selectors.log_entries(duty["agent"], duty["unit"])
    document = pdf.render_log(
        duty["unit"], timezone.localdate(), None, entries, [], printed_by=duty["agent"]
    )
    text = subprocess.run(  # nosec B603 B607: a fixed command on the test's own bytes
        ["pdftotext", "-", "-"], input=document, capture_output=True, check=True
    ).stdout.decode()
    assert "值班记录" in text and "夜间来电激增" in text and "话务高峰" in text
