"""Issue 12: a database migrated before the architecture step migrates forward with no data
change (docs/decisions/0004-migrating-across-the-architecture-step.md).

For each backend (PostgreSQL, SQLite) this script
1. checks the commit before the step out into a git worktree (outside the repository),
2. builds a database with that OLD tree: `migrate`, `load_demo`, a little activity (a major
   fault, a custom group and direct user permissions on the models that move app), a small
   `make_city`, one `sweep --now` two days later,
3. snapshots it: every table's columns, indexes, row count and a checksum of every row over
   its columns (rows in primary-key order; on PostgreSQL the md5 of each row's text
   ``ROW(col, …)::text``, on SQLite the md5 of each row's Python ``repr``; the table's
   checksum is the md5 of the rows' md5s in order),
4. runs the NEW tree's (this checkout's) `migrate` on it and snapshots again, each old
   table over its OLD columns: rows removed, added or changed are listed per table; new
   tables, columns and indexes are reported,
5. reports the content types and permissions: rows renamed, added, removed, and whether
   every group and user still holds, by the name the code now checks (app label + codename),
   what they held before,
6. runs the NEW tree's `make_city` with the same sizes (a top-up) and lists what it added
   or changed,
7. removes the worktree and drops the PostgreSQL database (unless ``--keep``).

    .venv/bin/python scripts/migration_check.py              # both backends
    .venv/bin/python scripts/migration_check.py --backends sqlite --keep

Exit status 1 when an old table lost or changed a row outside the expected content-type /
permission moves, or a grant no longer reaches its holder. The full result is written as
JSON (``--json``).
"""

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
OLD_REV = "62a6294"  # the last commit before the architecture step
SWEEP_AT = "2026-11-26T09:00:00+08:00"

# Tables where migrate may legitimately add rows (new migrations, new models' content types
# and permissions, the role groups' new permissions) or, for the first two, rename rows
# (a model moving app keeps its content type row with the new label).
MAY_GROW = {"django_migrations", "django_content_type", "auth_permission", "auth_group_permissions"}
MAY_CHANGE = {"django_content_type", "auth_permission"}

# Written with the OLD tree's code (62a6294): a major fault linked to two cases, a group
# that is not a role (roles are re-synced on every migrate) holding permissions of models
# that move app, and direct user permissions on them.
ACTIVITY = """
from datetime import timedelta
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from utilitydesk.area.models import Substation
from utilitydesk.cases import services
from utilitydesk.cases.models import Case, MajorFault
from utilitydesk.org.models import OrgUnit

admin = User.objects.get(username="admin")
if not MajorFault.objects.exists():
    east = OrgUnit.objects.get(code="ST-E")
    fault = services.report_major_fault(
        admin, title="迁移检查：城东主管线爆管", occurred_at=timezone.now() - timedelta(hours=1),
        place="城东供热所辖区", symptoms="多栋楼无暖气", response_plan="关阀抢修",
        unit_ids=[east.pk],
        substation_ids=list(Substation.objects.filter(station=east).values_list("pk", flat=True)[:2]),
    )
    Case.objects.filter(pk__in=Case.objects.order_by("pk").values("pk")[:2]).update(major_fault=fault)

def perm(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)

group, _ = Group.objects.get_or_create(name="迁移检查组")
group.permissions.set([perm(p) for p in (
    "cases.view_majorfault", "cases.manage_major_fault", "sla.view_casedeadline",
    "sla.view_caseescalation", "sla.publish_policy", "callbacks.view_rates")])
User.objects.get(username="agent2").groups.add(group)
User.objects.get(username="billing").user_permissions.set([perm(p) for p in (
    "cases.manage_major_fault", "cases.change_majorfault", "sla.view_casepause",
    "callbacks.view_rates")])
print("activity done")
"""

MODELS = (
    "import json; from django.apps import apps; "
    "print(json.dumps(sorted(m._meta.app_label + '.' + m._meta.model_name "
    "for m in apps.get_models())))"
)


# ---------------------------------------------------------------------------- database access


class Database:
    """The same few queries on PostgreSQL (psycopg) and SQLite (sqlite3)."""

    def __init__(self, url: str):
        self.url = url
        self.vendor = "sqlite" if url.startswith("sqlite") else "postgresql"

    def __enter__(self) -> "Database":
        if self.vendor == "sqlite":
            self.conn: Any = sqlite3.connect(urlparse(self.url).path)
        else:
            import psycopg

            self.conn = psycopg.connect(self.url, autocommit=True)
            self.conn.execute("SET TIME ZONE 'UTC'")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        if self.vendor == "sqlite":
            return self.conn.execute(sql.replace("%s", "?"), tuple(params)).fetchall()
        return self.conn.execute(sql, tuple(params)).fetchall()

    def stream(self, sql: str) -> Iterator[tuple]:
        if self.vendor == "sqlite":
            yield from self.conn.execute(sql)
            return
        with self.conn.transaction(), self.conn.cursor(name="mig_stream") as cursor:
            cursor.itersize = 20_000
            cursor.execute(sql)
            yield from cursor

    def q(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def tables(self) -> list[str]:
        if self.vendor == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema='public' AND table_type='BASE TABLE'"
            )
        return sorted(r[0] for r in self.rows(sql))

    def columns(self, table: str) -> dict[str, str]:
        """Column name → 'type [NOT NULL]' in table order."""
        if self.vendor == "sqlite":
            return {
                r[1]: f"{r[2]}{' NOT NULL' if r[3] else ''}"
                for r in self.rows(f"PRAGMA table_info({self.q(table)})")
            }
        return {
            r[0]: f"{r[1]}{f'({r[2]})' if r[2] else ''}{' NOT NULL' if r[3] == 'NO' else ''}"
            for r in self.rows(
                "SELECT column_name, data_type, character_maximum_length, is_nullable "
                "FROM information_schema.columns WHERE table_schema='public' AND table_name=%s "
                "ORDER BY ordinal_position",
                [table],
            )
        }

    def primary_key(self, table: str) -> list[str]:
        if self.vendor == "sqlite":
            info = self.rows(f"PRAGMA table_info({self.q(table)})")
            return [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        return [
            r[0]
            for r in self.rows(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)",
                [self.q(table)],
            )
        ]

    def indexes(self, table: str) -> dict[str, str]:
        if self.vendor == "sqlite":
            return {
                r[0]: r[1] or "(automatic)"
                for r in self.rows(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=%s",
                    [table],
                )
            }
        found = dict(
            self.rows(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname='public' AND tablename=%s",
                [table],
            )
        )
        found.update(
            (f"constraint {r[0]}", r[1])
            for r in self.rows(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass",
                [self.q(table)],
            )
        )
        return found

    def row_hashes(self, table: str, columns: list[str], key: list[str]) -> Iterator[tuple]:
        """(primary key as text, md5 of the row over ``columns``), in primary-key order."""
        order = ", ".join(self.q(c) for c in (key or columns))
        cols = ", ".join(self.q(c) for c in columns)
        if self.vendor == "sqlite":
            keys = ", ".join(self.q(c) for c in key) if key else "rowid"
            n = len(key) or 1
            for row in self.stream(f"SELECT {keys}, {cols} FROM {self.q(table)} ORDER BY {order}"):
                digest = hashlib.md5(repr(row[n:]).encode(), usedforsecurity=False).hexdigest()
                yield "|".join(str(v) for v in row[:n]), digest
            return
        keys = " || '|' || ".join(f"{self.q(c)}::text" for c in key) if key else "ctid::text"
        yield from self.stream(
            f"SELECT {keys}, md5(ROW({cols})::text) FROM {self.q(table)} ORDER BY {order}"
        )


# ---------------------------------------------------------------------------- snapshots


def snapshot(
    url: str, only_columns: dict[str, list[str]] | None = None, tables: Iterable[str] = ()
) -> dict[str, dict]:
    """Every table: columns, indexes, count, checksum and the per-row md5s keyed by primary
    key. With ``only_columns``, the tables named there are hashed over those columns only
    (the columns they had before), the others over all of theirs. ``tables`` limits it."""
    result = {}
    with Database(url) as db:
        for table in tables or db.tables():
            columns = db.columns(table)
            hashed = list(columns)
            if only_columns and table in only_columns:
                hashed = [c for c in only_columns[table] if c in columns]
            key = db.primary_key(table)
            rows: dict[str, str] = {}
            total = hashlib.md5(usedforsecurity=False)
            for pk, digest in db.row_hashes(table, hashed, key):
                rows[pk] = digest
                total.update(digest.encode())
            result[table] = {
                "columns": columns,
                "hashed": hashed,
                "indexes": db.indexes(table),
                "count": len(rows),
                "checksum": total.hexdigest(),
                "rows": rows,
            }
    return result


def compare(before: dict[str, dict], after: dict[str, dict]) -> dict[str, Any]:
    """Old tables row by row over their old columns; new tables and columns reported."""
    tables = {}
    for table, old in before.items():
        new = after.get(table)
        if new is None:
            tables[table] = {"missing": True, "before": old["count"]}
            continue
        removed = [k for k in old["rows"] if k not in new["rows"]]
        added = [k for k in new["rows"] if k not in old["rows"]]
        changed = [k for k, h in old["rows"].items() if k in new["rows"] and new["rows"][k] != h]
        entry: dict[str, Any] = {
            "before": old["count"],
            "after": new["count"],
            "same": old["checksum"] == new["checksum"],
        }
        for name, keys in (("removed", removed), ("added", added), ("changed", changed)):
            if keys:
                entry[name] = {"count": len(keys), "keys": keys[:20]}
        lost = [c for c in old["columns"] if c not in new["columns"]]
        gained = [c for c in new["columns"] if c not in old["columns"]]
        retyped = {
            c: [old["columns"][c], new["columns"][c]]
            for c in old["columns"]
            if c in new["columns"] and old["columns"][c] != new["columns"][c]
        }
        if lost:
            entry["columns_lost"] = lost
        if gained:
            entry["columns_added"] = gained
        if retyped:
            entry["columns_retyped"] = retyped
        dropped = sorted(set(old["indexes"]) - set(new["indexes"]))
        made = sorted(set(new["indexes"]) - set(old["indexes"]))
        redefined = sorted(
            i
            for i in old["indexes"]
            if i in new["indexes"] and old["indexes"][i] != new["indexes"][i]
        )
        if dropped:
            entry["indexes_dropped"] = dropped
        if made:
            entry["indexes_added"] = made
        if redefined:
            entry["indexes_redefined"] = redefined
        tables[table] = entry
    new_tables = {t: after[t]["count"] for t in after if t not in before}
    return {"tables": tables, "new_tables": new_tables}


def failures(diff: dict[str, Any]) -> list[str]:
    found = []
    for table, entry in diff["tables"].items():
        if entry.get("missing"):
            found.append(f"{table}: table missing")
            continue
        if "removed" in entry:
            found.append(f"{table}: {entry['removed']['count']} rows removed")
        if "changed" in entry and table not in MAY_CHANGE:
            found.append(f"{table}: {entry['changed']['count']} rows changed")
        if "added" in entry and table not in MAY_GROW:
            found.append(f"{table}: {entry['added']['count']} rows added")
        if entry.get("columns_lost"):
            found.append(f"{table}: columns lost {entry['columns_lost']}")
    return found


# ---------------------------------------------------------------------------- permissions


def permission_state(url: str, models: list[str]) -> dict[str, Any]:
    with Database(url) as db:
        types = {
            r[0]: f"{r[1]}.{r[2]}"
            for r in db.rows("SELECT id, app_label, model FROM django_content_type")
        }
        perms = {
            r[0]: {"type": types[r[1]], "code": f"{types[r[1]].split('.')[0]}.{r[2]}"}
            for r in db.rows("SELECT id, content_type_id, codename FROM auth_permission")
        }
        grants = {
            "group": db.rows(
                "SELECT g.name, gp.permission_id FROM auth_group_permissions gp "
                "JOIN auth_group g ON g.id = gp.group_id"
            ),
            "user": db.rows(
                "SELECT u.username, up.permission_id FROM auth_user_user_permissions up "
                "JOIN auth_user u ON u.id = up.user_id"
            ),
        }
    return {"types": types, "perms": perms, "grants": grants, "models": models}


def permission_report(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed in content types and permissions, and whether every grant still reaches
    its holder under the name the new code checks."""
    bt, at = before["types"], after["types"]
    bp, ap = before["perms"], after["perms"]
    live = set(after["models"])
    report: dict[str, Any] = {
        "content_types_renamed": {str(i): [bt[i], at[i]] for i in bt if i in at and bt[i] != at[i]},
        "content_types_added": sorted(at[i] for i in at if i not in bt),
        "content_types_removed": sorted(bt[i] for i in bt if i not in at),
        "content_types_stale_after": sorted(t for t in at.values() if t not in live),
        "permissions_relabelled": {
            str(i): [bp[i]["code"], ap[i]["code"]] for i in bp if i in ap and bp[i] != ap[i]
        },
        "permissions_added": sorted(ap[i]["code"] for i in ap if i not in bp),
        "permissions_removed": sorted(bp[i]["code"] for i in bp if i not in ap),
    }
    # The name the code checks after the move: the permission row's new name; if its content
    # type is stale (the model now lives under another label), the same codename there.
    moved_model = {t.split(".")[1]: t.split(".")[0] for t in live}

    def current_name(pid: int) -> str:
        perm = ap.get(pid) or bp[pid]
        label, model = perm["type"].split(".")
        if perm["type"] not in live and model in moved_model:
            label = moved_model[model]
        return f"{label}.{perm['code'].split('.')[1]}"

    for kind in ("group", "user"):
        held_after = {(h, ap[p]["code"]) for h, p in after["grants"][kind]}
        lost, kept, by_stale_name = [], 0, []
        for holder, pid in before["grants"][kind]:
            name = current_name(pid)
            if (holder, name) in held_after:
                kept += 1
            else:
                old_name = bp[pid]["code"]
                (by_stale_name if (holder, old_name) in held_after else lost).append(
                    f"{holder}: {old_name} → {name}"
                )
        rows_before = set(before["grants"][kind])
        report[f"{kind}_grants"] = {
            "before": len(before["grants"][kind]),
            "after": len(after["grants"][kind]),
            "reach_kept": kept,
            "held_only_under_stale_name": by_stale_name,
            "lost": lost,
            "new": sorted(
                f"{h}: {ap[p]['code']}" for h, p in set(after["grants"][kind]) - rows_before
            ),
        }
    return report


# ---------------------------------------------------------------------------- running trees


def manage(tree: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [str(PYTHON), "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{tree.name}: manage.py {' '.join(args)} failed")
    shown = " ".join(a if "\n" not in a and len(a) < 60 else "<code>" for a in args)
    print(f"  {tree.name:>4} manage.py {shown}: {elapsed:.1f} s", flush=True)
    return elapsed, done.stdout


def reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlparse(url).path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    if not name.startswith("ud_mig"):
        raise SystemExit(f"refusing to drop {name!r}: this script only drops ud_mig*")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    import psycopg
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def check_backend(
    url: str, old: Path, var: Path, city: list[str]
) -> tuple[dict[str, Any], list[str]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "UTILITYDESK_VAR_DIR": str(var),
        "BACKGROUND_MODE": "inline",  # no threads racing the process's exit
    }
    result: dict[str, Any] = {"url": url, "city": city, "seconds": {}}
    secs = result["seconds"]
    reset_database(url)
    print(f"{url}: old tree ({OLD_REV})", flush=True)
    secs["old_migrate"], _ = manage(old, env, "migrate", "--no-input")
    secs["old_load_demo"], _ = manage(old, env, "load_demo")
    secs["old_activity"], _ = manage(old, env, "shell", "-c", ACTIVITY)
    secs["old_make_city"], _ = manage(old, env, "make_city", *city, "--verbosity", "0")
    secs["old_sweep"], out = manage(old, env, "sweep", "--now", SWEEP_AT)
    result["old_sweep"] = out.strip()
    _, out = manage(old, env, "shell", "-c", MODELS)
    old_models = json.loads(out.strip().splitlines()[-1])

    started = time.monotonic()
    before = snapshot(url)
    secs["snapshot_before"] = time.monotonic() - started
    perms_before = permission_state(url, old_models)

    print(f"{url}: new tree (HEAD)", flush=True)
    secs["new_migrate"], out = manage(ROOT, env, "migrate", "--no-input")
    result["new_migrate_output"] = [line for line in out.splitlines() if "Applying" in line]
    _, out = manage(ROOT, env, "shell", "-c", MODELS)
    new_models = json.loads(out.strip().splitlines()[-1])
    started = time.monotonic()
    after = snapshot(url, {t: before[t]["hashed"] for t in before})
    full = {t: after[t] if after[t]["hashed"] == list(after[t]["columns"]) else None for t in after}
    if any(v is None for v in full.values()):
        rehashed = snapshot(url)
        full = {t: full[t] or rehashed[t] for t in full}
    secs["snapshot_after"] = time.monotonic() - started

    diff = compare(before, after)
    result["migrate"] = diff
    result["permissions"] = permission_report(perms_before, permission_state(url, new_models))
    problems = failures(diff)
    for kind in ("group", "user"):
        problems += [
            f"{kind} grant lost: {x}" for x in result["permissions"][f"{kind}_grants"]["lost"]
        ]
    result["rows_compared"] = sum(t["count"] for t in before.values())
    result["tables_compared"] = len(before)

    print(f"{url}: top-up with the new tree's make_city", flush=True)
    secs["new_make_city_topup"], out = manage(ROOT, env, "make_city", *city, "--verbosity", "0")
    result["topup_output"] = out.strip()
    topup = compare(full, snapshot(url))
    touched = {t: e for t, e in topup["tables"].items() if not e.get("same")}
    # Rows the top-up changed: did it change them in the columns they had before the step?
    old_tables = [t for t, e in touched.items() if "changed" in e and t in before]
    if old_tables:
        again = snapshot(url, {t: before[t]["hashed"] for t in old_tables}, old_tables)
        for table in old_tables:
            rows = after[table]["rows"]
            touched[table]["changed_in_old_columns"] = sum(
                1 for k, h in again[table]["rows"].items() if k in rows and rows[k] != h
            )
    result["topup"] = {
        "new_tables": topup["new_tables"],
        "tables": {t: {k: v for k, v in e.items() if k != "same"} for t, e in touched.items()},
    }
    problems += [
        f"top-up changed {e['changed_in_old_columns']} rows of {t} in their old columns"
        for t, e in touched.items()
        if e.get("changed_in_old_columns")
    ]
    return result, problems


def summary(result: dict[str, Any], problems: list[str]) -> str:
    lines = [f"== {result['url']}  (city {' '.join(result['city'])})"]
    lines.append(
        f"compared {result['tables_compared']} old tables, {result['rows_compared']:,} rows; "
        f"failures: {len(problems)}"
    )
    lines += [f"  FAIL {p}" for p in problems]
    lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()))
    lines.append(f"migrations applied: {len(result['new_migrate_output'])}")
    for table, entry in sorted(result["migrate"]["tables"].items()):
        notes = {k: v for k, v in entry.items() if k not in ("before", "after", "same")}
        if notes or not entry.get("same"):
            brief = {
                k: (v["count"] if isinstance(v, dict) and "count" in v else v)
                for k, v in notes.items()
            }
            lines.append(f"  {table}: {entry.get('before')} → {entry.get('after')} {brief}")
    lines.append(f"new tables: {result['migrate']['new_tables']}")
    perms = result["permissions"]
    for key in (
        "content_types_renamed",
        "content_types_added",
        "content_types_stale_after",
        "permissions_relabelled",
        "permissions_removed",
    ):
        lines.append(f"{key}: {perms[key]}")
    lines.append(f"permissions_added: {len(perms['permissions_added'])}")
    for kind in ("group", "user"):
        g = perms[f"{kind}_grants"]
        lines.append(
            f"{kind} grants: {g['before']} → {g['after']}, reach kept {g['reach_kept']}, "
            f"lost {g['lost']}, only under a stale name {g['held_only_under_stale_name']}, "
            f"new {len(g['new'])}"
        )
        lines.append(f"  new {kind} grants: {', '.join(g['new'])}")
    lines.append(f"top-up: {result['topup_output']}")
    for table, entry in sorted(result["topup"]["tables"].items()):
        brief = {k: (v["count"] if isinstance(v, dict) else v) for k, v in entry.items()}
        lines.append(f"  {table}: {brief}")
    lines.append(f"  new tables after top-up: {result['topup']['new_tables']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-rev", default=OLD_REV)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mig"))
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/ud_mig")
    parser.add_argument(
        "--pg-city", default="--customers 20000 --cases 60000 --open 600 --seasons 1"
    )
    parser.add_argument(
        "--sqlite-city", default="--customers 5000 --cases 15000 --open 150 --seasons 1"
    )
    parser.add_argument("--json", type=Path, help="write the full result here")
    parser.add_argument("--keep", action="store_true", help="keep the worktree and database")
    args = parser.parse_args()

    work = args.workdir
    old = work / "old"
    work.mkdir(parents=True, exist_ok=True)
    if not old.exists():
        subprocess.run(  # noqa: S603, S607
            ["git", "worktree", "add", "--detach", str(old), args.old_rev], cwd=ROOT, check=True
        )
    results, all_problems = {}, []
    try:
        for backend in args.backends.split(","):
            if backend == "postgresql":
                url, city = args.pg, args.pg_city.split()
            else:
                url, city = f"sqlite:///{work / 'mig.sqlite3'}", args.sqlite_city.split()
            result, problems = check_backend(url, old, work / f"var-{backend}", city)
            results[backend] = {**result, "failures": problems}
            all_problems += problems
            print(summary(result, problems), flush=True)
    finally:
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        if not args.keep:
            subprocess.run(  # noqa: S603, S607
                ["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False
            )
            if "postgresql" in args.backends:
                drop_database(args.pg)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
