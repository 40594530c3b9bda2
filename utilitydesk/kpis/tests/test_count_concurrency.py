"""Two workers counting the same days at once (the ten-minute job beside a manual
recount): each waits for the other, nothing doubles, no worker fails. PostgreSQL only:
its advisory lock is what is being proved."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import is_postgres
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.kpis import selectors, services
from utilitydesk.kpis.models import CountedDay, DayCount
from utilitydesk.kpis.periods import parse_period
from utilitydesk.kpis.tests.test_kpis import callback, case
from utilitydesk.outages.tests.test_interruption_concurrency import run_together

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]

NOW = datetime(2026, 11, 25, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_two_counts_at_once_store_each_count_once(org, people):
    for _ in range(3):
        resolved = case(org["east"], first_responder=people["agent"], assignee=people["tech"])
        callback(resolved, people["agent"], CallbackTask.Status.DONE, "satisfied")
    services.count_days(date(2026, 11, 1), date(2026, 11, 30), now=NOW)
    alone = DayCount.objects.count()
    results = run_together(
        [lambda: services.count_days(date(2026, 11, 1), date(2026, 11, 30), now=NOW)] * 2
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert DayCount.objects.count() == alone
    assert CountedDay.objects.count() == 30
    month = parse_period("2026-11")
    figure = selectors.figures(
        people["gm"], month.start, month.end, unit=org["company"], codes=["callback_rate"]
    )[0]
    assert (figure.numerator, figure.denominator, figure.counted_at) == (3, 3, NOW)
