"""The payment notice before the season (a text per bill and mobile phone with the amount
and the due day, never twice), the reminder before the due day only for accounts that still
owe, and the household's PDF."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from utilitydesk.billing import ledger, notices, services
from utilitydesk.billing.models import Bill, EntryKind
from utilitydesk.notifications.models import Message
from utilitydesk.outages.tests.conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billed(people, customers):
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    return customers


def texts():
    return list(Message.objects.exclude(template_code="").order_by("pk"))


def at_local(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def test_one_notice_per_bill_and_mobile_never_twice(billed):
    # East has a mobile and a landline, west a mobile: two texts.
    assert notices.send_payment_notices(2026, actor=None, now=NOW) == 2
    sent = texts()
    east = next(m for m in sent if m.customer_id == billed["east"].pk)
    assert east.template_code == notices.BILL_NOTICE
    assert "2,230.20元" in east.body and "2026年11月15日" in east.body
    assert "2026-2027" in east.body
    assert notices.send_payment_notices(2026, actor=None, now=NOW) == 0
    assert len(texts()) == 2


def test_reminder_only_in_the_lead_and_only_for_accounts_that_owe(billed):
    due = Bill.objects.first().due_on  # 2026-11-15, reminder lead 15 days: from 10-31
    assert notices.send_reminders(now=at_local(due - timedelta(days=16))) == 0
    # West has paid in full; east has paid 1,000.00 and still owes 1,230.20.
    west, east = billed["west"], billed["east"]
    ledger.post_entry(west.pk, EntryKind.PAYMENT, D("-2230.20"), "payment:t:w", actor=None)
    ledger.post_entry(east.pk, EntryKind.PAYMENT, D("-1000.00"), "payment:t:e", actor=None)
    assert notices.send_reminders(now=at_local(due - timedelta(days=15))) == 1
    (reminder,) = texts()
    assert reminder.customer_id == east.pk and "1,230.20元" in reminder.body
    assert notices.send_reminders(now=at_local(due - timedelta(days=3))) == 0
    assert notices.send_reminders(now=at_local(due + timedelta(days=1))) == 0


def test_the_payment_notice_pdf(billed, people):
    bill = Bill.objects.get(customer=billed["east"])
    pdf = notices.render_notice(bill, people["agent"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    fields = dict(notices.notice_fields(bill, bill.total))
    assert fields["本期热费"] == "2,230.20 元" and fields["计费面积"] == "88.50 m²"
    assert fields["缴费截止"] == "2026年11月15日"
