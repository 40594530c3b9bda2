"""Fast row loading: COPY on PostgreSQL, executemany elsewhere.

Rows carry their own primary keys so related rows can point at each other without a
round trip. ``reserve_ids`` takes them from the table's sequence (safe beside other
writers: imports); ``IdBlock`` counts on from max(id) for generators that run alone, and
``fix_sequences`` then moves the sequences past what they wrote."""

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, models


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's id sequence (PostgreSQL)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",  # nosec B608: table from model metadata
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert new rows of ``model`` given as {attname: value} (defaults fill the rest) and
    return their primary keys. On PostgreSQL by COPY with ids from the sequence (a
    fraction of ``bulk_create``'s Python work per row), elsewhere by ``bulk_create``."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        manager = model.objects  # type: ignore[attr-defined]  # stubs: type[Model] has no manager
        return [obj.pk for obj in manager.bulk_create([model(**row) for row in rows])]
    ids = reserve_ids(model, len(rows))
    with RowWriter(model, batch=len(rows) + 1) as writer:
        for pk, row in zip(ids, rows, strict=True):
            writer.write(id=pk, **row)
    return ids


def insert_instances(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """``insert_rows`` for unsaved instances; each gets its primary key."""
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = insert_rows(model, [{name: getattr(obj, name) for name in names} for obj in objs])
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk


@dataclass(frozen=True)
class InsertSelect:
    sql: str  # INSERT INTO table (columns) SELECT expressions — the caller adds FROM …
    params: dict[str, Any]  # the defaults, as named parameters


def insert_select_defaults(model: type[models.Model], given: dict[str, str]) -> InsertSelect:
    """The head of ``INSERT INTO <model's table> … SELECT …`` (PostgreSQL) for an
    insert-from-select: ``given`` maps attnames to SQL expressions of the select, every
    other concrete field but the primary key takes its model default as a parameter
    (named after the table, so several heads can share one statement)."""
    table = model._meta.db_table
    columns: list[str] = []
    expressions: list[str] = []
    params: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(cast(str, field.column)))
        if field.attname in given:
            expressions.append(given[field.attname])
            continue
        name = f"{table}_{field.attname}"
        value = field.get_db_prep_save(_default_of(field), connection)
        if isinstance(field, models.JSONField) and value is not None:
            value = json.dumps(value, ensure_ascii=False)
        params[name] = value
        expressions.append(f"%({name})s")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(columns)}) "  # nosec B608: names from model metadata
        f"SELECT {', '.join(expressions)}"
    )
    return InsertSelect(sql, params)


class IdBlock:
    """Primary keys for a model from max(id) + 1 on; nobody else may write meanwhile."""

    def __init__(self, model: type[models.Model]):
        manager = model.objects  # type: ignore[attr-defined]  # stubs: type[Model] has no manager
        current = manager.aggregate(top=models.Max("pk"))["top"] or 0
        self.next = current + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def _default_of(field: models.Field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.CharField | models.TextField | models.FileField):
        return ""
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


class RowWriter:
    """Writes rows for ``model``: ``write(id=..., field=value, ...)`` with field names
    (``customer_id`` for foreign keys); fields not given take their model default."""

    def __init__(self, model: type[models.Model], batch: int = 20_000):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [cast(str, f.column) for f in self.fields]  # concrete: never None
        self.attnames = [f.attname for f in self.fields]
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.defaults = {}
        for f in self.fields:
            if not f.primary_key:
                try:
                    self.defaults[f.attname] = _default_of(f)
                except ValueError:
                    self.defaults[f.attname] = _Required
        self.batch = batch
        self.rows: list[list[Any]] = []
        self.count = 0

    def __enter__(self):
        return self

    def write(self, **values) -> None:
        row = []
        for name in self.attnames:
            value = values[name] if name in values else self.defaults.get(name)
            if value is _Required:
                raise ValueError(f"{self.model.__name__}.{name} needs a value")
            row.append(value)
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Send the buffered rows. One COPY at a time per connection: writers for several
        tables buffer side by side and each sends its rows whole."""
        if not self.rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                json_positions = [i for i, n in enumerate(self.attnames) if n in self.json]
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in self.rows:
                        for i in json_positions:
                            if row[i] is not None:
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                prepared = [
                    [
                        f.get_db_prep_save(v, connection)
                        for f, v in zip(self.fields, row, strict=True)
                    ]
                    for row in self.rows
                ]
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", prepared)  # nosec B608: table/columns from model metadata
        self.rows = []

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.flush()
        return False


class _Required:
    pass


def fix_sequences(models_: Iterable[type[models.Model]]) -> None:
    """Move each table's id sequence past the ids written directly (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608: table from model metadata
                f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0) + 1, false)"
            )


def analyze() -> None:
    """Fresh statistics; outside a transaction also VACUUM, which marks the pages
    all-visible so covering indexes can answer without reading the table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


@contextmanager
def fast_load(models_: Iterable[type[models.Model]]):
    """On PostgreSQL, load big tables the way bulk loads are done: secondary indexes
    dropped and rebuilt once at the end (a sorted build beats millions of inserts), and,
    where the role may, foreign-key triggers off for this session (the generator writes
    consistent rows). Elsewhere, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        # Indexes dropped by a load that was killed are rebuilt first.
        cursor.execute("CREATE TABLE IF NOT EXISTS bulk_load_dropped_index (definition text)")
        cursor.execute("SELECT definition FROM bulk_load_dropped_index")
        for (definition,) in cursor.fetchall():
            cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        cursor.execute("DELETE FROM bulk_load_dropped_index")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, definition in indexes:
            cursor.execute("INSERT INTO bulk_load_dropped_index VALUES (%s)", [definition])
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        replica = cursor.fetchone()[0]
        if replica:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if replica:
                cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            cursor.execute("DROP TABLE bulk_load_dropped_index")
