"""End, on the season's last day, the temperature refunds still running when the season is
over (R-706; docs/temperature.md). Idempotent: a credit already ended is left alone. The
daily job `temperature.close_season_credits` does the same for the season just ended."""

from django.core.management.base import BaseCommand, CommandError

from utilitydesk.kernel.options import moment_option
from utilitydesk.temperature.services import close_season_credits


class Command(BaseCommand):
    help = (
        "Close the temperature refund credits of a heating season whose period was still "
        "running at its end (the season's last day counts); nothing before the season ends."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--season", type=int, required=True, help="the season's first year, e.g. 2026"
        )
        parser.add_argument("--now", help="ISO date-time to act as of (default: now)")

    def handle(self, *args, **options):
        season = options["season"]
        if not 2000 <= season <= 2200:
            raise CommandError("--season is the season's first year, e.g. 2026")
        now = moment_option(options["now"], "--now", "2027-03-21T02:00:00+08:00")
        closed = close_season_credits(season, now=now)
        self.stdout.write(f"Season {season}: {closed} refund credit(s) closed.")
