"""`partnerdesk worker`: deliver the outbox and run the periodic jobs, in a loop (or `--once`).

SIGTERM (or Ctrl-C) stops it cleanly: the message in hand is sent and recorded, the rest of the claimed
batch is handed back, the running job finishes, no new one starts; then the process exits 0. Each round
stamps the worker's heartbeat, which /readyz checks.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from partnerdesk.outbox import schedule, services
from partnerdesk.outbox.delivery import deliver_due

logger = logging.getLogger("partnerdesk.worker")


class Command(BaseCommand):
    help = "Deliver due outbox mail every few seconds and run the periodic jobs (service levels, settling, pruning)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round: deliver what is due, run every job")
        parser.add_argument("--interval", type=float, default=settings.PARTNERDESK_WORKER_INTERVAL_SECONDS)
        parser.add_argument("--batch", type=int, default=100, help="messages per round")
        parser.add_argument("--no-jobs", action="store_true", help="only deliver mail")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        name = f"{socket.gethostname()}:{os.getpid()}"
        started_at = timezone.now()
        if not options["once"]:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_args: stop.set())
            self.stdout.write(f"partnerdesk worker: every {options['interval']}s (Ctrl-C stops)")
            logger.info("worker %s started", name)
        try:
            self._loop(stop, name, started_at, options)
        finally:
            if not options["once"]:
                try:
                    services.stopped(name=name)
                except Exception:  # noqa: BLE001 - the database may be the reason we stop
                    logger.warning("worker %s: could not remove its heartbeat", name)
                logger.info("worker %s stopped", name)

    def _loop(self, stop: threading.Event, name: str, started_at: Any, options: dict[str, Any]) -> None:
        while True:
            if not connection.in_atomic_block:  # a long-running process drops stale connections between rounds
                close_old_connections()
            report = deliver_due(limit=options["batch"], should_stop=stop.is_set)
            if report.handled or report.recovered:
                self.stdout.write(
                    f"sent {len(report.sent)}, retrying {len(report.retrying)}, failed {len(report.failed)}, "
                    f"refused {len(report.refused)}, recovered {report.recovered}"
                )
            if not options["no_jobs"]:
                for job_name in schedule.run_due_jobs(force=options["once"], should_stop=stop.is_set):
                    self.stdout.write(f"ran {job_name}")
            services.beat(name=name, started_at=started_at)
            if options["once"] or stop.is_set():
                return
            if report.handled < options["batch"]:  # a full batch: more may be due at once
                stop.wait(options["interval"])
            if stop.is_set():
                return
