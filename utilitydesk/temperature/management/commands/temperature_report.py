"""Print the season's indoor-temperature pass rate per station or substation (R-707) and,
with --xlsx, write the whole report (pass rates, distribution, failed homes not yet
re-measured) as a workbook. It reads as the person --user names (their scope, their
masking, their name in the access log for the export)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.kernel.options import moment_option
from utilitydesk.temperature import reports, selectors


def _rate(value) -> str:
    return "—" if value is None else f"{value}%"


class Command(BaseCommand):
    help = "Print the indoor-temperature pass rate of a heating season per station or substation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--season", type=int, help="the season's first year, e.g. 2026 (default: the current)"
        )
        parser.add_argument("--by", choices=selectors.GROUPINGS, default=selectors.BY_STATION)
        parser.add_argument("--xlsx", help="also write the report workbook to this path")
        parser.add_argument("--user", default="admin", help="who reads the report (scope, log)")
        parser.add_argument("--now", help="ISO date-time to report as of (default: now)")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2027-01-10T09:00:00+08:00")
        season = options["season"] or selectors.current_season(now)
        if not 2000 <= season <= 2100:
            raise CommandError("--season is the season's first year, e.g. 2026")
        try:
            actor = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"unknown user {options['user']}") from None
        if not actor.has_perm(reports.PERMISSION):
            raise CommandError(f"{actor.username} may not read the temperature reports")
        rows = selectors.season_pass_rates(actor, season, options["by"])
        total = selectors.total_row(rows)
        unit = "station" if options["by"] == selectors.BY_STATION else "substation"
        name_width = max([len(unit), 5] + [len(row.unit_name) for row in rows])
        self.stdout.write(f"Season {season}-{season + 1}, pass rate by {unit} (R-707)")
        header = f"{unit:<{name_width}}  {'measured':>8}  {'passed':>8}  {'rate':>7}"
        self.stdout.write(header)
        for row in [*rows, total]:
            name = row.unit_name or ("total" if row is total else "(none)")
            self.stdout.write(
                f"{name:<{name_width}}  {row.measured:>8}  {row.passed:>8}  {_rate(row.rate):>7}"
            )
        if options["xlsx"]:
            path = Path(options["xlsx"])
            with path.open("wb") as stream:
                listed = reports.write_workbook(actor, season, stream, now=now)
            self.stdout.write(f"Workbook written to {path} ({listed} failed home(s) listed).")
