"""Backup and restore (docs/operations.md, "Backup and restore"): the database (pg_dump's
custom format on PostgreSQL, SQLite's online backup in the embedded mode), the uploaded
files and the settings a restored system needs, in one folder with a manifest: each
file's size and SHA-256, the row count of every table and a checksum of every case's
timeline. Restoring checks the files, loads them into an empty database and compares the
restored database's counts and timeline checksum with the manifest."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump and pg_restore, and this project's own manage.py
import sys
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from utilitydesk.cases.models import CaseEvent

MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_FILE = "media.tar.gz"
SETTINGS_FILE = "settings.json"
SECRET_FILE = "secret_key"  # nosec B105 - a file name, not a secret


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def _tables() -> list[Any]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def snapshot() -> dict[str, Any]:
    """The row count of every table and the SHA-256 of every case's timeline (its events
    in order), of the database this process is connected to."""
    present = set(connection.introspection.table_names())
    counts = {
        model._meta.db_table: model._default_manager.count()
        for model in sorted(_tables(), key=lambda m: m._meta.db_table)
        if model._meta.db_table in present
    }
    digest = hashlib.sha256()
    events = (
        CaseEvent.objects.order_by("case_id", "seq")
        .values_list("case_id", "seq", "action", "from_status", "to_status", "at", "note")
        .iterator(chunk_size=20_000)
    )
    for case_id, seq, action, before, after, at, note in events:
        digest.update(
            f"{case_id}|{seq}|{action}|{before}|{after}|{at.isoformat()}|{note}\n".encode()
        )
    return {"counts": counts, "timeline_sha256": digest.hexdigest()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(config: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection options and environment for a database config."""
    options = ["--dbname", config["NAME"]]
    if config.get("HOST"):
        options += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        options += ["--port", str(config["PORT"])]
    if config.get("USER"):
        options += ["--username", str(config["USER"])]
    env = {**os.environ}
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return options, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def _dump_database(folder: Path) -> Path:
    if connection.vendor == "postgresql":
        options, env = _pg_env(settings.DATABASES["default"])
        target = folder / PG_DUMP_FILE
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *options], env)
        return target
    if connection.vendor == "sqlite":
        target = folder / SQLITE_FILE
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return target
    raise BackupError(f"No backup for a {connection.vendor} database.")


def _settings_record() -> dict[str, Any]:
    applied = sorted(
        f"{app}.{name}"
        for app, name in MigrationRecorder.Migration.objects.values_list("app", "name")
    )
    return {
        "database_vendor": connection.vendor,
        "time_zone": settings.TIME_ZONE,
        "language": settings.LANGUAGE_CODE,
        "periodic_jobs": settings.PERIODIC_JOBS,
        "notification_backends": settings.NOTIFICATION_BACKENDS,
        "migrations": applied,
    }


def backup(destination: Path, *, now: datetime) -> Path:
    """Write a backup folder under ``destination`` and return it."""
    began = time.perf_counter()
    folder = destination / f"utilitydesk-{now:%Y%m%d-%H%M%S}"
    if folder.exists():
        raise BackupError(f"{folder} exists already.")
    folder.mkdir(parents=True)
    files = [_dump_database(folder)]
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(folder / MEDIA_FILE, "w:gz") as archive:
        if media.is_dir():
            archive.add(media, arcname="media")
    files.append(folder / MEDIA_FILE)
    (folder / SETTINGS_FILE).write_text(
        json.dumps(_settings_record(), ensure_ascii=False, indent=2, default=str)
    )
    files.append(folder / SETTINGS_FILE)
    secret = Path(settings.VAR_DIR) / "secret_key"
    if secret.exists() and not os.environ.get("SECRET_KEY"):
        # Sessions, signed links and tokens were signed with it.
        shutil.copyfile(secret, folder / SECRET_FILE)
        (folder / SECRET_FILE).chmod(0o600)
        files.append(folder / SECRET_FILE)
    manifest = {
        "created_at": now.isoformat(),
        "database_vendor": connection.vendor,
        "files": {f.name: {"bytes": f.stat().st_size, "sha256": _sha256(f)} for f in files},
        "snapshot": snapshot(),
        "seconds": round(time.perf_counter() - began, 1),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return folder


@dataclass
class RestoreReport:
    folder: Path
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.mismatches


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"No readable {MANIFEST} in {folder}: {error}") from error
    for name, facts in manifest["files"].items():
        path = folder / name
        if not path.exists():
            raise BackupError(f"{name} is missing from {folder}.")
        if _sha256(path) != facts["sha256"]:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged.")
    return manifest


def _pg_is_empty(options: list[str], env: dict[str, str]) -> bool:
    result = subprocess.run(  # nosec B603 B607
        [
            "psql",
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            *options,
            "--command",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"Cannot reach the target database: {result.stderr.strip()[:500]}")
    return result.stdout.strip() == "0"


def _snapshot_of(database_url: str) -> dict[str, Any]:
    """The snapshot of another database, taken by this project's manage.py in a process
    of its own (connected to that database only)."""
    result = subprocess.run(  # nosec B603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "restore", "--snapshot-only"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"Reading the restored database failed: {result.stderr.strip()[-2000:]}")
    taken: dict[str, Any] = json.loads(result.stdout)
    return taken


def restore(
    folder: Path, *, database_url: str, media_root: Path, replace: bool = False
) -> RestoreReport:
    """Load a backup folder into the database at ``database_url`` (empty, unless
    ``replace``) and its files under ``media_root``; then compare the restored database
    with the manifest."""
    began = time.perf_counter()
    manifest = _read_manifest(folder)
    target = dj_database_url.parse(database_url)
    vendor = "postgresql" if "postgresql" in target["ENGINE"] else "sqlite"
    if vendor != manifest["database_vendor"]:
        raise BackupError(
            f"The backup is of a {manifest['database_vendor']} database, the target {vendor}."
        )
    if vendor == "postgresql":
        options, env = _pg_env(target)
        if not replace and not _pg_is_empty(options, env):
            raise BackupError(
                "The target database is not empty (restore into a new one, or --replace)."
            )
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        if replace:
            command += ["--clean", "--if-exists"]
        _run([*command, *options, str(folder / PG_DUMP_FILE)], env)
    else:
        path = Path(target["NAME"])
        if path.exists() and path.stat().st_size and not replace:
            raise BackupError(f"{path} exists (restore into a new file, or --replace).")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / SQLITE_FILE, path)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_FILE, "r:gz") as archive:
        for member in archive.getmembers():
            if member.name == "media":
                continue
            if not (member.isfile() or member.isdir()) or not member.name.startswith("media/"):
                raise BackupError(f"Unexpected entry in {MEDIA_FILE}: {member.name}")
            member.name = member.name.removeprefix("media/")
            archive.extract(member, media_root, filter="data")
    report = RestoreReport(folder)
    restored = _snapshot_of(database_url)
    expected = manifest["snapshot"]
    for table, count in expected["counts"].items():
        if restored["counts"].get(table) != count:
            report.mismatches.append(
                f"{table}: {restored['counts'].get(table)} rows, backed up {count}"
            )
    if restored["timeline_sha256"] != expected["timeline_sha256"]:
        report.mismatches.append("case timelines differ from the backup's")
    report.seconds = round(time.perf_counter() - began, 1)
    return report
