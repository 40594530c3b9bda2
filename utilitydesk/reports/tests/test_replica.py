"""Reports read from the replica when one is configured (kernel/routing.py,
docs/scaling.md): the same report, its reads on the second connection, its writes on the
primary. In tests the replica alias is a second connection to the test database."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from utilitydesk.reports import services
from utilitydesk.reports.models import Report, ReportKind

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
MONDAY = datetime(2026, 11, 16, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_report_reads_on_the_replica_and_writes_on_the_primary(world, org, people, settings):
    primary_only = services.generate(
        ReportKind.WEEKLY, org["company"], "2026-W46", actor=people["gm"], now=MONDAY
    ).content
    settings.READ_FROM_REPLICA = True
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        report = services.generate(
            ReportKind.WEEKLY, org["company"], "2026-W46", actor=people["gm"], now=MONDAY
        )
    assert report.content == primary_only
    reads = [q["sql"] for q in on_replica.captured_queries]
    assert any("cases_case" in sql for sql in reads)
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE")) for sql in reads)
    assert any(
        q["sql"].startswith(("INSERT", "UPDATE")) and "reports_report" in q["sql"]
        for q in on_primary.captured_queries
    )
    assert Report.objects.get(pk=report.pk).revision == 2
    # Outside a report every read stays on the primary.
    with CaptureQueriesContext(connections["replica"]) as elsewhere:
        list(Report.objects.all())
    assert elsewhere.captured_queries == []
