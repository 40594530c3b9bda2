"""The embedded server of `make run`: the web app plus the periodic jobs in-process, and
a companion worker process for heavy background jobs (customer imports)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from utilitydesk.kernel import background, scheduler


class Command(BaseCommand):
    help = "Serve UtilityDesk with its background jobs running beside it."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        scheduler.start_in_thread()
        names = ", ".join(job.name for job in scheduler.jobs()) or "-"
        self.stdout.write(f"Background jobs running in-process: {names}")
        worker = background.start_worker_process()
        if worker is not None:
            queued = ", ".join(queue.task_name for queue in background.queues())
            self.stdout.write(f"Worker process {worker.pid} runs: {queued}")
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except Exception:
                    worker.kill()
