"""manage.py count_kpis [--from DATE] [--to DATE] [--days N] [--now ISO]: count (or
recount) the KPIs' daily counts of the local days given, by default the last
settings.KPI_RECOUNT_DAYS days up to today (docs/kpis.md, "Daily counts")."""

import time
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from utilitydesk.kernel.options import moment_option

from ...services import count_days


def _day(raw: str, option: str) -> date:
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise CommandError(f"{option} must be a date, e.g. 2026-11-01")
    return day


class Command(BaseCommand):
    help = "Count the KPIs' daily counts of the days given (default: the recent days)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="the first day, e.g. 2026-11-01")
        parser.add_argument("--to", dest="last", help="the last day (default: today)")
        parser.add_argument("--days", type=int, help="the last N days up to --to")
        parser.add_argument("--now", help="the moment to act at, ISO-8601 (default: now)")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-12-01T01:00")
        last = _day(options["last"], "--to") if options["last"] else timezone.localdate(now)
        if options["first"]:
            first = _day(options["first"], "--from")
        else:
            days = options["days"] if options["days"] is not None else settings.KPI_RECOUNT_DAYS
            if days < 1:
                raise CommandError("--days must be at least 1")
            first = last - timedelta(days=days - 1)
        if first > last:
            raise CommandError("--from is after --to")
        began = time.perf_counter()
        stored = count_days(first, last, now=now)
        self.stdout.write(
            f"{first}..{last}: {stored} counts stored in {time.perf_counter() - began:.1f} s"
        )
