"""`make bench`: measures the operations that matter on PostgreSQL at realistic volumes and
writes docs/benchmarks.md (for people) and docs/benchmarks.json (for tools).

HTTP operations go through the real stack: gunicorn with several workers on 127.0.0.1.
Each run updates the rows it measured and keeps the others."""

import argparse
import http.client
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
DOCS = Path(os.environ.get("BENCH_DOCS_DIR", ROOT / "docs"))  # another folder for trial runs
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CREATE_CONTENT = "暖气不热（压测）"  # marks the API benchmark's cases, removed afterwards


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def latency_summary(samples_ms: list[float]) -> dict:
    return {
        "requests": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "p99_ms": round(percentile(samples_ms, 99), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


class Server:
    """gunicorn on 127.0.0.1:PORT with the bench database."""

    def __init__(self, env: dict, workers: int = 4):
        self.env, self.workers, self.proc = env, workers, None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "utilitydesk.wsgi",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        WORKER_PEAKS_KB.extend(worker_peaks_kb(self.proc.pid))
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


WORKER_PEAKS_KB: list[int] = []


def worker_peaks_kb(master_pid: int) -> list[int]:
    """Peak resident memory (VmHWM) of each gunicorn worker, read from /proc."""
    peaks = []
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return peaks
    for child in children:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        except OSError:
            continue
    return peaks


def staff_session_key(user) -> str:
    """A signed-in session of ``user`` as the login page makes it (its key)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["_language"] = "zh-hans"
    store.create()
    return store.session_key


def household_session_key(phone: str) -> str:
    """A self-service session signed in with ``phone`` (its key)."""
    from importlib import import_module

    from django.conf import settings

    from utilitydesk.selfservice.views import SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = phone
    store.create()
    return store.session_key


def session_login(username: str) -> dict:
    """Request headers of a logged-in session for ``username``, as the login page makes it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={staff_session_key(user)}"}


def queries_of_page(username: str, path: str) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def prepare_city(args) -> None:
    """Generate the benchmark city once (make_city adds only what is missing)."""
    from django.core.management import call_command

    from utilitydesk.cases.models import Case
    from utilitydesk.customers.models import Customer

    if (
        Customer.objects.filter(account_no__startswith="8").count() < args.customers
        or Case.objects.count() < args.cases
    ):
        call_command(
            "make_city",
            customers=args.customers,
            cases=args.cases,
            open=args.open_cases,
            seasons=args.seasons,
        )


def timed_get(conn: http.client.HTTPConnection, path: str, headers: dict) -> float:
    """Milliseconds for one GET that must answer 200 (``headers`` carry the login)."""
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return elapsed


def bench_screen_pop(args, env) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from utilitydesk.accounts.services import issue_token
    from utilitydesk.customers.models import Customer, CustomerPhone, Premises
    from utilitydesk.customers.selectors import lookup_customers

    total_customers = Customer.objects.count()
    agent = get_user_model().objects.get(username="agent")
    auth = {"Authorization": f"Token {issue_token(agent).key}"}
    rng = random.Random(1)
    phones = list(
        CustomerPhone.objects.order_by("?").values_list("number", flat=True)[: args.requests]
    )
    accounts = list(
        Customer.objects.order_by("?").values_list("account_no", flat=True)[: args.requests]
    )
    addresses = [
        a[3:]
        for a in Premises.objects.order_by("?").values_list("address_text", flat=True)[
            : args.requests
        ]
    ]
    with CaptureQueriesContext(connection) as queries:
        lookup_customers(agent, phone=phones[0])
    results = {}
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for label, key, values in (
            ("phone", "phone", phones),
            ("account", "account_no", accounts),
            ("address", "address", addresses),
        ):
            for value in values[:20]:  # warm-up
                timed_get(conn, "/api/v1/customers/lookup/?" + urlencode({key: value}), auth)
            rng.shuffle(values)
            samples = [
                timed_get(conn, "/api/v1/customers/lookup/?" + urlencode({key: v}), auth)
                for v in values
            ]
            results[label] = latency_summary(samples)
    return {
        "operation": "screen-pop: phone → customer summary (API)",
        "volume": f"{total_customers:,} customers",
        "target": "p95 ≤ 30 ms",
        "target_ms": 30,
        "figure_ms": results["phone"]["p95_ms"],
        "met": results["phone"]["p95_ms"] <= 30,
        "queries_per_request": len(queries),
        "detail": results,
        "how": f"sequential keep-alive client, gunicorn -w {args.workers}, lookups logged to the access log",
    }


def _post_contacts(args_tuple) -> tuple[list[float], int]:
    """One client process: POST its share of contacts over one keep-alive connection."""
    token, customer_ids, seed = args_tuple
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    samples, errors = [], 0
    for index, customer_id in enumerate(customer_ids):
        body = json.dumps(
            {
                "channel": "phone",
                "kind": "repair",
                "content": CREATE_CONTENT,
                "customer_id": customer_id,
                "allow_duplicate": True,
            }
        )
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{seed}-{index}-{time.time_ns()}",
        }
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/contacts/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 201
        except OSError:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            ok = False
        samples.append((time.perf_counter() - start) * 1000)
        errors += 0 if ok else 1
    return samples, errors


def bench_case_creation(args, env) -> dict:
    from multiprocessing import Pool

    from django.contrib.auth import get_user_model

    from utilitydesk.accounts.services import issue_token
    from utilitydesk.customers.models import Customer

    agent = get_user_model().objects.get(username="agent")
    token = issue_token(agent).key
    rng = random.Random(5)
    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = list(
        Customer.objects.filter(
            pk__in=[rng.randrange(1, top + 1) for _ in range(args.creates * 2)]
        ).values_list("pk", flat=True)[: args.creates]
    )
    clients = args.clients
    shares = [(token, ids[i::clients], i) for i in range(clients)]
    with Server(env, workers=args.workers), Pool(clients) as pool:
        pool.map(
            _post_contacts, [(token, share[:10], 99) for _t, share, _s in shares[:2]]
        )  # warm-up
        start = time.perf_counter()
        results = pool.map(_post_contacts, shares)
        elapsed = time.perf_counter() - start
    samples = [ms for part, _e in results for ms in part]
    errors = sum(e for _p, e in results)
    _delete_cases("content = %s", [CREATE_CONTENT])
    throughput = round(len(samples) / elapsed, 1)
    summary = latency_summary(samples)
    return {
        "operation": "case creation through the API, 8 concurrent clients",
        "volume": f"{len(samples):,} cases",
        "target": "≥ 250 cases/s, p95 ≤ 60 ms, 0 errors",
        "target_ms": 60,
        "figure_ms": summary["p95_ms"],
        "figure_text": f"{throughput} cases/s, p95 {summary['p95_ms']} ms, {errors} errors",
        "met": throughput >= 250 and summary["p95_ms"] <= 60 and errors == 0,
        "queries_per_request": "see detail",
        "detail": {"create": {**summary, "throughput_per_s": throughput, "errors": errors}},
        "how": f"{clients} client processes, keep-alive, unique Idempotency-Key each, gunicorn -w {args.workers}",
    }


EXCHANGE_SECRET = "bench-12345"  # the bench's own: gunicorn and the sender share it


def bench_exchange_intake(args, env) -> dict:
    """Issue 17: 1,000 orders transferred by the 12345 platform, posted signed one after
    another over one keep-alive connection as the platform sends them (every one a new
    case through the intake, the signing queued), through gunicorn."""
    from utilitydesk.exchange import simulator
    from utilitydesk.exchange.adapters import signed_headers
    from utilitydesk.exchange.models import Order

    count = args.exchange_orders
    now = datetime.now(UTC)
    payloads = simulator.make_orders(
        count, now - timedelta(minutes=count), seed=int(now.timestamp())
    )
    for payload in payloads:
        payload["order_no"] = "BENCH" + payload["order_no"]
    samples, errors = [], 0
    with Server({**env, "EXCHANGE_12345_SECRET": EXCHANGE_SECRET}, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        started = time.perf_counter()
        for payload in payloads:
            body = json.dumps(payload, ensure_ascii=False).encode()
            begin = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    simulator.ORDERS_PATH,
                    body=body,
                    headers=signed_headers(EXCHANGE_SECRET, body),
                )
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                ok = False
            samples.append((time.perf_counter() - begin) * 1000)
            errors += 0 if ok else 1
        elapsed = time.perf_counter() - started
    orders = Order.objects.filter(order_no__startswith="BENCH")
    case_ids = list(orders.values_list("case_id", flat=True))
    orders.delete()  # their outbound messages and events go with them
    _delete_cases("id = ANY(%s)", [case_ids])
    summary = latency_summary(samples)
    return {
        "operation": "12345 intake: orders posted by the platform, one after another",
        "volume": f"{count:,} orders",
        "target": "1,000 orders ≤ 30 s, 0 errors",
        "target_ms": 30_000,
        "figure_ms": round(elapsed * 1000),
        "figure_text": f"{elapsed:.1f} s, p95 {summary['p95_ms']} ms, {errors} errors",
        "met": elapsed <= 30 * count / 1000 and errors == 0,
        "queries_per_request": "see detail",
        "detail": {"intake": {**summary, "errors": errors}},
        "how": "one keep-alive connection, HMAC-signed bodies, gunicorn -w " + str(args.workers),
    }


def _delete_cases(where: str, params: list) -> None:
    """Remove the benchmark's own cases (``where`` selects them) and every row pointing
    at them, so the city stays as make_city left it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, number FROM cases_case WHERE {where}", params)
        rows = cursor.fetchall()
        ids, references = [r[0] for r in rows], [f"case:{r[1]}" for r in rows]
        cursor.execute("DELETE FROM notifications_message WHERE reference = ANY(%s)", [references])
        cursor.execute(
            "DELETE FROM cases_idempotencyrecord WHERE contact_id IN "
            "(SELECT id FROM cases_contact WHERE case_id = ANY(%s))",
            [ids],
        )
        for table in (
            "sla_caseescalation",
            "sla_casedeadline",
            "cases_caseevent",
            "cases_contact",
            "complaints_complaint",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE case_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM cases_case WHERE id = ANY(%s)", [ids])


def bench_sweeps(args, env) -> dict:
    """Both sweep figures: nothing due over the city's open cases, then many escalations."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from utilitydesk.cases.models import OPEN_STATUSES, Case, CaseDeadline
    from utilitydesk.cases.sweeper import sweep
    from utilitydesk.demo.city import generate_open_cases

    prefix = "BM"
    _delete_cases("number LIKE %s", [f"{prefix}%"])
    now = timezone.now()
    # Catch up first: whatever fell due since the city was made is handled, as the
    # every-minute sweeper would have; what is measured is the sweep that finds nothing.
    sweep(now)
    open_total = Case.objects.filter(status__in=OPEN_STATUSES).count()
    idle = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = sweep(now)
        idle.append((time.perf_counter() - start) * 1000)
        assert result["checked"] == 0, result
    idle_summary = latency_summary(idle)
    generate_open_cases(args.escalate, now, prefix=prefix, within_hours=0.01)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    # Make N of them 25 hours old and unhandled: the first escalation level is due for all.
    ids = list(
        Case.objects.filter(number__startswith=prefix)
        .order_by("pk")
        .values_list("pk", flat=True)[: args.escalate]
    )
    old = now - timedelta(hours=25)
    Case.objects.filter(pk__in=ids).update(
        received_at=old, kind="repair", status="dispatched", next_check_at=old + timedelta(hours=24)
    )
    CaseDeadline.objects.filter(case_id__in=ids).update(
        state="breached", breached_at=old + timedelta(hours=1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    start = time.perf_counter()
    result = sweep(now + timedelta(minutes=1))
    escalate_ms = (time.perf_counter() - start) * 1000
    _delete_cases("number LIKE %s", [f"{prefix}%"])
    return {
        "sweep_idle": {
            "operation": "sweep with nothing due",
            "volume": f"{open_total:,} open cases",
            "target": "≤ 50 ms",
            "target_ms": 50,
            "figure_ms": idle_summary["p95_ms"],
            "met": idle_summary["p95_ms"] <= 50,
            "queries_per_request": len(queries),
            "detail": {"idle sweep": idle_summary},
            "how": f"sweep(now) in-process, {args.repeat} runs, p95; reads Case.next_check_at through its index",
        },
        "sweep_escalate": {
            "operation": "sweep escalating overdue cases at once",
            "volume": f"{result['escalations']:,} escalations among {open_total + len(ids):,} open cases",
            "target": "≤ 5 s",
            "target_ms": 5000,
            "figure_ms": round(escalate_ms, 1),
            "figure_text": f"{escalate_ms / 1000:.2f} s",
            "met": escalate_ms <= 5000 and result["escalations"] >= len(ids),
            "queries_per_request": "batches of 500",
            "detail": {
                "escalation sweep": {
                    "requests": 1,
                    "p50_ms": round(escalate_ms, 1),
                    "p95_ms": round(escalate_ms, 1),
                    "p99_ms": round(escalate_ms, 1),
                    "mean_ms": round(escalate_ms, 1),
                    "escalations": result["escalations"],
                    "notifications": result["notifications"],
                }
            },
            "how": "one sweep(now) in-process; each case gets its level-1 escalation, a timeline event and an inbox message to its station head",
        },
    }


def bench_pages(args, env) -> dict:
    """The unit's open-case list and case search, HTML pages through gunicorn."""
    from django.db.models import Count

    from utilitydesk.cases.models import OPEN_STATUSES, Case
    from utilitydesk.org.models import Position

    # The station with the most open cases, seen by its head.
    busiest = (
        Case.objects.filter(status__in=OPEN_STATUSES, responsible_unit__kind="station")
        .values("responsible_unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    from django.contrib.auth import get_user_model

    head = (
        get_user_model()
        .objects.filter(
            assignments__unit_id=busiest["responsible_unit"],
            assignments__position=Position.STATION_HEAD,
        )
        .first()
    )
    total_cases = Case.objects.count()
    rng = random.Random(3)
    sample = list(
        Case.objects.filter(
            pk__in=[rng.randrange(1, total_cases) for _ in range(args.requests * 2)]
        ).values_list("number", "caller_phone", "address_text")[: args.requests]
    )
    numbers = [n for n, _p, _a in sample]
    phones = [p for _n, p, _a in sample if p]
    # An address fragment as agents type it: community and building, e.g. 阳光花园B3号楼.
    fragments = [a[3 : a.index("号楼") + 2] for _n, _p, a in sample if "号楼" in a]
    queue_path = "/cases/?view=unit"
    results = {}
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        head_login = session_login(head.username)
        for _ in range(10):
            timed_get(conn, queue_path, head_login)
        results["unit queue"] = latency_summary(
            [timed_get(conn, queue_path, head_login) for _ in range(args.requests)]
        )
        office = session_login("office")
        for label, values in (("number", numbers), ("phone", phones), ("address", fragments)):
            for value in values[:10]:
                timed_get(conn, "/cases/?" + urlencode({"q": value}), office)
            results[label] = latency_summary(
                [timed_get(conn, "/cases/?" + urlencode({"q": v}), office) for v in values]
            )
    open_at_station = busiest["n"]
    search_p95 = max(results[k]["p95_ms"] for k in ("number", "phone", "address"))
    return {
        "unit_queue": {
            "operation": "a unit's open-case list page (HTML, first page, sorted by deadline)",
            "volume": f"{open_at_station:,} open cases at the station, {total_cases:,} cases",
            "target": "p95 ≤ 60 ms",
            "target_ms": 60,
            "figure_ms": results["unit queue"]["p95_ms"],
            "met": results["unit queue"]["p95_ms"] <= 60,
            "queries_per_request": queries_of_page(head.username, queue_path),
            "detail": {"unit queue": results["unit queue"]},
            "how": f"station head's /cases/?view=unit (25 per page, emergencies then nearest deadline), sequential keep-alive client with a session cookie, gunicorn -w {args.workers}",
        },
        "case_search": {
            "operation": "case search by number / phone / address fragment",
            "volume": f"{total_cases:,} cases",
            "target": "p95 ≤ 60 ms",
            "target_ms": 60,
            "figure_ms": search_p95,
            "met": search_p95 <= 60,
            "queries_per_request": queries_of_page(
                "office", "/cases/?" + urlencode({"q": fragments[0]})
            ),
            "detail": {k: results[k] for k in ("number", "phone", "address")},
            "how": "service office's /cases/?q=… (sees every case), first page of 25 with the total count; figure is the worst variant's p95",
        },
    }


def bench_kpi(args, env) -> dict:
    """Monthly rates of every unit for the busiest month."""

    from utilitydesk.cases.models import Case
    from utilitydesk.kpis.selectors import rates_by_unit

    month = _busiest_month()
    start, end = month.start, month.end
    tables: list = []
    summary, statements = _timed_runs(lambda: tables.append(rates_by_unit(start, end)), 5)
    table = tables[-1]
    month_cases = Case.objects.filter(received_at__gte=start, received_at__lt=end).count()
    return {
        "operation": "monthly KPI figures for every unit",
        "volume": f"{month_cases:,} cases received in {month.code}, {len(table)} units",
        "target": "≤ 2 s",
        "target_ms": 2000,
        "figure_ms": summary["p95_ms"],
        "figure_text": f"{summary['p95_ms'] / 1000:.2f} s",
        "met": summary["p95_ms"] <= 2000,
        "queries_per_request": statements,
        "detail": {"rates_by_unit": summary},
        "how": "kpis.selectors.rates_by_unit(month) in-process, one warm-up then 5 runs: callback, satisfaction, valid-complaint and complaint-timeliness rates of every company, station and department, the units under each included; the month's days read from the daily counts (kpi_counts runs first, as the running system's job keeps them)",
    }


def bench_kpi_figures(args, env) -> dict:
    """Issue 16: every KPI of the company for its busiest month (the month's tile of the
    leaders' dashboard and the KPI page's first table), and every unit's (the ranking)."""

    from django.contrib.auth import get_user_model

    from utilitydesk.cases.models import Case
    from utilitydesk.kpis.selectors import figures, figures_by_unit
    from utilitydesk.org.models import OrgUnit, UnitKind

    month = _busiest_month()
    office = get_user_model().objects.get(username="office")
    company = OrgUnit.objects.filter(kind=UnitKind.COMPANY).first()
    summaries, statements = {}, {}
    for label, run in (
        ("company", lambda: figures(office, month.start, month.end, unit=company)),
        ("every unit", lambda: figures_by_unit(office, month.start, month.end)),
    ):
        summaries[label], statements[label] = _timed_runs(run, args.repeat)
    month_cases = Case.objects.filter(
        received_at__gte=month.start, received_at__lt=month.end
    ).count()
    figure = summaries["company"]["p95_ms"]
    return {
        "operation": "the month's KPIs of the company (dashboard tile)",
        "volume": f"{month_cases:,} cases received in {month.code}, {Case.objects.count():,} cases",
        "target": "p95 ≤ 300 ms",
        "target_ms": 300,
        "figure_ms": figure,
        "met": figure <= 300,
        "queries_per_request": statements["company"],
        "detail": summaries,
        "how": f"kpis.selectors.figures(office, month, unit=company) in-process: all 11 KPIs with targets, one warm-up then {args.repeat} runs; 'every unit' is figures_by_unit for the same month (the stations ranked), {statements['every unit']} statements",
    }


def _busiest_month():
    from datetime import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from utilitydesk.cases.models import Case
    from utilitydesk.kpis.periods import PeriodKind, period_containing

    busiest = (
        Case.objects.annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    local = timezone.localtime(busiest["month"])
    return period_containing(PeriodKind.MONTH, dt(local.year, local.month, 1).date())


def _timed_runs(run, repeat: int) -> tuple[dict, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm-up
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            run()
        samples.append((time.perf_counter() - began) * 1000)
    return latency_summary(samples), len(queries)


def bench_kpi_counts(args, env) -> dict:
    """Issue 16: the daily counts every figure sums: the whole city counted once (the
    first run after an upgrade, or `count_kpis --from`), and the ten-minute job."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from utilitydesk.cases.models import Case
    from utilitydesk.kpis.models import DayCount
    from utilitydesk.kpis.services import count_days, count_recent

    span = Case.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    first = timezone.localdate(span["first"])
    today = timezone.localdate()
    began = time.perf_counter()
    count_days(first, today, now=timezone.now())
    whole = time.perf_counter() - began
    stored = DayCount.objects.count()
    job, _statements = _timed_runs(lambda: count_recent(now=timezone.now(), days=2), 3)
    busiest = _busiest_month()
    month_cases = Case.objects.filter(
        received_at__gte=busiest.start, received_at__lt=busiest.end
    ).count()
    # The season's first full week (the busiest days), counted again as the daily job does.
    first_week = max(busiest.first, first)
    began = time.perf_counter()
    week = count_days(first_week, first_week + timedelta(days=6), now=timezone.now())
    busiest_week = time.perf_counter() - began
    return {
        "kpi_counts": {
            "operation": "count the KPIs' daily counts of the whole city (every day with cases)",
            "volume": f"{Case.objects.count():,} cases from {first} to {today}, {stored:,} counts stored",
            "target": "none (a job's cost; the ten-minute job's p95 is in the detail)",
            "target_ms": None,
            "figure_ms": round(whole * 1000, 1),
            "figure_text": f"{whole:.0f} s",
            "met": True,
            "queries_per_request": "one grouped query per KPI part and week, then the inserts",
            "detail": {
                "ten-minute job (today and yesterday)": job,
                "the busiest week recounted": {
                    "seconds": round(busiest_week, 1),
                    "counts": week,
                    "month_cases": month_cases,
                },
            },
            "how": "kpis.services.count_days over every day from the first case to today, in-process, a week per transaction; then the periodic job (count_recent, 2 days) 3 times; then the first week of the busiest month recounted",
        }
    }


def bench_dashboards(args, env) -> dict:
    """Issue 16: every tile of every role's dashboard over HTTP (the URLs the page's htmx
    requests), the month's KPIs of the busiest month over the API, the monthly assessment
    of every unit and person and the weekly report."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.urls import reverse

    from utilitydesk.cases.models import OPEN_STATUSES, Case
    from utilitydesk.kpis.periods import PeriodKind, period_containing
    from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position, UnitKind
    from utilitydesk.policy.services import current_policy
    from utilitydesk.reports import content
    from utilitydesk.web.dashboards import TILES_OF, dashboard_kind

    User = get_user_model()
    busiest_station = (
        Case.objects.filter(status__in=OPEN_STATUSES, responsible_unit__kind="station")
        .values("responsible_unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["responsible_unit"]
    )
    roles = {
        "general manager": User.objects.filter(
            assignments__position=Position.GENERAL_MANAGER
        ).first(),
        "station head": User.objects.filter(
            assignments__unit_id=busiest_station, assignments__position=Position.STATION_HEAD
        ).first(),
        "service-centre head": User.objects.filter(
            assignments__position=Position.DEPARTMENT_HEAD,
            assignments__unit__function=DepartmentFunction.SERVICE_CENTRE,
        ).first(),
        # The agent following most open cases (their first tile lists them).
        "agent": User.objects.filter(assignments__position=Position.AGENT)
        .annotate(
            n=Count(
                "first_responded_cases", filter=Q(first_responded_cases__status__in=OPEN_STATUSES)
            )
        )
        .order_by("-n")
        .first(),
    }
    company = OrgUnit.objects.filter(kind=UnitKind.COMPANY).first()
    month = _busiest_month()
    week = period_containing(PeriodKind.WEEK, month.first + timedelta(days=14))
    tiles: dict[str, dict] = {}
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        for role, user in roles.items():
            if user is None:
                continue
            login = session_login(user.username)
            for name in TILES_OF[dashboard_kind(user)]:
                path = reverse("core:dashboard_tile", args=[name])
                for _ in range(5):
                    timed_get(conn, path, login)
                tiles[f"{role}: {name}"] = latency_summary(
                    [timed_get(conn, path, login) for _ in range(args.tile_requests)]
                )
        gm_login = session_login(roles["general manager"].username)
        api = f"/api/v1/kpis/?unit={company.pk}&period={month.code}"
        for _ in range(5):
            timed_get(conn, api, gm_login)
        api_month = latency_summary(
            [timed_get(conn, api, gm_login) for _ in range(args.tile_requests)]
        )
    worst_tile = max(tiles, key=lambda k: tiles[k]["p95_ms"])
    worst = tiles[worst_tile]["p95_ms"]
    policy = current_policy()
    assessment, assessment_statements = _timed_runs(
        lambda: content.assessment_table(company, month, policy), 3
    )
    weekly, weekly_statements = _timed_runs(lambda: content.weekly_report(company, week, policy), 3)
    month_cases = Case.objects.filter(
        received_at__gte=month.start, received_at__lt=month.end
    ).count()
    week_cases = Case.objects.filter(received_at__gte=week.start, received_at__lt=week.end).count()
    people = User.objects.filter(assignments__is_active=True).distinct().count()
    units = OrgUnit.objects.filter(is_active=True).count()
    total = Case.objects.count()
    return {
        "dashboard_tiles": {
            "operation": "every dashboard tile of every role (HTML over HTTP, the page's own htmx requests)",
            "volume": f"{total:,} cases, {Case.objects.filter(status__in=OPEN_STATUSES).count():,} open; today's date, the season's first days",
            "target": "p95 ≤ 300 ms",
            "target_ms": 300,
            "figure_ms": worst,
            "met": worst <= 300,
            "queries_per_request": "see web/tests/test_dashboards.py (at most 45 a tile)",
            "detail": {**tiles, f"API month KPIs {month.code}": api_month},
            "how": f"each role's /dashboard/<tile>/ (general manager, the head of the station with most open cases, the service-centre head, an agent), 5 warm-up then {args.tile_requests} sequential requests per tile, gunicorn -w {args.workers}; figure is the worst tile ({worst_tile}); 'API month KPIs' is /api/v1/kpis/?unit=company&period={month.code}, the month tile's figures for the busiest month ({month_cases:,} cases), p95 {api_month['p95_ms']} ms",
        },
        "kpi_month_api": {
            "operation": "the month's KPIs of the company for the busiest month over the API (the month tile's figures)",
            "volume": f"{month_cases:,} cases received in {month.code}, {total:,} cases",
            "target": "p95 ≤ 300 ms",
            "target_ms": 300,
            "figure_ms": api_month["p95_ms"],
            "met": api_month["p95_ms"] <= 300,
            "queries_per_request": queries_of_page(roles["general manager"].username, api),
            "detail": {"api": api_month},
            "how": f"GET /api/v1/kpis/?unit=company&period={month.code} as the general manager, 5 warm-up then {args.tile_requests} requests, gunicorn -w {args.workers}; the days are counted (daily counts)",
        },
        "assessment": {
            "operation": "the monthly assessment table of every unit and person",
            "volume": f"{month_cases:,} cases received in {month.code}; {units} units, {people:,} people",
            "target": "≤ 5 s",
            "target_ms": 5000,
            "figure_ms": assessment["p95_ms"],
            "figure_text": f"{assessment['p95_ms'] / 1000:.2f} s",
            "met": assessment["p95_ms"] <= 5000,
            "queries_per_request": assessment_statements,
            "detail": {"assessment_table": assessment},
            "how": f"reports.content.assessment_table(company, {month.code}, policy) in-process, one warm-up then 3 runs (the slowest is the figure)",
        },
        "weekly_report": {
            "operation": "the weekly service report of the company",
            "volume": f"{week_cases:,} cases received in {week.code}, {total:,} cases",
            "target": "≤ 10 s",
            "target_ms": 10000,
            "figure_ms": weekly["p95_ms"],
            "figure_text": f"{weekly['p95_ms'] / 1000:.2f} s",
            "met": weekly["p95_ms"] <= 10000,
            "queries_per_request": weekly_statements,
            "detail": {"weekly_report": weekly},
            "how": f"reports.content.weekly_report(company, {week.code}, policy) in-process, one warm-up then 3 runs (the slowest is the figure)",
        },
    }


def bench_my_cases(args, env) -> dict:
    """Issue 17: a household's "my cases" page (/my/cases/) over HTTP: the customers with
    the most cases in the city, each bound to its own phone."""
    from django.conf import settings
    from django.db.models import Count

    from utilitydesk.cases.models import Case
    from utilitydesk.org.models import DepartmentFunction, OrgUnit
    from utilitydesk.selfservice.models import Binding
    from utilitydesk.selfservice.services import create_account

    centre = OrgUnit.objects.filter(function=DepartmentFunction.SERVICE_CENTRE).first()
    create_account(centre)
    busiest = list(
        Case.objects.filter(customer__isnull=False)
        .values("customer")
        .annotate(n=Count("id"))
        .order_by("-n")[:50]
    )
    cookies = []
    for index, row in enumerate(busiest):
        phone = f"1990000{index:04d}"
        Binding.objects.get_or_create(
            phone=phone, customer_id=row["customer"], defaults={"proof": "name"}
        )
        cookies.append({"Cookie": f"{settings.SESSION_COOKIE_NAME}={household_session_key(phone)}"})
    samples = []
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for headers in cookies[:10]:
            timed_get(conn, "/my/cases/", headers)
        for index in range(args.requests):
            samples.append(timed_get(conn, "/my/cases/", cookies[index % len(cookies)]))
    summary = latency_summary(samples)
    most = busiest[0]["n"] if busiest else 0
    return {
        "operation": "a household's 'my cases' page (/my/cases/, HTML)",
        "volume": f"{Case.objects.count():,} cases; the 50 customers with the most cases (up to {most})",
        "target": "p95 ≤ 50 ms",
        "target_ms": 50,
        "figure_ms": summary["p95_ms"],
        "met": summary["p95_ms"] <= 50,
        "queries_per_request": "see selfservice/tests (one query for the cases)",
        "detail": {"my cases": summary},
        "how": f"each customer bound to a phone of its own, a signed-in self-service session per phone, {args.requests} sequential requests over the 50 households after 10 warm-up, gunicorn -w {args.workers}",
    }


# --- issue 14: indoor temperature ----------------------------------------------------------


def bench_temperature(args, env) -> dict:
    """R-707: the season's pass rate per station over the season's valid measurements."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from utilitydesk.demo.city_temperature import generate_measurements
    from utilitydesk.temperature.models import Measurement
    from utilitydesk.temperature.selectors import season_pass_rates

    busiest = (
        Measurement.objects.filter(valid=True)
        .values("season")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None or busiest["n"] < args.measurements:
        # A city made before make_city measured: fill the current season.
        generate_measurements(args.measurements, timezone.now())
        from utilitydesk.kernel.bulk import analyze

        analyze()
        busiest = (
            Measurement.objects.filter(valid=True)
            .values("season")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
    season, measured = busiest["season"], busiest["n"]
    office = get_user_model().objects.get(username="office")
    season_pass_rates(office, season)  # warm-up, as the HTTP benchmarks warm up
    runs = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            rows = season_pass_rates(office, season, by="station")
        runs.append((time.perf_counter() - began) * 1000)
    # The grouped count over the measurements (the units' names follow in a small query).
    sql = next(q["sql"] for q in queries.captured_queries if "temperature_measurement" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # nosec B608: the selector's own SQL
        plan = [line for (line,) in cursor.fetchall()]
    summary = latency_summary(runs)
    passed = sum(row.passed for row in rows)
    return {
        "operation": "season pass rate per station (R-707)",
        "volume": f"{measured:,} valid measurements of season {season}, {len(rows)} stations",
        "target": "≤ 1 s",
        "target_ms": 1000,
        "figure_ms": summary["p95_ms"],
        "figure_text": f"{summary['p95_ms']:.0f} ms (p95)",
        "met": summary["p95_ms"] <= 1000,
        "queries_per_request": len(queries),
        "detail": {
            "season_pass_rates": {**summary, "pass_rate": f"{passed * 100 / measured:.1f} %"}
        },
        "plan": plan,
        "how": f"temperature.selectors.season_pass_rates(office, {season}, by='station') in-process as the service office (company-wide), one warm-up then {args.repeat} runs; the plan (EXPLAIN ANALYZE) is kept in benchmarks.json",
    }


# --- issue 13: supply interruptions, their notices, and the screen-pop that shows them ---------

OUTAGE_TITLE = "压测停热"  # marks the bench's interruptions, removed afterwards
DELIVERY_REFERENCE = "bench:delivery"  # marks the delivery benchmark's notices


def _bench_redis_url() -> str:
    """A Redis database of the bench's own for the Celery broker (others use db 0)."""
    return os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _celery_app():
    """The product's Celery app, sending to the bench's Redis. Only the bench process and
    the Celery worker it starts talk to Redis; the web servers keep their settings."""
    from utilitydesk.celery import app

    app.conf.broker_url = _bench_redis_url()
    return app


def _remove_bench_interruptions(keep: int | None = None) -> None:
    """Remove the bench's interruptions (but ``keep``) with their scope snapshot, timeline,
    links and notices, so reruns start from the same city."""
    from django.db import connection

    from utilitydesk.outages.models import Interruption

    ids = list(
        Interruption.objects.filter(title__startswith=OUTAGE_TITLE)
        .exclude(pk=keep)
        .values_list("pk", flat=True)
    )
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM notifications_message WHERE reference = ANY(%s)",
            [[f"interruption:{pk}" for pk in ids]],
        )
        cursor.execute(
            "DELETE FROM outages_affectedpremises WHERE interruption_id = ANY(%s)", [ids]
        )
    Interruption.objects.filter(pk__in=ids).delete()


def _households_by(level: str) -> list[tuple[int, int]]:
    """(id, premises) of every substation or heat source, from the premises' buildings."""
    from django.db.models import Count

    from utilitydesk.customers.models import Premises

    key = {"substation": "building__substation_id", "source": "building__substation__source_id"}[
        level
    ]
    return list(
        Premises.objects.filter(**{f"{key}__isnull": False})
        .values(key)
        .annotate(n=Count("id"))
        .values_list(key, "n")
    )


def _announce_timed(actor, *, level: str, pk: int, label: str) -> tuple:
    """Record an unplanned pipe burst at ``pk`` and announce it as the dispatcher's page
    does (outages.interruptions.create_interruption, then announce: the scope materialised
    into AffectedPremises, every phone queued its notice, delivery runs sent to the broker
    after commit). Returns the interruption and both times in ms."""
    from datetime import timedelta

    from django.test import override_settings
    from django.utils import timezone

    from utilitydesk.outages.interruptions import InterruptionInput, announce, create_interruption
    from utilitydesk.outages.models import InterruptionKind

    now = timezone.now()
    data = InterruptionInput(
        kind=InterruptionKind.PIPE_BURST,
        title=f"{OUTAGE_TITLE}（{label}）",
        start_at=now - timedelta(minutes=10),
        expected_restoration_at=now + timedelta(hours=8),
        planned=False,
        source_ids=[pk] if level == "source" else [],
        substation_ids=[pk] if level == "substation" else [],
    )
    with override_settings(BACKGROUND_MODE="celery"):
        began = time.perf_counter()
        interruption = create_interruption(data, actor=actor, now=now)
        recorded = time.perf_counter()
        interruption = announce(interruption.pk, actor=actor, now=now)
        done = time.perf_counter()
    return interruption, (recorded - began) * 1000, (done - recorded) * 1000


def _sizes_detail(level: str, sizes: list[tuple[int, int]]) -> dict:
    counts = [n for _pk, n in sizes]
    return {
        "requests": len(counts),
        "p50_ms": percentile(counts, 50),
        "p95_ms": percentile(counts, 95),
        "p99_ms": max(counts),
        "mean_ms": round(statistics.fmean(counts)),
        "unit": f"households per {level} in the city (columns are counts here)",
    }


def _outage_row(
    level: str, wanted: int, target_s: float, households: int, largest: int, runs: list
) -> dict:
    totals = [record + announced for _i, record, announced in runs]
    last = runs[-1][0]
    worst = max(totals)
    name = "substation" if level == "substation" else "heat source"
    which = (
        f"the city's largest {name}: none has {wanted:,}"
        if households == largest and largest < wanted
        else f"the {name} nearest {wanted:,} households"
    )
    return {
        "operation": f"announce an unplanned interruption of a {name}: scope and queue its notices",
        "volume": (
            f"{households:,} households, {last.customers_count:,} customers, "
            f"{last.notices_queued:,} notices ({which})"
        ),
        "target": f"≤ {target_s:g} s",
        "target_ms": target_s * 1000,
        "figure_ms": round(worst, 1),
        "figure_text": f"{worst / 1000:.2f} s",
        "met": worst <= target_s * 1000 and last.notices_queued > 0,
        "queries_per_request": "about 40; the scope is one INSERT … SELECT, the notices one COPY and one INSERT … SELECT",
        "detail": {
            "record + announce": latency_summary(totals),
            "record (draft, preview counts)": latency_summary([r for _i, r, _a in runs]),
            "announce (materialise, queue)": {
                **latency_summary([a for _i, _r, a in runs]),
                "premises": last.premises_count,
                "notices": last.notices_queued,
                "special_care": last.special_care_count,
            },
        },
        "how": (
            f"as the dispatcher, in-process, {len(runs)} runs, each removed before the next: "
            "outages.interruptions.create_interruption (a pipe burst that began 10 min ago) "
            "then announce (AffectedPremises by INSERT … SELECT, the counts, "
            "notifications.services.queue_customer_notices for every phone of every affected "
            "customer, the delivery runs sent to Celery on Redis after commit; nothing is "
            "delivered here); figure is the slowest run"
        ),
    }


def _get_body(conn: http.client.HTTPConnection, path: str, headers: dict) -> str:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return body


def bench_outages(args, env) -> dict:
    """Issue 13: scope and announce an interruption of the substation and of the heat source
    nearest 10,000 and 100,000 households; then the screen-pop with the interruption check
    while the substation's interruption is active."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from utilitydesk.accounts.services import issue_token
    from utilitydesk.customers.models import Customer, CustomerPhone, Premises
    from utilitydesk.outages.models import AffectedPremises

    app = _celery_app()
    _remove_bench_interruptions()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE outages_affectedpremises")
        cursor.execute("VACUUM ANALYZE notifications_message")
    dispatcher = get_user_model().objects.get(username="dispatcher")
    rows = {}
    kept = None
    for level, wanted, target_s, key in (
        ("substation", 10_000, 2, "outage_substation"),
        ("source", 100_000, 10, "outage_source"),
    ):
        sizes = _households_by(level)
        if not sizes:
            raise RuntimeError(f"the city has no {level} with premises (make_city's network)")
        pk, households = min(sizes, key=lambda pair: (abs(pair[1] - wanted), pair[0]))
        runs = []
        for n in range(args.outage_repeat):
            runs.append(
                _announce_timed(dispatcher, level=level, pk=pk, label=f"{level} {pk} #{n + 1}")
            )
            if level == "substation" and n == args.outage_repeat - 1:
                kept = runs[-1][0]  # stays active for the screen-pop below
            _remove_bench_interruptions(keep=kept.pk if kept else None)
        largest = max(n for _pk, n in sizes)
        rows[key] = _outage_row(level, wanted, target_s, households, largest, runs)
        rows[key]["detail"]["sizes in the city"] = _sizes_detail(level, sizes)
    app.control.purge()  # the delivery runs queued above: no worker is to send these

    # The screen-pop with the interruption check: callers inside the active interruption
    # and callers elsewhere, on the intake page (where the check shows it) and the API.
    rng = random.Random(13)
    inside = list(
        AffectedPremises.objects.filter(interruption=kept)
        .order_by("?")
        .values_list("customer_id", flat=True)[: args.requests // 5]
    )
    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    outside = list(
        Customer.objects.filter(
            pk__in=[rng.randrange(1, top + 1) for _ in range(args.requests * 2)]
        )
        .exclude(pk__in=inside)
        .values_list("pk", flat=True)[: args.requests - len(inside)]
    )
    callers = inside + outside
    rng.shuffle(callers)
    inside_set = set(inside)
    phone_of = dict(
        CustomerPhone.objects.filter(customer_id__in=callers, position=0).values_list(
            "customer_id", "number"
        )
    )
    phones = [phone_of[c] for c in callers if c in phone_of]
    agent = get_user_model().objects.get(username="agent")
    auth = {"Authorization": f"Token {issue_token(agent).key}"}
    results = {}
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        login = session_login("agent")
        if kept.number not in _get_body(conn, f"/cases/new/?customer={inside[0]}", login):
            raise RuntimeError("the intake page does not show the active interruption")
        for customer_id in callers[:20]:  # warm-up
            timed_get(conn, f"/cases/new/?customer={customer_id}", login)
        samples_in, samples_out = [], []
        for customer_id in callers:
            ms = timed_get(conn, f"/cases/new/?customer={customer_id}", login)
            (samples_in if customer_id in inside_set else samples_out).append(ms)
        results["intake page, every caller"] = latency_summary(samples_in + samples_out)
        results["intake page, caller inside"] = latency_summary(samples_in)
        results["intake page, caller elsewhere"] = latency_summary(samples_out)
        for phone in phones[:20]:
            timed_get(conn, "/api/v1/customers/lookup/?" + urlencode({"phone": phone}), auth)
        results["API phone lookup, same callers"] = latency_summary(
            [
                timed_get(conn, "/api/v1/customers/lookup/?" + urlencode({"phone": p}), auth)
                for p in phones
            ]
        )
    # The check alone, as the intake section runs it: one query on the scope snapshot's
    # premises index per caller.
    from utilitydesk.outages.interruption_selectors import active_for_premises

    premises_of: dict[int, list[int]] = {}
    for customer_id, premises_id in Premises.objects.filter(customer_id__in=callers).values_list(
        "customer_id", "pk"
    ):
        premises_of.setdefault(customer_id, []).append(premises_id)
    checks = []
    for customer_id in callers:
        began = time.perf_counter()
        active_for_premises(premises_of.get(customer_id, []))
        checks.append((time.perf_counter() - began) * 1000)
    results["the check alone (in-process)"] = latency_summary(checks)
    queries = queries_of_page("agent", f"/cases/new/?customer={inside[0]}")
    _remove_bench_interruptions()
    figure = results["intake page, every caller"]["p95_ms"]
    rows["screen_pop_outage"] = {
        "operation": "screen-pop with the interruption check: the intake page for a caller",
        "volume": (
            f"{Customer.objects.count():,} customers; {kept.premises_count:,} households in an "
            f"active interruption, {len(samples_in)} of {len(callers)} callers inside it"
        ),
        "target": "p95 ≤ 30 ms",
        "target_ms": 30,
        "figure_ms": figure,
        "met": figure <= 30,
        "queries_per_request": queries,
        "detail": results,
        "how": (
            "the agent's /cases/new/?customer=… (the caller's summary and open cases, the "
            "interruption shown first with the call linked by default, the intake form) with "
            "a session cookie, sequential keep-alive client, gunicorn "
            f"-w {args.workers}; then the same callers' first phone through "
            "/api/v1/customers/lookup/ (the header lookup's selector; it has no interruption "
            "check), and the check alone in-process (outages.interruption_selectors."
            "active_for_premises for the caller's premises); figure is the intake page's p95 "
            "over every caller"
        ),
    }
    return rows


class CeleryWorker:
    """`celery -A utilitydesk worker` as a separate process on the bench's Redis, ready
    (answering a ping) when entered, warm-shut-down when left."""

    def __init__(self, env: dict, concurrency: int):
        self.env, self.concurrency, self.proc = env, concurrency, None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "utilitydesk",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                str(self.concurrency),
                "--purge",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        app = _celery_app()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the Celery worker stopped")
            if app.control.ping(timeout=1.0):
                return self
        raise RuntimeError("the Celery worker did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def bench_delivery(args, env) -> dict:
    """50,000 notices queued as an interruption queues them, delivered by a real Celery
    worker to the local Tencent Cloud SMS stub (notifications/testing.py)."""
    from django.db import connection
    from django.db.models import Count
    from django.test import override_settings
    from django.utils import timezone

    from utilitydesk.customers.models import CustomerPhone
    from utilitydesk.notifications import testing
    from utilitydesk.notifications.defaults import OUTAGE_UNPLANNED
    from utilitydesk.notifications.models import Message, NoticeTemplate
    from utilitydesk.notifications.services import queue_customer_notices

    def remove() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM notifications_message WHERE reference = %s", [DELIVERY_REFERENCE]
            )

    remove()
    wanted = args.notices
    recipients: dict[str, int] = {}
    for customer_id, number in (
        CustomerPhone.objects.filter(number__regex=r"^1[3-9][0-9]{9}$")
        .order_by("customer_id", "position")
        .values_list("customer_id", "number")
        .iterator(chunk_size=10_000)
    ):
        recipients.setdefault(number, customer_id)
        if len(recipients) >= wanted:
            break
    template = NoticeTemplate.objects.get(code=OUTAGE_UNPLANNED)
    provider_id = template.provider_template_id
    if not provider_id:  # the provider's approved template id, entered in the admin
        NoticeTemplate.objects.filter(pk=template.pk).update(provider_template_id="1900001")
    params = {
        "reason": "管道抢修",
        "area": "压测小区",
        "start": "11月24日08:00",
        "service": "热",
        "end": "11月24日18:00",
        "hotline": "96000",
    }
    _celery_app()
    rate = os.environ.get("SMS_TENCENT_RATE_PER_SECOND", "2000")
    try:
        with testing.TencentSmsStub() as stub:
            worker_env = {
                **env,
                "BACKGROUND_MODE": "celery",
                "REDIS_URL": _bench_redis_url(),
                "SMS_BACKEND": "utilitydesk.notifications.tencent.TencentSmsBackend",
                "SMS_TENCENT_SECRET_ID": testing.SECRET_ID,
                "SMS_TENCENT_SECRET_KEY": testing.SECRET_KEY,
                "SMS_TENCENT_APP_ID": testing.APP_ID,
                "SMS_TENCENT_SIGN_NAME": testing.SIGN_NAME,
                "SMS_TENCENT_ENDPOINT": stub.url,
                "SMS_TENCENT_RATE_PER_SECOND": rate,
            }
            with CeleryWorker(worker_env, concurrency=args.celery_concurrency):
                began = time.perf_counter()
                with override_settings(BACKGROUND_MODE="celery"):
                    queued = queue_customer_notices(
                        reference=DELIVERY_REFERENCE,
                        event_key="announced",
                        template_code=OUTAGE_UNPLANNED,
                        params=params,
                        recipients=[(c, n) for n, c in recipients.items()],
                        actor=None,
                        now=timezone.now(),
                    )
                queued_at = time.perf_counter()
                deadline = began + args.delivery_timeout
                pending = Message.objects.filter(
                    reference=DELIVERY_REFERENCE,
                    status__in=[Message.Status.QUEUED, Message.Status.SENDING],
                )
                while time.perf_counter() < deadline:
                    if len(stub.sent) + len(stub.refused) >= queued and not pending.exists():
                        break
                    time.sleep(0.1)
                elapsed = time.perf_counter() - began
                statuses = dict(
                    Message.objects.filter(reference=DELIVERY_REFERENCE)
                    .values("status")
                    .annotate(n=Count("id"))
                    .values_list("status", "n")
                )
            requests = len(stub.requests)
            accepted = len(stub.sent)
            refused = list(stub.refused)
    finally:
        NoticeTemplate.objects.filter(pk=template.pk).update(provider_template_id=provider_id)
        remove()
    sent = statuses.get(Message.Status.SENT, 0)
    return {
        "operation": "deliver notices through Celery to the SMS provider (local stub)",
        "volume": f"{queued:,} notices, one Tencent Cloud SMS request per 200 numbers",
        "target": "≤ 60 s",
        "target_ms": 60_000,
        "figure_ms": round(elapsed * 1000, 1),
        "figure_text": f"{elapsed:.1f} s",
        "met": elapsed <= 60 and sent == queued == wanted and accepted >= queued,
        "queries_per_request": "per claim of 1,000: claim, mark, record (one update and one executemany of serial numbers)",
        "detail": {
            "queue → every notice sent": {
                "requests": 1,
                "p50_ms": round(elapsed * 1000, 1),
                "p95_ms": round(elapsed * 1000, 1),
                "p99_ms": round(elapsed * 1000, 1),
                "mean_ms": round(elapsed * 1000, 1),
                "queue_ms": round((queued_at - began) * 1000, 1),
                "per_s": round(queued / elapsed),
                "provider_requests": requests,
                "accepted_by_stub": accepted,
                "refused_requests": len(refused),
                "statuses": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
            }
        },
        "how": (
            f"queue_customer_notices (one per mobile phone, the unplanned-outage template) "
            f"commits; its delivery runs go through Redis to a `celery -A utilitydesk worker "
            f"--concurrency {args.celery_concurrency}` started by the bench, which signs and "
            "sends Tencent SendSms requests (TC3-HMAC-SHA256, 200 numbers each) to "
            "notifications.testing.TencentSmsStub on 127.0.0.1 (it checks every signature); "
            f"rate limit {rate}/s (SMS_TENCENT_RATE_PER_SECOND), the product's delivery "
            "settings otherwise; time from the queueing call until every notice is recorded sent"
        ),
    }


def _write_import_files(directory: Path, xlsx_rows: int, csv_rows: int) -> tuple[Path, Path]:
    import csv

    from openpyxl import Workbook

    from utilitydesk.demo import names

    header = ["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "供热面积"]
    rng = random.Random(11)

    def rows(prefix: str, count: int):
        for i in range(count):
            building, slot = divmod(i, 72)
            yield [
                f"{prefix}{i:08d}",
                names.person_name(rng),
                names.mobile(rng),
                "导入区",
                f"导入{prefix}小区{building // 20}",
                f"{building % 20 + 1}号楼",
                str(slot // 24 + 1),
                f"{(slot % 24) // 4 + 1}0{slot % 4 + 1}",
                f"{rng.randrange(4500, 16000) / 100:.2f}",
            ]

    xlsx = directory / "customers-100k.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows("X", xlsx_rows):
        sheet.append(row)
    book.save(xlsx)
    csv_path = directory / "customers-1m.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows("C", csv_rows))
    return xlsx, csv_path


def bench_import(args, env) -> dict:
    """Customer import from .xlsx and .csv, as an administrator runs it, into a fresh
    database of its own (the city's customers are not touched)."""
    import tempfile

    from utilitydesk.customers.importing import import_customers  # noqa: F401 (what is timed)

    url = urlparse(env["DATABASE_URL"])
    import_url = url._replace(path=url.path + "_import").geturl()
    import psycopg

    admin = url._replace(path="/postgres").geturl()
    name = import_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    sub_env = {**env, "DATABASE_URL": import_url}
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=sub_env, check=True)
    subprocess.run(
        [python, "manage.py", "load_demo", "--customers", "0", "-v0"],
        cwd=ROOT,
        env=sub_env,
        check=True,
    )
    detail = {}
    with tempfile.TemporaryDirectory() as folder:
        xlsx, csv_path = _write_import_files(Path(folder), args.import_xlsx, args.import_csv)
        for label, path, rows in (
            ("xlsx", xlsx, args.import_xlsx),
            ("csv", csv_path, args.import_csv),
        ):
            report = Path(folder) / f"{label}.json"
            began = time.perf_counter()
            subprocess.run(
                [
                    python,
                    "manage.py",
                    "import_customers",
                    str(path),
                    "--create-buildings",
                    "--user",
                    "admin",
                    "--report",
                    str(report),
                ],
                cwd=ROOT,
                env=sub_env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - began
            outcome = json.loads(report.read_text())
            detail[label] = {
                "requests": 1,
                "p50_ms": round(seconds * 1000, 1),
                "p95_ms": round(seconds * 1000, 1),
                "p99_ms": round(seconds * 1000, 1),
                "mean_ms": round(seconds * 1000, 1),
                "rows": rows,
                "rows_per_s": round(rows / seconds),
                "created": outcome.get("created"),
                "rejected": outcome.get("rejected_rows"),
            }
    xlsx_s, csv_s = detail["xlsx"]["p50_ms"] / 1000, detail["csv"]["p50_ms"] / 1000
    ok = (
        xlsx_s <= 60
        and csv_s <= 120
        and detail["xlsx"]["created"] == args.import_xlsx
        and detail["csv"]["created"] == args.import_csv
    )
    return {
        "operation": "import customers from .xlsx / .csv",
        "volume": f"{args.import_xlsx:,} rows .xlsx / {args.import_csv:,} rows .csv, new accounts and buildings",
        "target": "≤ 60 s / ≤ 120 s",
        "target_ms": 60000,
        "figure_ms": detail["xlsx"]["p50_ms"],
        "figure_text": f"{xlsx_s:.1f} s / {csv_s:.1f} s",
        "met": ok,
        "queries_per_request": "per chunk of 2,000 rows",
        "detail": detail,
        "how": "manage.py import_customers FILE --create-buildings (the same code as the web import), wall time including reading the file, checking every row and writing customers, premises, phones, buildings and the change history",
    }


def bench_payments(args, env) -> dict:
    """A bank's withholding result file and its statement (args.payment_lines lines each,
    one day) imported and the day reconciled (三方一致), in a fresh database of its own."""
    import tempfile

    url = urlparse(env["DATABASE_URL"])
    bench_url = url._replace(path=url.path + "_payments").geturl()
    import psycopg

    admin = url._replace(path="/postgres").geturl()
    name = bench_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    sub_env = {**env, "DATABASE_URL": bench_url}
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=sub_env, check=True)
    lines = args.payment_lines
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [python, "manage.py", "payments_bench_data", "--lines", str(lines), "--folder", folder],
            cwd=ROOT,
            env=sub_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        began = time.perf_counter()
        for path, layout, extra in (
            ("results.csv", "ICBC-WH", []),
            ("statement.csv", "ICBC-STMT", ["--reconcile"]),
        ):
            out = subprocess.run(
                [
                    python,
                    "manage.py",
                    "import_bank_file",
                    str(Path(folder) / path),
                    "--bank",
                    layout,
                ]
                + ["--now", "2026-12-04T08:00:00+08:00"]
                + extra,
                cwd=ROOT,
                env=sub_env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        seconds = time.perf_counter() - began
    mismatches = int(out.rsplit(", ", 1)[1].split()[0]) if "Reconciled" in out else None
    ms = round(seconds * 1000, 1)
    return {
        "operation": "import and reconcile a bank file",
        "volume": f"{lines:,}-line withholding result file + its {lines:,}-line statement, one day",
        "target": "≤ 60 s",
        "target_ms": 60000,
        "figure_ms": ms,
        "figure_text": f"{seconds:.1f} s",
        "met": seconds <= 60 and mismatches == 0,
        "queries_per_request": "set-wise: COPY of payments, ledger entries and statement lines",
        "detail": {
            "import_reconcile": {
                "requests": 1,
                "p50_ms": ms,
                "p95_ms": ms,
                "p99_ms": ms,
                "mean_ms": ms,
                "mismatches": mismatches,
            }
        },
        "how": "manage.py import_bank_file results.csv --bank ICBC-WH, then statement.csv --bank ICBC-STMT --reconcile (wall time of both commands: reading, checking every row, writing payments, ledger entries and statement lines, the three-way reconciliation of the day)",
    }


def bench_arrears(args, env) -> dict:
    """Issue 15: a station's arrears list (first page, filtered, with the total) over a
    season of bills; the season is billed and the arrears records written once (nobody has
    paid in the bench city: every account is in arrears, the worst case)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from utilitydesk.arrears.models import ArrearsRecord
    from utilitydesk.arrears.services import refresh
    from utilitydesk.billing import services as billing
    from utilitydesk.billing.models import Bill, BillStatus
    from utilitydesk.kernel.bulk import analyze
    from utilitydesk.org.models import Position
    from utilitydesk.policy.services import current_policy
    from utilitydesk.temperature.method import season_of

    now = timezone.now()
    season = season_of(now, current_policy().season_start)
    if not Bill.objects.filter(season=season, status=BillStatus.ISSUED).exists():
        billing.generate_bills(billing.start_run(season, actor=None, now=now).pk, now=now)
    due = Bill.objects.filter(season=season).values_list("due_on", flat=True).first()
    if not ArrearsRecord.objects.filter(season=season).exists():
        refresh(max(timezone.localdate(now), due + timedelta(days=1)), now=now)
        analyze()
    busiest = (
        ArrearsRecord.objects.filter(season=season, overdue_amount__gt=0)
        .values("station_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    head = (
        get_user_model()
        .objects.filter(
            assignments__unit_id=busiest["station_id"],
            assignments__position=Position.STATION_HEAD,
        )
        .first()
    )
    records = ArrearsRecord.objects.filter(season=season, overdue_amount__gt=0).count()
    paths = [
        "/arrears/?" + urlencode({"season": season}),
        "/arrears/?"
        + urlencode({"season": season, "customer_type": "resident", "min_amount": 1000}),
        "/arrears/?" + urlencode({"season": season, "step": "none", "min_days": 1}),
    ]
    samples: list[float] = []
    with Server(env, workers=args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        login = session_login(head.username)
        for path in paths:
            for _ in range(5):
                timed_get(conn, path, login)
        for i in range(args.requests):
            samples.append(timed_get(conn, paths[i % len(paths)], login))
    summary = latency_summary(samples)
    return {
        "operation": "a station's arrears list (first page, filtered, with the total)",
        "volume": f"{busiest['n']:,} accounts in arrears at the station, {records:,} in the city (season {season})",
        "target": "p95 ≤ 100 ms",
        "target_ms": 100,
        "figure_ms": summary["p95_ms"],
        "met": summary["p95_ms"] <= 100,
        "queries_per_request": queries_of_page(head.username, paths[1]),
        "detail": {"arrears list": summary},
        "how": f"station head's /arrears/ (50 per page, largest first, count and overdue total of the filtered rows; unfiltered, resident ≥ 1,000 yuan, no step yet) read from the maintained arrears records, sequential keep-alive client with a session cookie, gunicorn -w {args.workers}",
    }


def bench_bills(args, env) -> dict:
    """Issue 15: one season's bills for every premises of the city, as the billing run
    makes them (the plain majority set-wise in SQL, the rest through the formula, rows by
    COPY). A season after the current one that has no bills yet, so the current season's
    bills (the arrears row's) stay and nothing is deleted (a million bills' removal checks
    every reference to them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from utilitydesk.billing import services as billing
    from utilitydesk.billing.models import Bill
    from utilitydesk.customers.models import Premises
    from utilitydesk.policy.services import current_policy
    from utilitydesk.temperature.method import season_of

    now = timezone.now()
    season = season_of(now, current_policy().season_start) + 1
    while Bill.objects.filter(season=season).exists():
        season += 1
    premises = Premises.objects.count()
    with CaptureQueriesContext(connection) as statements:
        started = time.perf_counter()
        run = billing.generate_bills(billing.start_run(season, actor=None, now=now).pk, now=now)
        seconds = time.perf_counter() - started
    set_wise = Bill.objects.filter(season=season, run=run, lines__kind="area_fee").count()
    return {
        "operation": "bill every premises for a season (one billing run)",
        "volume": f"{premises:,} premises, {run.bills_issued:,} bills (season {season})",
        "target": "≤ 120 s",
        "target_ms": 120_000,
        "figure_ms": round(seconds * 1000),
        "figure_text": f"{seconds:.1f} s ({run.bills_issued / seconds:,.0f} bills/s)",
        "met": seconds <= 120,
        "queries_per_request": len(statements.captured_queries),
        "detail": {
            "billing run": {
                "bills": run.bills_issued,
                "skipped": len(run.skipped),
                "area bills": set_wise,
            }
        },
        "how": "billing.services.generate_bills in-process on PostgreSQL: ranges of 5,000 premises, each one transaction; plain premises (by area, whole season, no stop, meter or credit) by one INSERT … SELECT with their line and ledger charge, the rest computed by the formula and written by COPY",
    }


def memory_row(args) -> dict:
    peak_mb = round(max(WORKER_PEAKS_KB) / 1024, 1) if WORKER_PEAKS_KB else 0.0
    return {
        "operation": "peak memory of one web worker",
        "volume": f"{len(WORKER_PEAKS_KB)} gunicorn workers over the HTTP benchmarks above",
        "target": "≤ 150 MB",
        "target_ms": 150,
        "figure_ms": peak_mb,
        "figure_text": f"{peak_mb} MB",
        "met": 0 < peak_mb <= 150,
        "queries_per_request": "n/a",
        "detail": {
            "worker peak RSS": {
                "requests": len(WORKER_PEAKS_KB),
                "p50_ms": round(percentile(WORKER_PEAKS_KB, 50) / 1024, 1)
                if WORKER_PEAKS_KB
                else 0,
                "p95_ms": round(percentile(WORKER_PEAKS_KB, 95) / 1024, 1)
                if WORKER_PEAKS_KB
                else 0,
                "p99_ms": peak_mb,
                "mean_ms": round(statistics.fmean(WORKER_PEAKS_KB) / 1024, 1)
                if WORKER_PEAKS_KB
                else 0,
                "unit": "MB (columns are MB here)",
            }
        },
        "how": "VmHWM (peak resident set) of every gunicorn worker read from /proc before each benchmark server stops; the figure is the largest",
    }


def machine_facts(database_url: str) -> dict:
    import psycopg

    with psycopg.connect(database_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg_version,
    }


# What limits an operation that misses its target, and what would fix it: analysis from
# profiles and plans of these runs, shown with whatever figure the last run produced.
NOTES = {
    "case_create": (
        "The p95 is within its target; the rate is two thirds of it. What limits it: the two "
        "cores, which the 8 client processes, 4 gunicorn workers and PostgreSQL share. One "
        "create is 15 statements in one transaction (token; the data versions; customer "
        "with its first phone; premises; the idempotency record insert and update; the case "
        "insert taking its number from the day's sequence; deadlines, contact and events; "
        "the restored-interruption check; begin, savepoint and commit): permissions and "
        "routing rules are held per process behind a data version, incident detection is a "
        "periodic job. In process, 200 creates take 15.8 ms of CPU each (29.9 ms before); of "
        "a profile's 5.5 s, the inserts are 3.2 s, cleaning the contact 1.2 s, token "
        "authentication 0.55 s, the serializer 0.32 s. What would fix it: the load "
        "generator on another machine; at about 16 ms of CPU per create through HTTP, 250 a "
        "second needs about four cores for the application alone (docs/scaling.md: several "
        "application servers behind nginx)."
    ),
    "unit_queue": (
        "Around the target: p95 49 to 62 ms over four full runs on this machine. About 13 ms "
        "is the query: each of the station's 1,700 to 1,900 open cases gets its nearest "
        "running deadline from a subquery so the list can be sorted by it; about 20 ms is "
        "rendering the 25 rows and the page around them; the rest is the two cores shared "
        "with the load generator. What would fix it: keep the nearest running deadline on "
        "the case row (written where deadlines change), so the sort reads an index and "
        "stops after 25 rows."
    ),
    "case_search": (
        "Number and phone searches answer in about 30 ms. An address fragment is looked up "
        "in the premises' trigram index (about 3 ms for 1,000,000 premises), then the cases "
        "of those premises by index; what remains is building a full page: 25 rows with "
        "their next deadline, the total count and the filter form cost about 20 ms of "
        "template rendering in one worker, 60 ms p50 through gunicorn with the load "
        "generator on the same two cores. What would fix it: render the result rows "
        "without the template engine's per-cell lookups (a row fragment cached per case "
        "version) and load the page's count with htmx after the rows."
    ),
    "sweep_escalate": (
        "Around the target: 4.4 to 5.4 s over runs on this machine (4.8 s after seven "
        "redundant foreign-key indexes of the cases table were dropped). 10,000 escalations "
        "write 10,000 timeline events, escalation records and inbox messages and update "
        "10,000 cases; the update is not HOT (next_check_at is indexed), so each of the "
        "cases table's indexes takes a new entry per case. What would fix it: keep "
        "next_check_at in a narrow table of its own (one row per open case), so the "
        "sweeper's updates touch two small indexes instead of the cases table's thirteen."
    ),
    "import": (
        "Missed by 4 %. A chunk's buildings are found and created set-wise; new accounts go "
        "by COPY into a staging table and one statement inserts customers, premises and "
        "phones from it; each chunk commits with its checkpoint (resumable imports, "
        "docs/import.md). What limits it now is PostgreSQL: per 2,000-row chunk the insert "
        "takes about 65 ms (about 20 index entries per account, the trigram index on "
        "premises addresses above all) and the commit's foreign-key checks about 26 ms; "
        "Python adds about 40 µs a row. What would fix it: larger chunks (5,000 rows were "
        "6 % faster at 300,000 rows), a larger GIN pending list (gin_pending_list_limit) "
        "during imports, or the trigram index built after a first bulk import."
    ),
}


NOTES["screen_pop_outage"] = (
    "Around the target: p95 30.9 and 31.6 ms in this session's two full runs on a quiet "
    "machine (p50 27.6 ms). The interruption check is not what limits it: one query on the "
    "scope snapshot's premises index, about 1 ms in-process for callers inside the "
    "interruption and elsewhere alike. The figure is the intake page around it: about 25 ms "
    "of one worker's CPU per page, 25 statements; in a profile, rendering the intake form's "
    "15 fields is about a third, then the access-log write, the form's set-up, the standard "
    "phrases, the company name for the greeting, the caller's summary and the interruption "
    "section (about 1.5 ms); the major-fault section no longer queries when no fault is "
    "open. The header lookup box, the screen-pop proper, says the interruption first too "
    "(customers.panels lookup notes, one batched read): its API, measured here as 'API "
    "phone lookup, same callers', is well within 30 ms. What would fix the intake page: "
    "its fields rendered without the per-widget template machinery, and the standard "
    "phrases and company name kept in memory behind a data version."
)

# What limits an operation that meets its target, where a run showed it: always shown.
REMARKS = {
    "outage_source": (
        "5.3 to 7.0 s over four runs. What limits it: writing rows and their indexes. In a profile of one "
        "announcement, the notices' INSERT … SELECT is about half (notifications_message "
        "has 13 indexes, four of them duplicates: reference and its pattern index beside "
        "(reference, status), recipient beside (recipient, channel, read_at), the pattern "
        "index of dedupe_key; without them the insert took about 25 % less in a trial), the "
        "scope's INSERT … SELECT about a fifth, and the commit about a fifth to a quarter: "
        "the deferred foreign-key checks of the snapshot, four per row (premises, customer, "
        "building, interruption; without the first three the commit took 0.65 s instead of "
        "2.3 s in a trial with 75,000 rows). What would make it faster: the snapshot's "
        "references to premises, customers and buildings without database constraints "
        "(the rows come from those tables in the same statement, and Django cascades "
        "deletions), and the duplicate message indexes dropped."
    ),
    "outage_substation": (
        "The city has no substation of 10,000 households: make_city gives each station "
        "eight substations, about 7,350 households each; the largest, 7,560, is measured. "
        "0.45 to 1.0 s over four runs; the time grows with the households as for the heat "
        "source (next row)."
    ),
    "notice_delivery": (
        "What limits it: the rate limit (2,000 messages a second, the shipped "
        "SMS_TENCENT_RATE_PER_SECOND), about 25 s for 50,000; queueing them takes about 2 s."
    ),
}

REMARKS["kpi_figures"] = (
    "Read from the daily counts (docs/kpis.md): one query summing the stored counts of the "
    "month's counted days over the company's units and people, instead of counting about "
    "a million rows per KPI (6 to 7.7 s p95 before them, on the same city). 'every unit' "
    "is the same sum grouped for the 59 units."
)
REMARKS["kpi_counts"] = (
    "The cost of keeping the daily counts: the whole city (every day from the first case "
    "to today) once, as after an upgrade; the ten-minute job (today and yesterday); the "
    "season's first week, the busiest, recounted as the daily job recounts the last 40 "
    "days (about 40 s for those 40 days at the season's peak)."
)
REMARKS["dashboard_tiles"] = (
    "The server's clock is today's: the city's 30,000 open cases are this morning's, its "
    "3,000,000 past cases are last season's, so the month tiles of today count the days "
    "counted so far. The month tile at the season's peak is the next row: the same "
    "figures for the busiest month (1,019,947 cases) over the API. The slowest tiles are "
    "the counts of today (open, overdue, escalated, emergencies over 30,000 open cases), "
    "about 90 ms p50; before the contacts' indexes the intake and an agent's followed "
    "cases took 340 to 350 ms p50, and JIT compilation added up to 49 ms to a count "
    "(docs/decisions/0005)."
)
REMARKS["temperature_pass_rates"] = (
    "Two statements: the grouped count over the measurements, then the stations' names. "
    "The count's plan: a parallel sequential scan of the measurements table (two workers; "
    "all 200,000 rows are the one season, so the (season, station) index would not help) "
    "and a partial hash aggregate per station: 5,900 pages (46 MiB), about two thirds read "
    "from disk, 143 ms in EXPLAIN ANALYZE. Measured on a city of 1,000,000 households "
    "(17 stations) while other sessions' test suites kept the load average near 10 on the "
    "two cores; 120 ms (p95) on a city of 300,000 households (5 stations) with the same "
    "200,000 records. What would keep it under the target as seasons accumulate: the "
    "(season, station) index already narrows a season; an index on (season, station) "
    "INCLUDE (valid, passed) would let it answer from the index alone."
)

# Before/after a change of the code, same machine: `--compare-with REV` reads the figures
# of REV's docs/benchmarks.json from git and keeps the comparison in benchmarks.json; the
# notes say why a figure moved, where the runs tell.
NOISE_PCT = 15  # repeated runs of one commit on this machine differ by up to about this
COMPARISON_CONTEXT = (
    "The runs after shared the two cores with other sessions' work (test suites during the "
    "first, another city being built during the third); the conditions of the run before "
    "are not recorded."
)
COMPARISON_NOTES: dict[str, str] = {
    "screen_pop": "Faster in every run, with the same 7 statements per lookup; not traced.",
    "case_create": (
        "Within noise: 19 statements per create as before (the interruption hold check "
        "among them); the first run's p95 of 360 ms came with other sessions' tests on the "
        "same cores."
    ),
    "sweep_idle": "Faster in every run; not traced.",
    "sweep_escalate": (
        "Within noise (the first run, 6.44 s, beside other sessions' tests). Each "
        "escalation's inbox message now keeps 13 indexes up to date instead of 7 "
        "(customer-notice delivery added six to notifications_message); the runs do not "
        "show it above noise."
    ),
    "unit_queue": "Within noise; 12 statements instead of 10.",
    "case_search": (
        "Within noise (99.9 ms in the first run beside other sessions' tests, 54 ms in the "
        "last); 12 statements instead of 10."
    ),
    "kpi_month": "Faster in the three later runs; the first ran beside other sessions' tests.",
    "import": (
        "One run. The .xlsx as before; the 1,000,000-row .csv 29 % faster (222 s instead of "
        "312 s), not traced (its access-log rows go through privacy.access's batching since "
        "the architecture step)."
    ),
    "worker_memory": (
        "+10 MB in every run, under the noise mark but steady: a gunicorn worker right after "
        "start holds 93 MB instead of 83 MB (both trees started alike), the modules the "
        "architecture step and issue 13 added (kpis, notices and accounts apps, "
        "interruptions, the network, notice delivery); requests add about 5 MB, as before."
    ),
}


def _figure_text(row: dict) -> str:
    return row.get("figure_text") or f"{row['figure_ms']} ms (p95)"


def compare_with(rev: str, title: str, earlier: list[Path]) -> None:
    """Compare every row of REV's benchmarks.json with this session's runs: ``earlier``
    are the benchmarks.json files of earlier runs of the same code (the current one is the
    last run); the change is that of the median run."""
    before = json.loads(
        subprocess.run(
            ["git", "show", f"{rev}:docs/benchmarks.json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    json_path = DOCS / "benchmarks.json"
    data = json.loads(json_path.read_text())
    runs = [json.loads(path.read_text()) for path in earlier] + [data]
    rows = {}
    for key, old in before["results"].items():
        if not old.get("figure_ms"):
            continue
        after: list[dict] = []
        for run in runs:
            row = run["results"].get(key)
            # A row a later run did not measure is carried over: count each run once.
            if row and all(row["detail"] != seen["detail"] for seen in after):
                after.append(row)
        if not after:
            continue
        middle = sorted(after, key=lambda row: row["figure_ms"])[len(after) // 2]
        rows[key] = {
            "operation": old["operation"],
            "before": _figure_text(old),
            "after": [_figure_text(row) for row in after],
            "change_pct": round(
                (middle["figure_ms"] - old["figure_ms"]) / old["figure_ms"] * 100, 1
            ),
        }
    data["comparison"] = {
        "title": title,
        "before": f"{rev} (run {before['machine']['date']})",
        "after": f"{len(runs)} runs, the last {data['machine']['date']}",
        "rows": rows,
    }
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# The read paths whose growth with the data is measured (issue 18: ≤ 1.3× for 10× the data).
GROWTH_KEYS = ["screen_pop", "unit_queue", "case_search", "dashboard_tiles", "arrears"]
GROWTH_TARGET = 1.3
GROWTH_NOTE = (
    "Both sizes were measured in one `make bench` on a quiet machine, the large city first. "
    "The pages and the screen-pop read by index and stay flat (1.0 to 1.3×). The dashboard "
    "tiles do not, and in this run for two reasons. The large city had also taken six "
    "load-test runs earlier the same day (about 20,000 cases and their contacts received "
    "today, 41,606 open cases against the 30,000 it was made with, 23,605 open callbacks), "
    "while the small one had none: the tiles of today's activity read today's rows (today's "
    "counts 4.3×, the service centre's intake by hour 2.5×, its callbacks 3.5×, an agent's "
    "own cases 2.4×). The tiles that do not depend on today grow 1.0 to 1.4× (the trend, "
    "the month's KPIs and the stations ranked from the daily counts, a station's "
    "technicians and results). And today's counts count the open cases, which grow with "
    "the city (ten times the open cases, ten times the rows). What would make them flat: "
    "per-unit open, overdue and escalated counts kept by the case hooks, or each tile's "
    "counts cached for the 60 s it refreshes at; not built."
)


def record_growth(small_json: Path) -> None:
    """Compare the read paths of a run on a city a tenth the size (its benchmarks.json)
    with this run's, into docs/benchmarks.json ("growth")."""
    json_path = DOCS / "benchmarks.json"
    data = json.loads(json_path.read_text())
    small = json.loads(small_json.read_text())["results"]
    rows = {}
    for key in GROWTH_KEYS:
        big_row, small_row = data["results"].get(key), small.get(key)
        if not big_row or not small_row:
            continue
        ratio = big_row["figure_ms"] / small_row["figure_ms"] if small_row["figure_ms"] else None
        rows[key] = {
            "operation": big_row["operation"],
            "small": f"{small_row['figure_ms']} ms ({small_row['volume']})",
            "big": f"{big_row['figure_ms']} ms ({big_row['volume']})",
            "ratio": round(ratio, 2) if ratio else None,
            "met": ratio is not None and ratio <= GROWTH_TARGET,
        }
    data["growth"] = {"rows": rows, "small_run": small.get("screen_pop", {}).get("run", "")}
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _growth_lines(growth: dict) -> list[str]:
    lines = [
        "## Growth: the read paths at two city sizes",
        "",
        "The same operations on a city of 100,000 customers and 300,000 cases and on the "
        "benchmark city (1,000,000 customers, 3,000,000 cases), run one after the other on "
        f"this machine; the target is at most {GROWTH_TARGET}× for 10× the data (p95).",
        "",
        "| operation | 300,000 cases | 3,000,000 cases | ratio | met |",
        "|---|---|---|---|---|",
    ]
    for row in growth["rows"].values():
        lines.append(
            f"| {row['operation']} | {row['small']} | {row['big']} | {row['ratio']}× "
            f"| {'yes' if row['met'] else 'NO'} |"
        )
    return [*lines, "", GROWTH_NOTE, ""]


def _comparison_lines(comparison: dict) -> list[str]:
    lines = [
        f"## {comparison['title']}",
        "",
        f"Same machine and volumes. Before: {comparison['before']}; after: "
        f"{comparison['after']} (each run's figure, in order). Change: of the median run's "
        "figure (p95 or wall time, lower is better); above "
        f"+{NOISE_PCT} % is more than the noise between runs and marked **worse**. "
        + COMPARISON_CONTEXT,
        "",
        "| operation | before | after | change | why |",
        "|---|---|---|---|---|",
    ]
    for key, row in comparison["rows"].items():
        change = f"{row['change_pct']:+.0f} %"
        if row["change_pct"] > NOISE_PCT:
            change = f"**worse** {change}"
        lines.append(
            f"| {row['operation']} | {row['before']} | {' / '.join(row['after']).replace(' (p95)', '')} | {change} "
            f"| {COMPARISON_NOTES.get(key, '')} |"
        )
    return [*lines, ""]


def write_docs(results: dict, facts: dict) -> None:
    json_path = DOCS / "benchmarks.json"
    data = json.loads(json_path.read_text()) if json_path.exists() else {"results": {}}
    for row in results.values():
        row["run"] = facts["date"]
    data["results"].update(results)
    for key, row in data["results"].items():
        if key in NOTES or key in REMARKS:
            missed = NOTES.get(key, "") if not row["met"] else ""
            row["notes"] = " ".join(text for text in (missed, REMARKS.get(key, "")) if text)
    data["machine"] = facts
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (scripts/bench.py); do not edit by hand. Figures are from the",
        "machine below, PostgreSQL, HTTP through gunicorn on 127.0.0.1 where the operation is HTTP.",
        "",
        f"Machine: {facts['cores']} cores ({facts['cpu']}), {facts['memory_gib']} GiB, "
        f"Python {facts['python']}, PostgreSQL {facts['postgresql']}; run {facts['date']}.",
        "",
        "| operation | volume | figure | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in data["results"].values():
        figure = row.get("figure_text") or f"{row['figure_ms']} ms (p95)"
        lines.append(
            f"| {row['operation']} | {row['volume']} | {figure} | {row['target']} "
            f"| {'yes' if row['met'] else 'NO'} |"
        )
    lines.append("")
    if data.get("comparison"):
        lines += _comparison_lines(data["comparison"])
    if data.get("growth"):
        lines += _growth_lines(data["growth"])
    if data.get("loadtest"):
        from scripts.loadtest import loadtest_lines

        lines += loadtest_lines(data["loadtest"])
    lines += ["## Details", ""]
    for key, row in data["results"].items():
        lines.append(f"### {row['operation']} (`{key}`)")
        lines.append("")
        run = f" Run {row['run']}." if row.get("run") else ""
        lines.append(
            f"How: {row['how']}. SQL queries per request: {row['queries_per_request']}.{run}"
        )
        lines.append("")
        if row.get("notes"):
            lines.append(row["notes"])
            lines.append("")
        lines.append("| variant | requests | p50 ms | p95 ms | p99 ms | mean ms | other |")
        lines.append("|---|---|---|---|---|---|---|")
        for variant, d in row["detail"].items():
            other = ", ".join(
                f"{k}: {v}" for k, v in d.items() if not k.endswith("_ms") and k != "requests"
            )
            # A one-off run (a billing run) has counts but no latency percentiles.
            cells = [
                str(d.get(k, "")) for k in ("requests", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
            ]
            lines.append(f"| {variant} | {' | '.join(cells)} | {other} |")
        lines.append("")
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench                                              # every operation, default volumes",
        "make bench BENCH_ARGS='--only pages kpi_month'          # some operations",
        "make bench BENCH_ARGS='--customers 100000 --cases 300000 --import-csv 100000'  # smaller",
        "make loadtest                                           # the cold morning (docs/operations.md)",
        "```",
        "",
        "The bench database (`utilitydesk_bench` unless BENCH_DATABASE_URL says otherwise) is",
        "created on first use and filled by `manage.py make_city` (1,000,000 customers,",
        "3,000,000 cases of one past heating season, 30,000 open; about 10 minutes on this",
        "machine), then reused: a first run from a clean checkout took 21 minutes in all (24 with",
        "the interruption and delivery rows, while other sessions shared the cores: city 13,",
        "operations 11). Imports run in a database of their own (`…_import`), made",
        "fresh each run. Operation keys for `--only`: screen_pop, case_create, pages, sweeps,",
        "kpi_month, temperature_pass_rates, outages, notice_delivery, import. The interruption",
        "and delivery benchmarks use Redis on 127.0.0.1 (database 14, or BENCH_REDIS_URL) as",
        "the Celery broker and start a Celery worker of their own. The city's 1,000,000",
        "households get 200,000 temperature measurements of the current season (make_city,",
        "--measurements).",
        "",
    ]
    (DOCS / "benchmarks.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=3_000_000, help="cases in the city")
    parser.add_argument("--seasons", type=int, default=1)
    parser.add_argument("--import-xlsx", type=int, default=100_000)
    parser.add_argument("--import-csv", type=int, default=1_000_000)
    parser.add_argument("--payment-lines", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--creates", type=int, default=3000, help="cases created in the API benchmark"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--exchange-orders", type=int, default=1000)
    parser.add_argument("--open-cases", type=int, default=30_000)
    parser.add_argument(
        "--measurements",
        type=int,
        default=200_000,
        help="valid temperature measurements of the season (pass-rate benchmark)",
    )
    parser.add_argument("--escalate", type=int, default=10_000)
    parser.add_argument("--tile-requests", type=int, default=100, help="requests per tile")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--outage-repeat", type=int, default=3, help="announcements timed per scope size"
    )
    parser.add_argument("--notices", type=int, default=50_000, help="notices delivered")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--delivery-timeout", type=float, default=300)
    parser.add_argument(
        "--only", nargs="*", default=[], help="operation keys to run (default: all)"
    )
    parser.add_argument(
        "--docs-only", action="store_true", help="rewrite the docs from benchmarks.json"
    )
    parser.add_argument(
        "--growth-from",
        metavar="JSON",
        help="benchmarks.json of the same read paths on a city a tenth the size (growth table)",
    )
    parser.add_argument(
        "--compare-with",
        metavar="REV",
        help="compare the figures with REV's docs/benchmarks.json (git) and rewrite the docs",
    )
    parser.add_argument("--compare-title", default="Architecture step (issue 12): before/after")
    parser.add_argument(
        "--compare-runs",
        nargs="*",
        default=[],
        metavar="JSON",
        help="benchmarks.json of earlier runs of the same code, counted with the current one",
    )
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"]
    if args.compare_with:
        compare_with(args.compare_with, args.compare_title, [Path(p) for p in args.compare_runs])
    if args.growth_from:
        record_growth(Path(args.growth_from))
    if args.docs_only or args.compare_with or args.growth_from:
        write_docs({}, json.loads((DOCS / "benchmarks.json").read_text())["machine"])
        return
    ensure_database(database_url)
    # One bench user makes thousands of reads a minute: the per-person personal-data limits
    # (docs/security.md) would answer 429, so the bench lifts them; the logging stays.
    env = {
        **os.environ,
        "DEBUG": "0",
        "BACKGROUND_MODE": "sync",
        "LOG_LEVEL": "ERROR",
        "REQUEST_LOG_LEVEL": "WARNING",
        "THROTTLE_PERSONAL_DATA": "1000000/min",
        "HARVEST_ALERT_CUSTOMERS_PER_HOUR": "100000000",
    }
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "utilitydesk.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", customers=0, verbosity=0)
    prepare_city(args)
    operations = {
        "screen_pop": bench_screen_pop,
        "case_create": bench_case_creation,
        "exchange_intake": bench_exchange_intake,
        "pages": bench_pages,
        "sweeps": bench_sweeps,
        # The daily counts first: the running system has them (a job every ten minutes),
        # and the month's figures below read them.
        "kpi_counts": bench_kpi_counts,
        "kpi_month": bench_kpi,
        "kpi_figures": bench_kpi_figures,
        "dashboards": bench_dashboards,
        "my_cases": bench_my_cases,
        "temperature_pass_rates": bench_temperature,
        "outages": bench_outages,
        "notice_delivery": bench_delivery,
        "import": bench_import,
        "payments": bench_payments,
        "arrears": bench_arrears,
        "bills": bench_bills,
    }
    results = {}
    for key, run in operations.items():
        if args.only and key not in args.only:
            continue
        started = time.perf_counter()
        produced = run(args, env)
        print(f"{key}: {time.perf_counter() - started:.0f} s", flush=True)
        results.update(produced if "operation" not in produced else {key: produced})
    if WORKER_PEAKS_KB:
        results["worker_memory"] = memory_row(args)
    write_docs(results, machine_facts(database_url))
    for key, row in results.items():
        figure = row.get("figure_text") or f"{row['figure_ms']} ms p95"
        print(f"{key}: {figure} (target {row['target']}) -> {'met' if row['met'] else 'MISSED'}")


if __name__ == "__main__":
    main()
