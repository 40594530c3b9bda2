"""gunicorn settings shared by `make run` (Procfile) and the systemd unit: several worker
processes write their request metrics to one folder that /metrics adds up (Prometheus'
multiprocess mode); the folder is emptied when the server starts and a worker's files are
marked dead when it exits."""

import os
import shutil
from pathlib import Path

_var = Path(os.environ.get("UTILITYDESK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
# Set before the application (and prometheus_client) is imported by the workers.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var / "prometheus"))

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
loglevel = "warning"
# The request lines are the application's own (JSON with the request id).
accesslog = None


def on_starting(server):
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
