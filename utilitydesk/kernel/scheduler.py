"""Periodic jobs. One table, `settings.PERIODIC_JOBS` (Celery task name → seconds), feeds
both Celery beat in production (`CELERY_BEAT_SCHEDULE` is built from it) and, here, the
embedded server of `make run`, where one daemon thread calls each task's function at its
interval. Apps only define the tasks (idempotent) in their `tasks.py`."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    run: Callable[[], object]


def _task_runner(name: str) -> Callable[[], object]:
    def run() -> object:
        # The project's Celery app, imported late: it configures itself from the settings.
        from utilitydesk.celery import app

        app.loader.import_default_modules()
        return app.tasks[name]()

    return run


def jobs() -> list[PeriodicJob]:
    """The periodic jobs of the table in settings, each running its Celery task in-process."""
    return [
        PeriodicJob(name, int(every), _task_runner(name))
        for name, every in settings.PERIODIC_JOBS.items()
    ]


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
