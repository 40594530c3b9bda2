"""Case deadlines, pauses and escalations moved from the sla (now policy) app to cases with
state-only migrations: a database migrated before the move migrates forward with every row,
table, index and constraint as it was (docs/decisions/0003-policy-keeps-the-sla-label.md)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from utilitydesk.cases.models import Case, CaseDeadline, CaseEscalation, CasePause
from utilitydesk.policy.models import EscalationLevel, LimitRule, PolicyVersion

pytestmark = pytest.mark.django_db(transaction=True)

# The leaf migrations of the two apps before the move.
BEFORE = [
    ("cases", "0010_case_building_and_export_permission"),
    ("sla", "0009_hotline_hours"),
]
MOVE = [
    ("sla", "0010_case_deadlines_move_to_cases"),
    ("cases", "0011_case_deadlines_move_from_sla"),
]
TABLES = ("sla_casedeadline", "sla_casepause", "sla_caseescalation")
AT = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


def _schema() -> dict:
    with connection.cursor() as cursor:
        return {
            table: (
                [
                    (c.name, c.type_code, c.null_ok)
                    for c in connection.introspection.get_table_description(cursor, table)
                ],
                connection.introspection.get_constraints(cursor, table),
            )
            for table in TABLES
        }


def _rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def _write_before_the_move(apps) -> None:
    """Rows written with the models as they were: the case-side ones still in ``sla``."""
    policy = apps.get_model("sla", "PolicyVersion").objects.create(
        number=9001, status="published", note="before the move"
    )
    apps.get_model("sla", "LimitRule").objects.create(
        policy=policy, name="resolution", amount=Decimal("24"), unit="hours"
    )
    apps.get_model("sla", "EscalationLevel").objects.create(
        policy=policy, level=1, after_hours=4, position="station_head"
    )
    agent = apps.get_model("auth", "User").objects.create(username="mover")
    case = apps.get_model("cases", "Case").objects.create(
        number="MV0000001",
        kind="repair",
        channel="phone",
        content="No heat",
        received_at=AT,
        first_responder=agent,
        status="waiting",
        policy_version=policy,
        next_check_at=AT + timedelta(hours=4),
    )
    deadline = apps.get_model("sla", "CaseDeadline")
    deadline.objects.create(
        case=case,
        name="first_response",
        due_at=AT + timedelta(minutes=30),
        original_due_at=AT + timedelta(minutes=30),
        amount=Decimal("0.5"),
        unit="hours",
        state="breached",
        breached_at=AT + timedelta(minutes=30),
        warned_at=AT + timedelta(minutes=20),
    )
    deadline.objects.create(
        case=case,
        name="resolution",
        due_at=AT + timedelta(days=1),
        original_due_at=AT + timedelta(days=1),
        amount=Decimal("1"),
        unit="working_days",
        provisional=True,
        state="paused",
        paused_at=AT + timedelta(hours=2),
    )
    apps.get_model("sla", "CasePause").objects.create(
        case=case, started_at=AT + timedelta(hours=2), reason="Customer away until Friday"
    )
    apps.get_model("sla", "CaseEscalation").objects.create(
        case=case,
        level=1,
        position="station_head",
        at=AT + timedelta(hours=4),
        targets=["head_east"],
    )


def test_moving_case_deadlines_to_cases_keeps_every_row_table_and_index():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    _write_before_the_move(executor.loader.project_state(BEFORE).apps)
    schema_before = _schema()
    with connection.cursor() as cursor:
        before = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # nosec B608: fixed names
            before[table] = cursor.fetchall()

    # The two migrations of the move touch no table: state only.
    sql = executor.loader.collect_sql([(executor.loader.graph.nodes[key], False) for key in MOVE])
    assert [s for s in sql if not s.startswith("--") and s not in ("BEGIN;", "COMMIT;")] == []

    executor.loader.build_graph()
    executor.migrate(MOVE)  # the move alone: later migrations (new indexes) change schemas

    assert _schema() == schema_before
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # nosec B608: fixed names
            assert cursor.fetchall() == before[table], table

    # The models now in cases read the same rows; the policy rows are where they were
    # (read with today's models, so with the database migrated to today).
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    case = Case.objects.get(number="MV0000001")
    assert [(d.name, d.state, d.provisional) for d in case.deadlines.order_by("due_at")] == [
        ("first_response", CaseDeadline.State.BREACHED, False),
        ("resolution", CaseDeadline.State.PAUSED, True),
    ]
    assert [p.reason for p in CasePause.objects.filter(case=case)] == ["Customer away until Friday"]
    escalation = CaseEscalation.objects.get(case=case)
    assert (escalation.level, escalation.targets) == (1, ["head_east"])
    assert case.policy_version == PolicyVersion.objects.get(number=9001)
    assert LimitRule.objects.filter(policy__number=9001, name="resolution").exists()
    assert EscalationLevel.objects.filter(policy__number=9001, level=1).exists()
    assert CaseDeadline._meta.db_table == "sla_casedeadline"
    assert {m._meta.app_label for m in (CaseDeadline, CasePause, CaseEscalation)} == {"cases"}
    assert PolicyVersion._meta.app_label == "sla"
