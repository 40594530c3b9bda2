"""Bring the arrears records up to date with the bills past their due day and the ledger
(docs/billing.md). Idempotent; the daily job `arrears.refresh` does the same."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from utilitydesk.arrears.services import refresh
from utilitydesk.kernel.options import moment_option


class Command(BaseCommand):
    help = "Update the arrears records (overdue amounts per account and season)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to act as of (default: now)")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-11-16T02:00:00+08:00")
        written = refresh(timezone.localdate(now), now=now)
        self.stdout.write(f"{written} arrears record(s) written.")
