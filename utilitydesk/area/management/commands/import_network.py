"""manage.py import_network FILE [--dry-run]: the supply network from an Excel workbook
(sheets 热源, 换热站, 楼宇, 管段; docs/import.md)."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from utilitydesk.area.network_import import import_network


class Command(BaseCommand):
    help = "Import the supply network (sources, substations, buildings, pipe sections)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument("--user", default="admin", help="who the import is recorded as")
        parser.add_argument("--report", help="write the report as JSON to this file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        User = get_user_model()
        try:
            actor = User.objects.get(username=options["user"])
        except User.DoesNotExist:
            raise CommandError(f"unknown user {options['user']}") from None
        if not actor.has_perm("area.import_network"):
            raise CommandError(f"{actor.get_username()} may not import the network")
        report = import_network(path, actor=actor, now=timezone.now(), dry_run=options["dry_run"])
        for error in report.file_errors:
            self.stderr.write(error)
        for e in report.errors:
            self.stdout.write(f"{e.sheet}\trow {e.row}\t{e.column}\t{e.value}\t{e.reason}")
        if report.error_count > len(report.errors):
            self.stdout.write(f"{report.error_count - len(report.errors)} more reasons not listed")
        for counts in report.sheets.values():
            self.stdout.write(
                f"{counts.title}: {counts.rows} rows, {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged, "
                f"{counts.rejected} rejected"
            )
        if report.buildings_moved:
            self.stdout.write(f"{report.buildings_moved} buildings now served by another station")
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if not report.ok:
            raise CommandError("nothing was written: the workbook has errors")
        if report.dry_run:
            self.stdout.write("dry run: every row is correct; nothing was written")
        else:
            self.stdout.write(self.style.SUCCESS("network imported"))
