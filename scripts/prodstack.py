"""The production stack on loopback, started from the files in deploy/ as systemd and nginx
would start them: nginx with deploy/nginx/utilitydesk.conf → gunicorn, the Celery worker
and beat (the units' ExecStart lines, pointed at this checkout), with the variables of
deploy/utilitydesk.env.example, on a Redis server of its own. Used by `make prod-check`
(tests/system/test_production_stack.py) and `make loadtest` (scripts/loadtest.py)."""

import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exec_start(unit: str) -> list[str]:
    """The unit's ExecStart, pointed at this checkout instead of /srv/utilitydesk."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").replace("/srv/utilitydesk", str(ROOT)))


def env_file(overrides: dict[str, str]) -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "utilitydesk.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _eq, value = line.partition("=")
            values[key] = value
    return {**os.environ, **values, **overrides}


def wait_for(check, timeout: float = 60, every: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # the stack is still starting
            last = error
        time.sleep(every)
    raise TimeoutError(f"timed out; last error: {last!r}")


class Stack:
    """Processes of the stack, each in its own process group, logs in ``tmp``."""

    def __init__(self, tmp: Path, database_url: str, **overrides: str):
        self.tmp = tmp
        self.redis_port, self.app_port, self.web_port = free_port(), free_port(), free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = env_file(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "SECRET_KEY": "prod-check-" + "x" * 40,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{self.web_port}",
                "UTILITYDESK_VAR_DIR": str(tmp / "var"),
                "BIND": f"127.0.0.1:{self.app_port}",
                "WEB_WORKERS": "2",
                "DJANGO_SETTINGS_MODULE": "utilitydesk.settings",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp / "var" / "prometheus"),
                "THROTTLE_PERSONAL_DATA": "100000/min",
                # Celery: a message of a killed worker comes back soon.
                "CELERY_VISIBILITY_TIMEOUT": "15",
                **overrides,
            }
        )

    def start(self, name: str, command: list[str], **kw) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kw,
        )
        self.processes[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
        return result.stdout

    def start_redis(self) -> None:
        self.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close() or True
        )

    def start_nginx(self) -> None:
        site = (DEPLOY / "nginx" / "utilitydesk.conf").read_text()
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.web_port};")
        site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{self.app_port};")
        site = site.replace("/srv/utilitydesk/var/", f"{self.tmp / 'var'}/")
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (self.tmp / "nginx" / folder).mkdir(parents=True, exist_ok=True)
        user = "user root;\n" if os.getuid() == 0 else ""
        conf = self.tmp / "nginx" / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.tmp}/nginx/nginx.pid;\n"
            f"error_log {self.tmp}/nginx/logs/error.log warn;\n"
            "events { worker_connections 4096; }\nhttp {\n"
            "include /etc/nginx/mime.types;\n"
            f"access_log {self.tmp}/nginx/logs/access.log;\n"
            + "".join(
                f"{kind}_temp_path {self.tmp}/nginx/{folder};\n"
                for kind, folder in (
                    ("client_body", "body"),
                    ("proxy", "proxy"),
                    ("fastcgi", "fastcgi"),
                    ("uwsgi", "uwsgi"),
                    ("scgi", "scgi"),
                )
            )
            + site
            + "\n}\n"
        )
        self.start("nginx", [NGINX, "-c", str(conf), "-p", str(self.tmp / "nginx")])

    def start_all(self) -> None:
        """Web, worker, beat and nginx (Redis and the database first: start_redis, manage)."""
        self.start("web", exec_start("utilitydesk-web.service"))
        self.start("worker", exec_start("utilitydesk-worker.service"))
        self.start("beat", exec_start("utilitydesk-beat.service"))
        self.start_nginx()
        wait_for(lambda: self.request("GET", "/healthz")[0].status == 200)

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=30)
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response, response.read()
