"""Generate a heating season's bills from the command line (docs/billing.md): the same run
as the season billing page (services.generate_bills: set-wise on PostgreSQL, chunk by chunk,
progress recorded on the run), its progress printed while it runs, the premises skipped
listed with the reason. Idempotent: a premises already billed for the season is not billed
again."""

import threading

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from utilitydesk.billing.models import BillRun
from utilitydesk.billing.services import generate_bills, start_run
from utilitydesk.kernel.options import moment_option

POLL_SECONDS = 2.0


class Command(BaseCommand):
    help = "Generate the season's bills for every premises not yet billed, printing progress."

    def add_arguments(self, parser):
        parser.add_argument(
            "--season", type=int, required=True, help="the season's first year, e.g. 2026"
        )
        parser.add_argument("--now", help="ISO date-time the bills are issued at (default: now)")

    def handle(self, *args, **options):
        season = options["season"]
        if not 2000 <= season <= 2200:
            raise CommandError("--season is the season's first year, e.g. 2026")
        now = moment_option(options["now"], "--now", "2026-11-01T08:00:00+08:00")
        try:
            run = start_run(season, actor=None, now=now)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Season {season}: run {run.pk} started.")
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(run.pk, stop), daemon=True)
        watcher.start()
        try:
            run = generate_bills(run.pk, now=now)
        except Exception:
            BillRun.objects.filter(pk=run.pk).update(state=BillRun.State.FAILED)
            raise
        finally:
            stop.set()
            watcher.join()
        self.stdout.write(f"  {run.done_premises}/{run.total_premises} premises")
        self.stdout.write(f"{run.bills_issued} bill(s) issued, {len(run.skipped)} skipped.")
        for skipped in run.skipped[:50]:
            self.stdout.write(f"  skipped premises {skipped['premises']}: {skipped['reason']}")

    def _watch(self, run_id: int, stop: threading.Event) -> None:
        """Print the run's progress as the service records it (its own connection)."""
        last = None
        try:
            while not stop.wait(POLL_SECONDS):
                try:
                    row = (
                        BillRun.objects.filter(pk=run_id)
                        .values_list("done_premises", "total_premises")
                        .first()
                    )
                except DatabaseError:
                    continue
                if row and row != last and row[1]:
                    self.stdout.write(f"  {row[0]}/{row[1]} premises")
                    last = row
        finally:
            connection.close()
