import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from utilitydesk.sla.sweeper import sweep


class Command(BaseCommand):
    help = "Run one sweep (deadline warnings, breaches, escalations) and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 moment to sweep at (for tests and drills)")

    def handle(self, *args, **options):
        now = timezone.now()
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None:
                raise CommandError("--now must be ISO-8601, e.g. 2026-11-24T09:00")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        summary = sweep(now)
        summary["now"] = timezone.localtime(now).isoformat()
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
