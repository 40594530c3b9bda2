"""Versions of cached reference data (permissions, routing rules).

A process caches such data with the version it read; whoever changes the data calls
`bump` in the same transaction. Every version is one row of `DataVersion`, all read by one
query — once per request (the request's first `current` call; cleared when the request
starts and ends), on every call outside requests — so a change made in one gunicorn worker
is seen by the others on their next request, whatever the cache backend."""

import secrets
import threading

from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models.signals import post_migrate

from .models import DataVersion

_local = threading.local()


def _start(**_kwargs) -> None:
    _local.memo = {}


def _finish(**_kwargs) -> None:
    _local.memo = None


request_started.connect(_start, dispatch_uid="kernel.versions.start")
request_finished.connect(_finish, dispatch_uid="kernel.versions.finish")

# The names apps cache data under (`register`): migrate and flush change every one.
_names: set[str] = set()


def register(name: str) -> str:
    _names.add(name)
    return name


def _migrated(using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    if using == DEFAULT_DB_ALIAS and (
        DataVersion._meta.db_table in connections[using].introspection.table_names()
    ):
        for name in sorted(_names):
            bump(name)


post_migrate.connect(_migrated, dispatch_uid="kernel.versions.migrated")


def current(name: str) -> int:
    """The version of ``name`` (0 until first bumped)."""
    memo: dict[str, int] | None = getattr(_local, "memo", None)
    if memo:
        return memo.get(name, 0)
    found = dict(DataVersion.objects.values_list("name", "value"))
    if memo is not None:
        memo.update(found or {"": 0})  # not empty: read once per request
    return found.get(name, 0)


def bump(name: str) -> None:
    """``name``'s data changed (call inside the changing transaction). The new version is
    random, not the next number: a version seen inside a transaction that was then rolled
    back is never the current one again."""
    value = secrets.randbits(62) + 1
    if not DataVersion.objects.filter(name=name).update(value=value):
        try:
            with transaction.atomic():
                DataVersion.objects.create(name=name, value=value)
        except IntegrityError:  # made at the same moment by another change
            DataVersion.objects.filter(name=name).update(value=value)
    memo: dict[str, int] | None = getattr(_local, "memo", None)
    if memo is not None:
        memo.clear()
