"""`partnerdesk worker`: deliver the outbox and run the periodic jobs, in a loop (or `--once`)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from partnerdesk.outbox import schedule
from partnerdesk.outbox.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver due outbox mail every few seconds and run the periodic jobs (service levels, settling, pruning)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round: deliver what is due, run every job")
        parser.add_argument("--interval", type=float, default=settings.PARTNERDESK_WORKER_INTERVAL_SECONDS)
        parser.add_argument("--batch", type=int, default=100, help="messages per round")
        parser.add_argument("--no-jobs", action="store_true", help="only deliver mail")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["once"]:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_args: stop.set())
            self.stdout.write(f"partnerdesk worker: every {options['interval']}s (Ctrl-C stops)")
        while True:
            if not connection.in_atomic_block:  # a long-running process drops stale connections between rounds
                close_old_connections()
            report = deliver_due(limit=options["batch"])
            if report.handled or report.recovered:
                self.stdout.write(
                    f"sent {len(report.sent)}, retrying {len(report.retrying)}, failed {len(report.failed)}, "
                    f"refused {len(report.refused)}, recovered {report.recovered}"
                )
            if not options["no_jobs"]:
                for name in schedule.run_due_jobs(force=options["once"]):
                    self.stdout.write(f"ran {name}")
            if options["once"] or stop.is_set():
                return
            if report.handled < options["batch"]:  # a full batch: more may be due at once
                stop.wait(options["interval"])
            if stop.is_set():
                return
