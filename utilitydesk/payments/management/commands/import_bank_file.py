"""Import a bank file by its layout (docs/billing.md, "Bank file layouts"): withholding or
collection results become payments, a statement its money lines. A file with bad rows is
refused whole and every bad row is printed with its number and reason (exit status 1);
importing a file again books nothing twice. ``--reconcile`` runs the three-way
reconciliation of the days the file names afterwards."""

import time
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils import timezone

from utilitydesk.kernel.options import moment_option
from utilitydesk.payments import bankfiles, reconciliation
from utilitydesk.payments.models import (
    BankFileLayout,
    BankStatementLine,
    ImportStatus,
    LayoutPurpose,
    Payment,
)


class Command(BaseCommand):
    help = "Import a bank's withholding / collection result file or statement (--bank LAYOUT)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the bank's file")
        parser.add_argument(
            "--bank", required=True, help="the layout code, e.g. ICBC-WH, ICBC-STMT, CCB-COL"
        )
        parser.add_argument("--now", help="ISO date-time of the import (default: now)")
        parser.add_argument(
            "--reconcile", action="store_true", help="reconcile the file's days afterwards"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        codes = list(BankFileLayout.objects.values_list("code", flat=True))
        if options["bank"] not in codes:
            raise CommandError(f"--bank must be one of {', '.join(codes)}")
        now = moment_option(options["now"], "--now", "2026-12-03T09:00:00+08:00")
        data = path.read_bytes()
        self.stdout.write(f"{path.name}: {len(data):,} bytes, layout {options['bank']}; reading…")
        began = time.perf_counter()
        try:
            record = bankfiles.import_bank_file(
                options["bank"], path.name, data, actor=None, now=now
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        seconds = time.perf_counter() - began
        self.stdout.write(
            f"{record.get_status_display()} in {seconds:.1f} s: {record.total_rows:,} rows, "
            f"{record.imported_rows:,} imported ({record.imported_amount} yuan), "
            f"{record.duplicate_rows:,} already imported, {record.unpaid_rows:,} not paid, "
            f"{record.rejected_rows:,} bad"
        )
        for bad in record.errors:
            self.stdout.write(f"  row {bad['row']}: {bad['reason']}")
        if record.status == ImportStatus.REFUSED:
            raise CommandError("the file was refused: nothing of it was imported")
        if options["reconcile"]:
            if record.layout.purpose == LayoutPurpose.STATEMENT:
                span = BankStatementLine.objects.filter(bank_import=record).aggregate(
                    a=Min("booked_on"), b=Max("booked_on")
                )
                days = set()
                day = span["a"]
                while day is not None and day <= span["b"]:
                    days.add(day)
                    day += timedelta(days=1)
            else:
                days = {
                    timezone.localdate(moment)
                    for moment in Payment.objects.filter(bank_import=record).datetimes(
                        "received_at", "day"
                    )
                }
            for day in sorted(days):
                began = time.perf_counter()
                run = reconciliation.reconcile(day, actor=None, now=now)
                self.stdout.write(
                    f"Reconciled {day} in {time.perf_counter() - began:.1f} s: receipts "
                    f"{run.receipts_total}, money {run.money_total}, ledger {run.ledger_total}, "
                    f"{run.issues_found} mismatches"
                )
