"""manage.py restore FOLDER [--database-url URL] [--media-root DIR] [--replace]: load a
backup into an empty database (by default this installation's) and check it against the
backup's manifest (docs/operations.md, "Backup and restore"). --snapshot-only prints the
connected database's row counts and timeline checksum as JSON (used by the check)."""

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...backup import BackupError, restore, snapshot


class Command(BaseCommand):
    help = "Restore a backup folder and verify it against its manifest."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?")
        parser.add_argument("--database-url", help="the target database (default: DATABASE_URL)")
        parser.add_argument(
            "--media-root", help="where the uploaded files go (default: MEDIA_ROOT)"
        )
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a database that is not empty"
        )
        parser.add_argument(
            "--snapshot-only",
            action="store_true",
            help="print this database's row counts and timeline checksum as JSON",
        )

    def handle(self, *args, **options):
        if options["snapshot_only"]:
            self.stdout.write(json.dumps(snapshot()))
            return
        if not options["folder"]:
            raise CommandError("Give the backup folder.")
        database_url = (
            options["database_url"]
            or os.environ.get("DATABASE_URL")
            or f"sqlite:///{Path(settings.VAR_DIR) / 'utilitydesk.sqlite3'}"
        )
        try:
            report = restore(
                Path(options["folder"]),
                database_url=database_url,
                media_root=Path(options["media_root"] or settings.MEDIA_ROOT),
                replace=options["replace"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        if not report.verified:
            raise CommandError(
                "Restored, but it differs from the backup: " + "; ".join(report.mismatches)
            )
        self.stdout.write(f"Restored and verified in {report.seconds} s: {report.folder}")
