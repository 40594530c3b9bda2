"""A read replica for the heavy reads (docs/scaling.md): inside
``reading_from_replica()`` every read goes to the "replica" database when one is
configured (REPLICA_DATABASE_URL); writes, migrations and everything else stay on
"default". Reports read a month of cases there, away from the agents' primary."""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

REPLICA = "replica"
_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("on_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _on_replica.get() and settings.READ_FROM_REPLICA:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the same database: rows from either relate.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
