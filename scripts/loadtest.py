"""`make loadtest` — the cold morning (issue 18, item 5).

On the benchmark city (`make_city`, built first if missing), the production stack of
scripts/prodstack.py (nginx → gunicorn → PostgreSQL, Redis, Celery worker and beat, so
the sweeper and the notifications run) is loaded by scripts/locustfile.py: hotline agents,
dispatchers, technicians on phones, leaders at dashboards and households on the
self-service pages, at ten times the R-11 peak (20,000 cases an hour) for 10 minutes. The
p50/p95/p99 of every operation, the errors, the sweeper's lag (read from /metrics every
15 s) and the web workers' memory go to docs/benchmarks.json and docs/benchmarks.md."""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = Path(os.environ.get("BENCH_DOCS_DIR", ROOT / "docs"))
# Simulated people per role; locust's user classes carry the same weights.
PEOPLE = {"agents": 100, "dispatchers": 20, "technicians": 1000, "leaders": 20, "households": 200}
TARGET_P95_MS = 150
TARGET_LAG_S = 60
TARGET_WORKER_MB = 150
TARGET_CASES_PER_HOUR = 20_000
# The sessions and tokens made here are signed with the key the stack runs with.
SECRET_KEY = "loadtest-" + "x" * 50


def prepare_people(households: int, callers: int) -> dict:
    """Sessions and API tokens of the city's real accounts, per role; households bound to
    a phone of their own with a self-service session; customers who call."""
    import random

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from scripts.bench import household_session_key, staff_session_key
    from utilitydesk.accounts.services import issue_token
    from utilitydesk.cases.models import Case
    from utilitydesk.customers.models import CustomerPhone, Premises
    from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position, UnitKind
    from utilitydesk.selfservice.models import Binding
    from utilitydesk.selfservice.services import create_account

    User = get_user_model()
    rng = random.Random(18)  # nosec B311: synthetic load

    def people(*positions: str, **extra) -> list[dict]:
        found = []
        for user in (
            User.objects.filter(assignments__position__in=positions, is_active=True)
            .exclude(username=settings.SELFSERVICE_ACTOR)
            .distinct()
            .order_by("pk")
        ):
            person = {"session": staff_session_key(user), "token": issue_token(user).key}
            found.append({**person, **{key: value(user) for key, value in extra.items()}})
        if not found:
            raise RuntimeError(f"the city has nobody as {', '.join(positions)}")
        return found

    create_account(OrgUnit.objects.get(function=DepartmentFunction.SERVICE_CENTRE))
    data = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "agents": people(Position.AGENT),
        "dispatchers": people(
            Position.STATION_HEAD,
            Position.TEAM_LEADER,
            Position.DISPATCHER,
            redispatch=lambda user: user.has_perm("cases.dispatch_case"),
        ),
        "technicians": people(Position.TECHNICIAN),
        "leaders": people(
            Position.GENERAL_MANAGER,
            Position.DEPUTY_GM,
            Position.SERVICE_OFFICE,
            Position.DEPARTMENT_HEAD,
            Position.STATION_HEAD,
        ),
        "stations": list(
            OrgUnit.objects.filter(kind=UnitKind.STATION)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
    }
    count = Premises.objects.count()
    callers = min(callers, count - households)
    if callers < 1:
        raise RuntimeError(f"the city has {count} premises: too few for {households} households")
    picked = sorted(rng.sample(range(count), callers + households))
    ids = list(Premises.objects.order_by("pk").values_list("pk", flat=True))
    rows = list(
        Premises.objects.filter(pk__in=[ids[i] for i in picked]).values("pk", "customer_id")
    )
    rng.shuffle(rows)
    phones = dict(
        CustomerPhone.objects.filter(customer_id__in=[r["customer_id"] for r in rows]).values_list(
            "customer_id", "number"
        )
    )
    data["customers_called"] = [
        {"id": r["customer_id"], "premises": r["pk"], "phone": phones.get(r["customer_id"], "")}
        for r in rows[:callers]
    ]
    data["households"] = []
    for index, row in enumerate(rows[callers:]):
        phone = f"1980000{index:04d}"
        Binding.objects.get_or_create(
            phone=phone, customer_id=row["customer_id"], defaults={"proof": "name"}
        )
        data["households"].append({"session": household_session_key(phone), "premises": row["pk"]})
    numbers = list(Case.objects.order_by("-pk").values_list("number", flat=True)[:200])
    data["search_terms"] = numbers[:100] + [p["phone"][-4:] for p in data["customers_called"][:100]]
    return data


def process_group(info: dict) -> str | None:
    """Which part of the stack a process is, for the CPU table."""
    words = " ".join(info.get("cmdline") or [])
    name = info.get("name") or ""
    if name == "postgres" or name.startswith("postgres"):
        return "PostgreSQL"
    for part, label in (
        ("gunicorn", "gunicorn"),
        ("celery", "Celery worker and beat"),
        ("locust", "load generator (locust)"),
        ("nginx", "nginx"),
        ("redis-server", "Redis"),
    ):
        if part in words or name.startswith(part):
            return label
    return None


class Watch(threading.Thread):
    """Reads the sweeper's lag and the notification queue from /metrics every 15 s, and
    the web workers' resident memory and every part's CPU time every 5 s while the load
    runs."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.done = threading.Event()
        self.lag: list[float] = []
        self.queued: list[float] = []
        self.worker_mb: dict[int, float] = {}
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, tuple[str, float]] = {}
        self.started = time.monotonic()

    def sample_cpu(self) -> None:
        import psutil

        try:
            processes = list(psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]))
        except psutil.Error:
            return  # a reading missed, not the run
        for process in processes:
            group = process_group(process.info)
            times = process.info.get("cpu_times")
            if group is None or times is None:
                continue
            used = times.user + times.system
            self.cpu_first.setdefault(process.pid, used)
            self.cpu_last[process.pid] = (group, used)

    def cpu_shares(self) -> dict[str, float]:
        """Per part, the share of the machine's cores it used over the run (%)."""
        elapsed = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        shares: dict[str, float] = {}
        for pid, (group, used) in self.cpu_last.items():
            shares[group] = shares.get(group, 0.0) + used - self.cpu_first[pid]
        return {g: round(100 * v / elapsed, 1) for g, v in sorted(shares.items())}

    def gauges(self) -> dict[str, float]:
        _response, body = self.stack.request("GET", "/metrics")
        values = {}
        for line in body.decode().splitlines():
            if line.startswith("utilitydesk_") and " " in line:
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def run(self) -> None:
        import psutil

        tick = 0
        self.sample_cpu()
        while not self.done.wait(5):
            self.sample_cpu()
            master = psutil.Process(self.stack.processes["web"].pid)
            for child in master.children():
                try:
                    rss = child.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                self.worker_mb[child.pid] = max(rss, self.worker_mb.get(child.pid, 0))
            tick += 1
            if tick % 3 == 0:
                try:
                    values = self.gauges()
                except OSError:
                    continue
                self.lag.append(values.get("utilitydesk_sweeper_lag_seconds", 0))
                self.queued.append(values.get("utilitydesk_notifications_queued", 0))


def read_stats(path: Path) -> list[dict]:
    rows = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "operation": "all requests" if row["Name"] == "Aggregated" else row["Name"],
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "errors": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"] or 0),
                    "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0),
                    "per_second": round(float(row["Requests/s"] or 0), 2),
                }
            )
    return rows


def read_failures(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [
            {"operation": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
            for r in csv.DictReader(f)
        ]


def loadtest_lines(result: dict) -> list[str]:
    """The section of docs/benchmarks.md (scripts/bench.py writes the page)."""
    met = result["met"]
    lines = [
        "## The cold morning: `make loadtest`",
        "",
        f"Run {result['run']}, {result['duration_s'] // 60} minutes against the production stack "
        f"on loopback ({result['stack']}) on the benchmark city ({result['city']}), the "
        "load generator (locust, one process) on the same two cores. People: "
        + ", ".join(f"{n} {role}" for role, n in result["people"].items())
        + ". Mix and pacing: scripts/locustfile.py.",
        "",
        "| target | figure | met |",
        "|---|---|---|",
        f"| cases created: ≥ {TARGET_CASES_PER_HOUR:,} an hour (ten times R-11's peak) "
        f"| {result['cases_created']:,} in {result['duration_s'] // 60} min = "
        f"{result['cases_per_hour']:,} an hour | {'yes' if met['rate'] else 'NO'} |",
        f"| p95 ≤ {TARGET_P95_MS} ms for every page and API call | worst: {result['worst_p95']} "
        f"| {'yes' if met['p95'] else 'NO'} |",
        f"| 0 errors | {result['errors']} of {result['requests']:,} requests "
        f"| {'yes' if met['errors'] else 'NO'} |",
        f"| sweeper lag ≤ {TARGET_LAG_S} s | at most {result['sweeper_lag_max_s']} s "
        f"(read {result['lag_readings']} times) | {'yes' if met['lag'] else 'NO'} |",
        f"| web workers ≤ {TARGET_WORKER_MB} MB each | at most {result['worker_mb_max']} MB "
        f"resident | {'yes' if met['memory'] else 'NO'} |",
        "",
        "| operation | requests | errors | p50 ms | p95 ms | p99 ms | per second |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["operations"]:
        lines.append(
            f"| {row['operation']} | {row['requests']:,} | {row['errors']} | {row['p50_ms']:g} "
            f"| {row['p95_ms']:g} | {row['p99_ms']:g} | {row['per_second']:g} |"
        )
    lines.append("")
    if result.get("cpu_percent"):
        lines += [
            "CPU over the run, as a share of the machine's cores: "
            + ", ".join(f"{part} {share} %" for part, share in result["cpu_percent"].items())
            + ".",
            "",
        ]
    if result.get("failures"):
        lines += ["Errors:", ""]
        lines += [f"- {f['operation']}: {f['error']} ({f['count']})" for f in result["failures"]]
        lines.append("")
    if result.get("notes"):
        lines += [result["notes"], ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the people (a quick trial: 0.1)"
    )
    parser.add_argument("--web-workers", type=int, default=12)
    parser.add_argument("--customers", type=int, default=1_000_000, help="the city, if built")
    parser.add_argument("--cases", type=int, default=3_000_000)
    parser.add_argument("--no-docs", action="store_true", help="print, do not write docs/")
    parser.add_argument("--notes", default="", help="a paragraph under the table")
    parser.add_argument("--result", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"]
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "utilitydesk.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from scripts import bench
    from scripts.prodstack import Stack, wait_for
    from utilitydesk.cases.models import Case
    from utilitydesk.customers.models import Customer

    bench.ensure_database(database_url)
    call_command("migrate", verbosity=0)
    call_command("load_demo", customers=0, verbosity=0)
    bench.prepare_city(
        argparse.Namespace(customers=args.customers, cases=args.cases, open_cases=30_000, seasons=1)
    )
    people = {role: max(1, round(n * args.scale)) for role, n in PEOPLE.items()}
    started_at = timezone.now()
    data = prepare_people(people["households"], 50_000)
    city = f"{Customer.objects.count():,} customers, {Case.objects.count():,} cases"
    connection.close()
    folder = Path(tempfile.mkdtemp(prefix="loadtest-"))
    (folder / "data.json").write_text(json.dumps(data))
    stack = Stack(folder, database_url, WEB_WORKERS=str(args.web_workers), SECRET_KEY=SECRET_KEY)
    stack.env["LOADTEST_DATA"] = str(folder / "data.json")
    duration = int(args.minutes * 60)
    try:
        stack.start_redis()
        stack.manage("collectstatic", "--noinput", "-v", "0")
        # The city may have waited since it was made or last loaded: what came due meanwhile
        # is swept first, as the sweeper of a running system would have done.
        stack.manage("sweep")
        stack.start_all()
        wait_for(lambda: stack.request("GET", "/readyz")[0].status == 200, timeout=120, every=2)
        watch = Watch(stack)
        watch.start()
        users = sum(people.values())
        print(f"loadtest: {users} people for {duration} s; files in {folder}", flush=True)
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "scripts/locustfile.py"),
                "--headless",
                "--host",
                f"http://127.0.0.1:{stack.web_port}",
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1, users // 30)),
                "--run-time",
                f"{duration}s",
                "--stop-timeout",
                "30",
                "--csv",
                str(folder / "run"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            env=stack.env,
            check=True,
        )
        watch.done.set()
        watch.join()
    finally:
        stack.stop_all()
    created = Case.objects.filter(received_at__gte=started_at).count()
    operations = read_stats(folder / "run_stats.csv")
    pages = [r for r in operations if r["operation"] != "all requests"]
    total = next(r for r in operations if r["operation"] == "all requests")
    worst = max(pages, key=lambda r: r["p95_ms"])
    lag = max(watch.lag, default=0.0)
    worker_mb = round(max(watch.worker_mb.values(), default=0.0), 1)
    per_hour = round(created * 3600 / duration)
    result = {
        "run": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": duration,
        "people": people,
        "city": city,
        "stack": f"nginx, gunicorn -w {args.web_workers}, Celery worker (2) and beat, Redis, "
        "PostgreSQL",
        "cases_created": created,
        "cases_per_hour": per_hour,
        "requests": total["requests"],
        "errors": total["errors"],
        "worst_p95": f"{worst['p95_ms']:g} ms ({worst['operation']})",
        "sweeper_lag_max_s": round(lag, 1),
        "lag_readings": len(watch.lag),
        "notifications_queued_max": max(watch.queued, default=0),
        "worker_mb_max": worker_mb,
        "cpu_percent": watch.cpu_shares(),
        "operations": pages + [total],
        "failures": read_failures(folder / "run_failures.csv"),
        "notes": args.notes,
        "met": {
            "rate": per_hour >= TARGET_CASES_PER_HOUR,
            "p95": worst["p95_ms"] <= TARGET_P95_MS,
            "errors": total["errors"] == 0,
            "lag": lag <= TARGET_LAG_S,
            "memory": worker_mb <= TARGET_WORKER_MB,
        },
    }
    print("\n".join(loadtest_lines(result)))
    if args.result:
        args.result.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if args.no_docs or args.scale != 1.0 or args.minutes < 10:
        print("(a trial: docs/ not written)")
        return
    json_path = DOCS / "benchmarks.json"
    stored = json.loads(json_path.read_text())
    stored["loadtest"] = result
    json_path.write_text(json.dumps(stored, ensure_ascii=False, indent=2) + "\n")
    bench.write_docs({}, stored["machine"])


if __name__ == "__main__":
    main()
