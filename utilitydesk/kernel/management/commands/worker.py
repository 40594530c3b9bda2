"""The embedded server's companion process: runs the heavy background jobs (customer
imports) that wait in the database, outside the web server (kernel/background.py), and
with --periodic-jobs the periodic jobs of settings.PERIODIC_JOBS (kernel/scheduler.py):
`make run` starts it beside gunicorn (Procfile)."""

import contextlib
import os
import signal
import sys

from django.core.management.base import BaseCommand

from utilitydesk.kernel import background, scheduler


def _exit(signum, frame):
    # Unwinds like Ctrl-C: the chunk being written is rolled back, and the job is
    # marked interrupted when the worker next starts (WorkQueue.recover).
    sys.exit(0)


class Command(BaseCommand):
    help = "Run queued background jobs (customer imports) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--parent", type=int, help="stop when the process with this id has ended"
        )
        parser.add_argument("--once", action="store_true", help="run what is queued now, then stop")
        parser.add_argument("--idle-seconds", type=float, default=1.0)
        parser.add_argument(
            "--periodic-jobs",
            action="store_true",
            help="also run the periodic jobs (the sweeper, notices, reports, …) in this process",
        )

    def handle(self, *args, **options):
        if options["once"]:
            while any(queue.run_next() for queue in background.queues()):
                pass
            return
        signal.signal(signal.SIGTERM, _exit)
        if options["periodic_jobs"]:
            scheduler.start_in_thread()
            names = ", ".join(job.name for job in scheduler.jobs()) or "-"
            self.stdout.write(f"Periodic jobs running: {names}")
            self.stdout.flush()
        parent = options["parent"]
        with contextlib.suppress(KeyboardInterrupt):
            background.work(
                lambda: parent is not None and os.getppid() != parent,
                idle_seconds=options["idle_seconds"],
            )
