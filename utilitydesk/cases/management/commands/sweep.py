import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from utilitydesk.cases.sweeper import sweep
from utilitydesk.kernel.options import moment_option


class Command(BaseCommand):
    help = "Run one sweep (deadline warnings, breaches, escalations) and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 moment to sweep at (for tests and drills)")

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-11-24T09:00")
        summary = sweep(now)
        summary["now"] = timezone.localtime(now).isoformat()
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
