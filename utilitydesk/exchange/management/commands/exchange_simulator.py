"""Play the 12345 platform for the demo: listen for our calls, send orders (some twice)
and urges to a running UtilityDesk (docs/exchange-12345.md)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from utilitydesk.exchange import simulator


class Command(BaseCommand):
    help = "Run a local 12345 platform: it takes our messages and sends us orders."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8012)
        parser.add_argument("--target", default="http://127.0.0.1:8000")
        parser.add_argument("--orders", type=int, default=10)
        parser.add_argument("--seconds", type=float, default=0, help="0: until Ctrl-C")

    def handle(self, *args, **options):
        secret = settings.EXCHANGE_12345_SECRET
        if not secret:
            raise CommandError("Set EXCHANGE_12345_SECRET (the same for both sides).")
        with simulator.Server(secret, port=options["port"]) as server:
            self.stdout.write(f"12345 platform at {server.url} (EXCHANGE_12345_BASE_URL)")
            sender = simulator.Sender(secret, simulator.http_transport(options["target"]))
            now = timezone.now()
            orders = simulator.make_orders(options["orders"], now, seed=int(now.timestamp()))
            for n, payload in enumerate(orders):
                status, answer = sender.order(payload)
                self.stdout.write(f"{payload['order_no']}: {status} {answer}")
                if n % 3 == 0:
                    sender.order(payload)  # the platform sends some twice
                if n % 4 == 0:
                    sender.event(simulator.urge(payload["order_no"], 1, now))
            deadline = time.monotonic() + options["seconds"] if options["seconds"] else None
            try:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
            taken = {a: len(m) for a, m in server.platform.messages.items()}
            self.stdout.write(f"taken by the platform: {taken}")
