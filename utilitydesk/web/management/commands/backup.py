"""manage.py backup [--to DIR] [--now ISO]: the database, uploaded files and settings in
one folder with a manifest (docs/operations.md, "Backup and restore")."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.kernel.options import moment_option

from ...backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database, the uploaded files and the settings into one folder."

    def add_arguments(self, parser):
        parser.add_argument("--to", help="the folder to write into (default: var/backups)")
        parser.add_argument("--now", help="the moment to name the backup by, ISO-8601")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-12-01T01:00")
        destination = Path(options["to"] or Path(settings.VAR_DIR) / "backups")
        try:
            folder = backup(destination, now=now)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(folder))
