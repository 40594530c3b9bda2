"""Faults on loopback, bounded in time (issue 6): the web server killed in the middle of a
burst of case creations, and Redis stopped under the Celery sweeper.

Both need committed data visible to other processes, so they run on PostgreSQL."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import is_postgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="other processes must see the test database"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def child_env(**extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "BACKGROUND_MODE": "sync",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


class Gunicorn:
    def __init__(self, port: int):
        self.port, self.proc = port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "utilitydesk.wsgi", "-w", "2"]
            + ["-b", f"127.0.0.1:{self.port}", "--log-level", "critical"],
            cwd=ROOT,
            env=child_env(),
            start_new_session=True,
        )

        def up() -> bool:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            except OSError:
                return False

        wait_for(up, 60, "gunicorn to answer")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: no graceful anything."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def test_killed_web_server_loses_and_duplicates_no_acknowledged_case(people, customers):
    from utilitydesk.accounts.services import issue_token
    from utilitydesk.cases.models import Case, Contact, IdempotencyRecord

    token = issue_token(people["agent"]).key
    server = Gunicorn(free_port())
    server.start()
    acknowledged: dict[str, str] = {}  # Idempotency-Key -> case number the client was given
    retries = []
    lock = threading.Lock()
    per_client, clients = 15, 4

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        for n in range(per_client):
            key = f"fault-{index}-{n}"
            body = json.dumps(
                {
                    "channel": "phone",
                    "kind": "repair",
                    "content": f"暖气不热 {key}",
                    "customer_id": customers["east"].pk,
                    "allow_duplicate": True,
                }
            )
            give_up = time.monotonic() + 90
            while True:
                try:
                    conn.request(
                        "POST",
                        "/api/v1/contacts/",
                        body=body,
                        headers={
                            "Authorization": f"Token {token}",
                            "Content-Type": "application/json",
                            "Idempotency-Key": key,
                        },
                    )
                    response = conn.getresponse()
                    payload = response.read()
                    if response.status in (200, 201):
                        with lock:
                            acknowledged[key] = json.loads(payload)["case"]["number"]
                        break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
                with lock:
                    retries.append(key)
                assert time.monotonic() < give_up, f"{key} never acknowledged"
                time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    try:
        for thread in threads:
            thread.start()
        wait_for(lambda: len(acknowledged) >= 12, 60, "the first acknowledgements")
        server.kill()  # mid-burst: requests in flight die with the workers
        time.sleep(1)
        server.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        if server.proc and server.proc.poll() is None:
            server.kill()
    keys = {f"fault-{i}-{n}" for i in range(clients) for n in range(per_client)}
    assert set(acknowledged) == keys
    assert retries, "the kill interrupted no request: the test proved nothing"
    numbers = set(acknowledged.values())
    # Every case a client was told about is there, once; no request made a second case.
    assert len(numbers) == len(keys)
    assert set(Case.objects.filter(number__in=numbers).values_list("number", flat=True)) == numbers
    assert Contact.objects.filter(content__startswith="暖气不热 fault-").count() == len(keys)
    assert IdempotencyRecord.objects.filter(key__startswith="fault-").count() == len(keys)


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_sweeper_escalates_what_fell_due_while_redis_was_down(people, customers, tmp_path):
    from tests.factories import open_case
    from utilitydesk.cases.models import CaseEscalation
    from utilitydesk.notifications.models import Message

    port = free_port()
    redis_cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    redis_cmd += ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)]

    def start_redis() -> subprocess.Popen:
        proc = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(up, 20, "redis to answer")
        return proc

    redis = start_redis()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "utilitydesk", "worker", "-B", "--pool", "solo"]
        + ["-s", str(tmp_path / "beat-schedule"), "-l", "error"],
        cwd=ROOT,
        env=child_env(
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
            BACKGROUND_MODE="celery",
            SWEEP_INTERVAL_SECONDS="1",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    day_ago = timezone.now() - timedelta(hours=25)

    def escalated(case) -> bool:
        return CaseEscalation.objects.filter(case=case, level=1).exists()

    try:
        before = open_case(people["agent"], customers["east"], now=day_ago)
        wait_for(lambda: escalated(before), 60, "the sweeper under Celery to escalate")
        redis.kill()  # the broker goes away: beat cannot send, the worker loses its link
        redis.wait(timeout=10)
        during = open_case(people["agent"], customers["east"], now=day_ago)
        time.sleep(3)
        redis = start_redis()
        wait_for(lambda: escalated(during), 90, "the escalation after Redis came back")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        redis.kill()
    for case in (before, during):
        # Exactly one level-1 escalation each, and its people told once, the message sent.
        escalation = CaseEscalation.objects.get(case=case, level=1)
        assert escalation.targets
        told = Message.objects.filter(dedupe_key__startswith=f"esc:{case.pk}:1")
        assert told.count() >= 1
        assert set(told.values_list("status", flat=True)) == {"sent"}
