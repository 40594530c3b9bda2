import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from utilitydesk.cases.models import Kind
from utilitydesk.kernel.options import moment_option
from utilitydesk.policy import deadlines as arithmetic
from utilitydesk.policy import services


class Command(BaseCommand):
    help = "Print, as JSON, the deadlines a case with these facts would get under the published policy."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=Kind.values)
        parser.add_argument("--grade", default="general", choices=["general", "vip"])
        parser.add_argument("--emergency", action="store_true")
        parser.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--received", help="ISO-8601; default now (Asia/Shanghai if no offset)")
        parser.add_argument(
            "--with-callback",
            action="store_true",
            help="also the callback limit, counted from receipt",
        )

    def handle(self, *args, **options):
        received = moment_option(options["received"], "--received", "2026-09-18T17:00")
        attributes = {}
        for item in options["attr"]:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"--attr takes NAME=VALUE, not {item!r}")
            attributes[name] = value
        policy = services.current_policy()
        if policy is None:
            raise CommandError("no published service policy")
        names = ("first_response", "on_site", "resolution") + (
            ("callback",) if options["with_callback"] else ()
        )
        limits = services.limits_for(
            policy, options["kind"], options["grade"], options["emergency"], attributes, names
        )
        calendar = services.calendar(refresh=True)
        result, provisional = {}, False
        for limit in limits:
            deadline = arithmetic.compute(received, limit, calendar)
            result[limit.name] = timezone.localtime(deadline.due_at).isoformat()
            provisional = provisional or deadline.provisional
        result["provisional"] = provisional
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
