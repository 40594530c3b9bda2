"""Generate a heating season's bills from the command line (docs/billing.md): the same run
as the season billing page, progress printed chunk by chunk, the premises skipped listed
with the reason. Idempotent: a premises already billed for the season is not billed again."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.billing.models import Bill, BillRun, BillStatus
from utilitydesk.billing.services import CHUNK, generate_bills, start_run
from utilitydesk.customers.models import Premises, SupplyStatus
from utilitydesk.kernel.options import moment_option


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
        ids = list(
            Premises.objects.exclude(status=SupplyStatus.CLOSED)
            .exclude(
                pk__in=Bill.objects.filter(season=season, status=BillStatus.ISSUED).values(
                    "premises_id"
                )
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        total = len(ids)
        self.stdout.write(f"Season {season}: {total} premises to bill (run {run.pk}).")
        done = 0
        try:
            for start in range(0, total, CHUNK):
                chunk = ids[start : start + CHUNK]
                generate_bills(run.pk, chunk, now=now)
                done += len(chunk)
                # The service counts per call: the run shows the whole season's progress.
                BillRun.objects.filter(pk=run.pk).update(
                    total_premises=total, done_premises=done, state=BillRun.State.RUNNING
                )
                self.stdout.write(f"  {done}/{total} premises")
        except Exception:
            BillRun.objects.filter(pk=run.pk).update(state=BillRun.State.FAILED)
            raise
        BillRun.objects.filter(pk=run.pk).update(
            total_premises=total, done_premises=done, state=BillRun.State.DONE, finished_at=now
        )
        run.refresh_from_db()
        self.stdout.write(f"{run.bills_issued} bill(s) issued, {len(run.skipped)} skipped.")
        for skipped in run.skipped[:50]:
            self.stdout.write(f"  skipped premises {skipped['premises']}: {skipped['reason']}")
