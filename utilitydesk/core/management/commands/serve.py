"""The embedded server of `make run`: the web app plus the periodic jobs in-process."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from utilitydesk.core import scheduler


class Command(BaseCommand):
    help = "Serve UtilityDesk with its background jobs running in-process."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        scheduler.start_in_thread()
        names = ", ".join(job.name for job in scheduler.jobs()) or "-"
        self.stdout.write(f"Background jobs running in-process: {names}")
        call_command("runserver", options["addrport"], use_reloader=False)
