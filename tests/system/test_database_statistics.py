"""The work lists' tables are analysed after small changes (kernel/statistics.py), so the
planner sees today's open cases and callbacks, not last month's."""

import pytest
from django.db import connection

from utilitydesk.kernel.statistics import ANALYZE_SCALE_FACTOR, ANALYZE_THRESHOLD

TABLES = ["cases_case", "sla_casedeadline", "callbacks_callbacktask", "notifications_message"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="autovacuum: PostgreSQL"),
]


def test_the_work_lists_tables_are_analysed_after_small_changes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [TABLES])
        options = {name: set(opts or []) for name, opts in cursor.fetchall()}
    assert set(options) == set(TABLES)
    for table in TABLES:
        assert f"autovacuum_analyze_scale_factor={ANALYZE_SCALE_FACTOR}" in options[table], table
        assert f"autovacuum_analyze_threshold={ANALYZE_THRESHOLD}" in options[table], table


def test_other_tables_keep_the_servers_settings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'customers_customer'")
        assert cursor.fetchone()[0] is None
