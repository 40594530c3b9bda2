"""Generate a synthetic city at benchmark scale (see docs/benchmarks.md)."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.demo.city import Progress, make_city
from utilitydesk.kernel.options import moment_option


class TqdmProgress(Progress):
    def __init__(self, enabled: bool):
        self.enabled, self.bar = enabled, None

    def start(self, label: str, total: int) -> None:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="rows", unit_scale=True)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Generate a consistent synthetic heating company: stations, staff, buildings, "
        "customers, past heating seasons of cases and this morning's open ones. Adds only "
        "what is missing, so it can be re-run or enlarged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument(
            "--cases", type=int, default=3_000_000, help="all cases, open ones included"
        )
        parser.add_argument("--open", type=int, default=30_000, help="open cases")
        parser.add_argument(
            "--seasons", type=int, default=1, help="past heating seasons the cases spread over"
        )
        parser.add_argument(
            "--measurements",
            type=int,
            default=None,
            help="valid indoor temperature records this season (default: customers / 5)",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--now", help="ISO date-time the open cases are 'now' for")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-11-23T08:00:00+08:00")
        if options["customers"] < 1 or options["seasons"] < 1:
            raise CommandError("--customers and --seasons must be at least 1")
        if options["measurements"] is not None and options["measurements"] < 0:
            raise CommandError("--measurements must not be negative")
        if not 0 <= options["open"] <= options["cases"]:
            raise CommandError("--open must be between 0 and --cases")
        started = time.monotonic()
        call_command("load_demo", customers=0, verbosity=0)
        report = make_city(
            customers=options["customers"],
            cases=options["cases"],
            seasons=options["seasons"],
            open_cases=options["open"],
            now=now,
            seed=options["seed"],
            progress=TqdmProgress(options["verbosity"] > 0),
            measurements=options["measurements"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"City ready in {time.monotonic() - started:.0f} s: {report.stations} stations, "
                f"{report.sources} heat sources, "
                f"{report.customers:,} customers, {report.cases:,} cases "
                f"({report.open_cases:,} open), "
                f"{report.measurements:,} temperature measurements."
            )
        )
