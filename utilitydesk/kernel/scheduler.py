"""Periodic jobs for the embedded server (`make run`). In production Celery beat runs the
same task functions; here one daemon thread calls each job at its interval."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    run: Callable[[], object]


_JOBS: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> None:
    _JOBS[job.name] = job


def jobs() -> list[PeriodicJob]:
    return list(_JOBS.values())


def start_in_thread(stop: threading.Event | None = None) -> threading.Thread:
    stop = stop or threading.Event()

    def loop() -> None:
        next_run = {job.name: 0.0 for job in jobs()}
        while not stop.is_set():
            now = time.monotonic()
            for job in jobs():
                if now >= next_run.get(job.name, 0.0):
                    next_run[job.name] = now + job.every_seconds
                    try:
                        job.run()
                    except Exception:  # a failing job must not stop the others
                        log.exception("periodic job %s failed", job.name)
                    finally:
                        close_old_connections()
            stop.wait(1.0)

    thread = threading.Thread(target=loop, name="utilitydesk-scheduler", daemon=True)
    thread.start()
    return thread
