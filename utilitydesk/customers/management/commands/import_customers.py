import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from utilitydesk.customers.importing import ImportLimits, import_customers


class Command(BaseCommand):
    help = "Import customers from an .xlsx or .csv file (columns: docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", default="admin", help="who the import is recorded as")
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument("--create-buildings", action="store_true")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--report", help="write the report as JSON to this file")
        # The operator's own file on the server: the upload size limit of the web import
        # does not apply unless asked for; the row and unpacked-size limits do.
        parser.add_argument("--max-file-bytes", type=int, default=None)
        parser.add_argument("--max-rows", type=int, default=settings.IMPORT_MAX_ROWS)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            actor = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"unknown user {options['user']}") from None
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if options["no_progress"]:
                return
            if bar is None:
                bar = tqdm(total=total, unit="rows", desc=path.name)
            bar.total = total
            bar.update(done - bar.n)

        report = import_customers(
            path,
            actor,
            dry_run=options["dry_run"],
            create_buildings=options["create_buildings"],
            progress=progress,
            limits=ImportLimits.from_settings(
                max_file_bytes=options["max_file_bytes"], max_rows=options["max_rows"]
            ),
        )
        if bar is not None:
            bar.close()
        for error in report.file_errors:
            self.stderr.write(error)
        if report.header_row and report.header_row > 1:
            self.stdout.write(f"header on row {report.header_row}; the rows above it were skipped")
        for e in report.rejected:
            self.stdout.write(f"row {e.row}\t{e.column_title or e.column}\t{e.value}\t{e.reason}")
        for column, count in report.rejected_by_column.items():
            listed = sum(1 for e in report.rejected if e.column == column)
            if count > listed:
                title = report.column_titles.get(column, column)
                self.stdout.write(f"{title}: {count} rejected, first {listed} listed")
        mode = "dry run: " if report.dry_run else ""
        self.stdout.write(
            f"{mode}{report.total_rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected_rows} rejected, "
            f"{report.buildings_created} buildings created"
        )
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if report.file_errors:
            raise CommandError("the file was not imported")
