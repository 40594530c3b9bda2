"""Runs background work the same way everywhere: Celery in production, a thread in the
embedded server, inline in tests. Task functions are plain, idempotent functions."""

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections


def _run_closing_connections(func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        func(*args, **kwargs)
    finally:
        close_old_connections()


def enqueue(celery_task: Any, *args: Any, **kwargs: Any) -> None:
    """Run ``celery_task`` (a Celery shared_task) according to BACKGROUND_MODE."""
    mode = settings.BACKGROUND_MODE
    if mode == "celery":
        celery_task.delay(*args, **kwargs)
    elif mode == "thread":
        thread = threading.Thread(
            target=_run_closing_connections, args=(celery_task.run, args, kwargs), daemon=True
        )
        thread.start()
    else:
        celery_task.run(*args, **kwargs)
