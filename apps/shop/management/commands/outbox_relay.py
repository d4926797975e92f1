"""Apply the shop's pending order events to default: once, or every few seconds for good."""

import signal
import time

from django.core.management.base import BaseCommand, CommandError

from apps.shop.services import outbox_relay


class Command(BaseCommand):
    help = (
        "Apply pending OrderEvent rows (shop_db's outbox) to the customers' orders_placed in "
        "default. Idempotent: safe to run from cron, or as a sidecar with --forever. Exits 1 "
        "when events are left pending (default or shop_db unreachable)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--forever", action="store_true", help="Keep relaying until stopped (SIGTERM, ^C)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between runs with --forever (default 1).",
        )

    def handle(self, *args, forever, interval, verbosity, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        stopping = []
        if forever:
            signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while True:
            result = outbox_relay()
            if verbosity >= 2 or (verbosity >= 1 and (result.applied or not forever)):
                pending = "unknown" if result.pending < 0 else result.pending
                self.stdout.write(f"applied {result.applied} events; {pending} pending")
            if not forever:
                if result.pending:
                    raise CommandError("Events are left pending.", returncode=1)
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
            if stopping:
                return
