"""The backup drill (docs/operations.md, "Backup and restore"): back up the demo company
and a day of activity, restore into a fresh database, compare every table's row count and
the checksum of the case timelines; a damaged backup and a target that is not empty are
refused."""

from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.factories import open_case
from utilitydesk.cases.sweeper import sweep
from utilitydesk.customers.models import Customer
from utilitydesk.web import backup

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 11, 24, 18, tzinfo=ZoneInfo("Asia/Shanghai"))


def _a_day_of_activity(people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", customers=200, stdout=StringIO())
    customers = list(Customer.objects.order_by("pk")[:12])
    for index, customer in enumerate(customers):
        open_case(people["agent"], customer, now=timezone.now() - timedelta(hours=30 - index))
    sweep(timezone.now())
    (Path(settings.MEDIA_ROOT) / "signatures").mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / "signatures" / "drill.png").write_bytes(b"\x89PNG signature")


def _restore_and_verify(folder, database_url, tmp_path):
    out = StringIO()
    call_command(
        "restore",
        str(folder),
        "--database-url",
        database_url,
        "--media-root",
        str(tmp_path / "restored-media"),
        stdout=out,
    )
    assert "Restored and verified" in out.getvalue()
    assert (tmp_path / "restored-media" / "signatures" / "drill.png").read_bytes() == (
        b"\x89PNG signature"
    )


def _damaged_and_occupied_are_refused(folder, database_url, tmp_path):
    with pytest.raises(CommandError, match="not empty|exists"):
        call_command("restore", str(folder), "--database-url", database_url, stdout=StringIO())
    dump = next(
        folder / name
        for name in (backup.PG_DUMP_FILE, backup.SQLITE_FILE)
        if (folder / name).exists()
    )
    with dump.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00garbage\x00")
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(folder), "--database-url", database_url, stdout=StringIO())


def test_backup_drill(people, settings, tmp_path):
    _a_day_of_activity(people, settings, tmp_path)
    out = StringIO()
    call_command("backup", "--to", str(tmp_path / "backups"), "--now", NOW.isoformat(), stdout=out)
    folder = Path(out.getvalue().strip())
    assert folder.name == "utilitydesk-20261124-180000"
    manifest = backup._read_manifest(folder)
    assert manifest["snapshot"]["counts"]["cases_case"] >= 12
    assert manifest["snapshot"]["counts"]["cases_caseevent"] > 12
    if connection.vendor == "postgresql":
        target = f"{connection.settings_dict['NAME']}_restored"
        admin = {**connection.get_connection_params(), "dbname": "postgres", "autocommit": True}
        with psycopg.connect(**admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{target}"')
            pg.execute(f'CREATE DATABASE "{target}"')
        params = connection.settings_dict
        url = (
            f"postgres://{params['USER'] or 'postgres'}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 5432}/{target}"
        )
        try:
            _restore_and_verify(folder, url, tmp_path)
            _damaged_and_occupied_are_refused(folder, url, tmp_path)
        finally:
            with psycopg.connect(**admin) as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        _restore_and_verify(folder, url, tmp_path)
        _damaged_and_occupied_are_refused(folder, url, tmp_path)
