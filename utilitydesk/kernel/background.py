"""Runs background work the same way everywhere: Celery in production, inline in tests,
and for the embedded server (`make run`, mode "thread") a thread in the web process for
light work and a companion worker process for heavy work.

Heavy work (a customer import can read a file of tens of megabytes) is registered as a
``WorkQueue``: its jobs wait in the database, and in "thread" mode the worker process
that `manage.py serve` starts (`manage.py worker`) claims and runs them, so the web
server's memory never holds them. Task functions are plain, idempotent functions."""

import logging
import os
import subprocess  # nosec B404 - only to start our own worker process
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkQueue:
    task_name: str  # the Celery task that runs one job of this queue
    run_next: Callable[[], bool]  # claims and runs the oldest waiting job; False if none
    recover: Callable[[], object] | None = None  # when the embedded worker starts


_QUEUES: dict[str, WorkQueue] = {}


def register_queue(queue: WorkQueue) -> None:
    _QUEUES[queue.task_name] = queue


def queues() -> list[WorkQueue]:
    return list(_QUEUES.values())


def _run_closing_connections(func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        func(*args, **kwargs)
    finally:
        close_old_connections()


def enqueue(celery_task: Any, *args: Any, **kwargs: Any) -> None:
    """Run ``celery_task`` (a Celery shared_task) according to BACKGROUND_MODE."""
    mode = settings.BACKGROUND_MODE
    if mode == "celery":
        # The project's Celery app, imported late as kernel/scheduler.py does: only the
        # worker and beat load it by themselves (-A utilitydesk); without it a web or
        # command process would send to Celery's default app, not to REDIS_URL.
        from utilitydesk.celery import app  # noqa: F401

        celery_task.delay(*args, **kwargs)
    elif mode == "thread":
        if celery_task.name in _QUEUES:
            return  # the job waits in the database for the worker process
        thread = threading.Thread(
            target=_run_closing_connections, args=(celery_task.run, args, kwargs), daemon=True
        )
        thread.start()
    else:
        celery_task.run(*args, **kwargs)


def work(should_stop: Callable[[], bool], idle_seconds: float = 1.0) -> None:
    """The worker process's loop: run waiting jobs of every queue until ``should_stop``."""
    for queue in queues():
        if queue.recover is not None:
            queue.recover()
    close_old_connections()
    while not should_stop():
        busy = False
        for queue in queues():
            try:
                busy = queue.run_next() or busy
            except Exception:  # a failing job must not stop the worker
                log.exception("background job of %s failed", queue.task_name)
                busy = True
            finally:
                close_old_connections()
        if not busy:
            time.sleep(idle_seconds)


def start_worker_process() -> subprocess.Popen | None:
    """Start `manage.py worker` beside the embedded server ("thread" mode only; it stops
    by itself when this process ends)."""
    if settings.BACKGROUND_MODE != "thread" or not _QUEUES:
        return None
    return subprocess.Popen(  # nosec B603 - our own interpreter and manage.py, no shell
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "worker",
            "--parent",
            str(os.getpid()),
        ],
        cwd=settings.BASE_DIR,
    )
