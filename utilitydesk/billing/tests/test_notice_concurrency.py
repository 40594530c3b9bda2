"""Two payment-notice runs and two reminder runs at once (a double click, the daily job
beside a manual run): each phone is told once. PostgreSQL only: the notices' unique key is
what is being proved."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import is_postgres
from utilitydesk.billing import notices, services
from utilitydesk.billing.models import Bill
from utilitydesk.notifications.models import Message
from utilitydesk.outages.tests.conftest import NOW
from utilitydesk.outages.tests.test_interruption_concurrency import run_together

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


def test_two_runs_at_once_tell_each_phone_once(people, customers):
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    results = run_together(
        [lambda: notices.send_payment_notices(2026, actor=None, now=NOW) for _ in range(2)]
    )
    assert [r[0] for r in results] == ["ok", "ok"]
    assert sum(r[1] for r in results) == 2
    assert Message.objects.filter(template_code=notices.BILL_NOTICE).count() == 2
    due = Bill.objects.first().due_on
    moment = timezone.make_aware(datetime(due.year, due.month, due.day, 9)) - timedelta(days=5)
    results = run_together([lambda: notices.send_reminders(now=moment) for _ in range(2)])
    assert [r[0] for r in results] == ["ok", "ok"]
    assert Message.objects.filter(template_code=notices.BILL_REMINDER).count() == 2
