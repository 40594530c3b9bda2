"""The production stack started together on loopback (issue 18, `make prod-check`): nginx
with deploy/nginx/utilitydesk.conf → gunicorn, the Celery worker and beat as the units in
deploy/systemd/ start them, with deploy/utilitydesk.env.example's variables, on a
PostgreSQL database and a Redis server of the test's own. Cases are submitted through
nginx; a Celery worker is killed and replaced; Redis is restarted; a worker killed in the
middle of a customer import and of a sweep is replaced and the work ends done once.

Runs with PROD_CHECK=1 (make prod-check), on PostgreSQL, where nginx is installed."""

import json
import os
import re
import signal
from pathlib import Path

import psycopg
import pytest

from scripts.prodstack import NGINX, Stack, exec_start, wait_for

PG = os.environ.get("PROD_CHECK_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = f"ud_prodcheck_{os.getpid()}"

pytestmark = [
    pytest.mark.skipif(os.environ.get("PROD_CHECK") != "1", reason="make prod-check runs it"),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed"),
]


@pytest.fixture
def stack(tmp_path):
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        pg.execute(f'CREATE DATABASE "{DATABASE}"')
    running = Stack(
        tmp_path,
        f"{PG}/{DATABASE}",
        # An import whose worker was killed is taken again soon, a sweep redone soon.
        IMPORT_LEASE_SECONDS="10",
        IMPORT_RESUME_SCAN_SECONDS="5",
        IMPORT_CHUNK_ROWS="1000",
        SWEEP_INTERVAL_SECONDS="10",
    )
    try:
        running.start_redis()
        running.manage("migrate", "--noinput", "-v", "0")
        running.manage("load_demo", "--customers", "300")
        running.manage("collectstatic", "--noinput", "-v", "0")
        running.start_all()
        yield running
    finally:
        running.stop_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _ready(stack) -> dict:
    response, body = stack.request("GET", "/readyz")
    return json.loads(body) if response.status == 200 else {}


def _token(stack) -> str:
    response, body = stack.request(
        "POST", "/api/v1/auth/token/", {"username": "agent", "password": "demo-2026"}
    )
    assert response.status == 200, body
    return json.loads(body)["token"]


def _submit(stack, token: str, count: int) -> list[str]:
    numbers = []
    for index in range(count):
        response, body = stack.request(
            "POST",
            "/api/v1/contacts/",
            {
                "channel": "phone",
                "kind": "repair",
                "content": f"暖气不热（上线检查 {index}）",
                "caller_phone": f"1390000{index:04d}",
                "caller_name": "王先生",
                "allow_duplicate": True,
            },
            {"Authorization": f"Token {token}"},
        )
        assert response.status == 201, body
        numbers.append(json.loads(body)["case"]["number"])
    return numbers


def test_the_stack_serves_through_nginx_and_survives_a_worker_kill_and_a_redis_restart(stack):
    # nginx serves the static files itself and passes its request id to the application.
    response, _body = stack.request("GET", "/static/vendor/htmx/htmx.min.js")
    assert response.status == 200 and response.getheader("Content-Type").endswith("javascript")
    response, _body = stack.request("GET", "/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response.getheader("X-Request-ID"))
    # The beat schedules the heartbeat, the worker runs it: ready.
    checks = wait_for(lambda: _ready(stack), timeout=90, every=2)
    assert checks["checks"]["redis"]["state"] == "ok"
    token = _token(stack)
    numbers = _submit(stack, token, 20)
    assert len(set(numbers)) == 20
    # /metrics is the monitoring host's: through nginx only from the loopback.
    response, body = stack.request("GET", "/metrics")
    assert response.status == 200 and b"utilitydesk_cases_open" in body

    # A worker killed outright: a new one takes over; the periodic jobs go on.
    stack.stop("worker", signal.SIGKILL)
    beat_before = json.loads(stack.request("GET", "/readyz")[1])["checks"]["heartbeat"]["detail"]
    stack.start("worker", exec_start("utilitydesk-worker.service"))
    wait_for(
        lambda: (
            json.loads(stack.request("GET", "/readyz")[1])["checks"]["heartbeat"]["detail"]
            != beat_before
        ),
        timeout=90,
        every=2,
    )

    # Redis restarted: not ready while it is down, ready again after, nothing lost.
    stack.stop("redis")
    wait_for(lambda: stack.request("GET", "/readyz")[0].status == 503, timeout=30)
    numbers += _submit(stack, token, 5)  # the database still takes cases
    stack.start_redis()
    wait_for(lambda: _ready(stack), timeout=120, every=2)
    numbers += _submit(stack, token, 5)
    with psycopg.connect(f"{PG}/{DATABASE}") as pg:
        stored = pg.execute(
            "SELECT count(*), count(DISTINCT number) FROM cases_case WHERE number = ANY(%s)",
            [numbers],
        ).fetchone()
    assert stored == (30, 30)


def _query(sql: str, params=()) -> tuple:
    with psycopg.connect(f"{PG}/{DATABASE}") as pg:
        return pg.execute(sql, params).fetchone()


def _kill_worker_when(stack, condition, what: str) -> None:
    """SIGKILL the Celery worker (and its pool) once ``condition()`` holds."""
    wait_for(condition, timeout=120, every=0.05)
    stack.stop("worker", signal.SIGKILL)
    assert stack.processes.get("worker") is None, what


def test_an_import_and_a_sweep_whose_worker_is_killed_finish_once(stack, tmp_path):
    # An import of 30,000 rows, the worker killed part-way: a new worker continues it
    # from its last committed chunk; every account is there once.
    rows = 30_000
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("户号,姓名,电话,区,小区,楼,单元,室,供热面积\n")
        for i in range(rows):
            building, slot = divmod(i, 72)
            handle.write(
                f"K{i:07d},客户{i},139{i:08d},续导区,续导小区{building // 20},"
                f"{building % 20 + 1}号楼,{slot // 24 + 1},{(slot % 24) // 4 + 1}0{slot % 4 + 1},88.5\n"
            )
    job_id = int(
        stack.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from django.core.files.uploadedfile import SimpleUploadedFile\n"
            "from utilitydesk.customers.services import start_import\n"
            f"data = open({str(path)!r}, 'rb').read()\n"
            "job = start_import(SimpleUploadedFile('customers.csv', data), False, True, "
            "actor=get_user_model().objects.get(username='admin'))\n"
            "print(job.pk)\n",
        ).split()[-1]
    )

    def part_way() -> bool:
        done, total = _query(
            "SELECT processed_rows, total_rows FROM customers_importjob WHERE id = %s", [job_id]
        )
        return 0 < done < total

    _kill_worker_when(stack, part_way, "import")
    interrupted_at = _query(
        "SELECT processed_rows FROM customers_importjob WHERE id = %s", [job_id]
    )
    stack.start("worker", exec_start("utilitydesk-worker.service"))
    status = wait_for(
        lambda: _query(
            "SELECT status FROM customers_importjob WHERE id = %s AND status IN ('done', 'failed')",
            [job_id],
        ),
        timeout=180,
        every=1,
    )
    attempt, report = _query(
        "SELECT attempt, report FROM customers_importjob WHERE id = %s", [job_id]
    )
    assert status == ("done",) and attempt >= 2 and interrupted_at[0] < rows
    assert report["created"] == rows and report["rejected_rows"] == 0
    assert _query(
        "SELECT count(*), count(DISTINCT account_no) FROM customers_customer "
        "WHERE account_no LIKE 'K%%'"
    ) == (rows, rows)
    assert _query(
        "SELECT count(*) FROM customers_premises p JOIN customers_customer c "
        "ON c.id = p.customer_id WHERE c.account_no LIKE 'K%%'"
    ) == (rows,)
    assert _query(
        "SELECT count(*) FROM customers_customerphone p JOIN customers_customer c "
        "ON c.id = p.customer_id WHERE c.account_no LIKE 'K%%'"
    ) == (rows,)

    # A sweep escalating many overdue cases, its worker killed part-way: the next sweep
    # escalates the rest; each case is escalated (and told) exactly once.
    cases = 12_000
    stack.manage(
        "shell",
        "-c",
        "from django.utils import timezone\n"
        "from utilitydesk.demo.city import generate_open_cases\n"
        f"generate_open_cases({cases}, timezone.now(), prefix='SW', within_hours=0.01)\n",
    )
    with psycopg.connect(f"{PG}/{DATABASE}") as pg:
        pg.execute(
            "UPDATE sla_casedeadline SET state = 'breached', "
            "breached_at = now() - interval '24 hours' "
            "WHERE case_id IN (SELECT id FROM cases_case WHERE number LIKE 'SW%%')"
        )
        # 25 hours old and unhandled: the first escalation level is due for each.
        pg.execute(
            "UPDATE cases_case SET received_at = now() - interval '25 hours', kind = 'repair', "
            "status = 'dispatched', next_check_at = now() - interval '1 hour' "
            "WHERE number LIKE 'SW%%'"
        )
    escalated = (
        "SELECT count(*), count(DISTINCT e.case_id) FROM sla_caseescalation e "
        "JOIN cases_case c ON c.id = e.case_id WHERE c.number LIKE 'SW%%'"
    )
    _kill_worker_when(stack, lambda: 0 < _query(escalated)[0] < cases, "sweep")
    partly = _query(escalated)[0]
    stack.start("worker", exec_start("utilitydesk-worker.service"))
    wait_for(lambda: _query(escalated)[0] == cases, timeout=240, every=2)
    assert 0 < partly < cases
    assert _query(escalated) == (cases, cases)
    assert _query(
        "SELECT count(*), count(DISTINCT ev.case_id) FROM cases_caseevent ev "
        "JOIN cases_case c ON c.id = ev.case_id "
        "WHERE c.number LIKE 'SW%%' AND ev.action = 'escalated'"
    ) == (cases, cases)
    assert _query(
        "SELECT count(*) = count(DISTINCT dedupe_key) FROM notifications_message "
        "WHERE reference LIKE 'case:SW%%' AND dedupe_key LIKE 'esc:%%'"
    ) == (True,)
