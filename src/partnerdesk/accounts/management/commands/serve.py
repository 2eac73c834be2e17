"""`partnerdesk serve`: the production web server (gunicorn), by default with one outbox worker beside it.

Processes and threads come from PARTNERDESK_WEB_WORKERS and PARTNERDESK_WEB_THREADS (or the options).
SIGTERM stops it gracefully: gunicorn lets requests in progress finish (PARTNERDESK_GRACEFUL_TIMEOUT_SECONDS),
then the worker beside it gets SIGTERM and finishes its message in hand. In production run
`partnerdesk serve --no-worker` behind a TLS proxy and `partnerdesk worker` (as many as you like) on their own.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, then serve partnerdesk with gunicorn on ADDRESS:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=settings.PARTNERDESK_WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.PARTNERDESK_WEB_THREADS)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument("--no-worker", action="store_true", help="do not start `partnerdesk worker` beside it")

    def handle(self, *args: Any, **options: Any) -> None:
        import os
        import shutil

        # Several processes: the metrics counters go through files, summed at each scrape (prometheus-client's
        # multiprocess mode, chosen when the library is first imported, so before the application loads).
        if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            metrics_dir = settings.DATA_DIR / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

        from gunicorn.app.base import BaseApplication

        from partnerdesk.wsgi import application

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        bind = options["address"]
        workers, threads = options["workers"], options["threads"]

        class Embedded(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
                self.cfg.set("timeout", settings.PARTNERDESK_WEB_TIMEOUT_SECONDS)
                self.cfg.set("graceful_timeout", settings.PARTNERDESK_GRACEFUL_TIMEOUT_SECONDS)
                self.cfg.set("forwarded_allow_ips", settings.PARTNERDESK_FORWARDED_ALLOW_IPS)
                # Request lines go to the JSON log through Django (partnerdesk.access), not gunicorn's.
                self.cfg.set("accesslog", None)
                self.cfg.set("errorlog", "/dev/null")  # its messages reach the JSON log through `gunicorn.error`
                self.cfg.set("control_socket_disable", True)  # several servers on one host must not share one
                self.cfg.set("child_exit", _child_exit)

            def load(self) -> Any:
                return application

        worker = None
        if not options["no_worker"]:
            # One worker delivers the outbox and runs the periodic jobs; it stops with the server.
            worker = subprocess.Popen([sys.executable, "-m", "partnerdesk", "worker"])  # noqa: S603
            self.stdout.write(f"partnerdesk worker started (pid {worker.pid})")
        self.stdout.write(f"partnerdesk on http://{bind}/  (Ctrl-C stops)")
        try:
            Embedded().run()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=settings.PARTNERDESK_GRACEFUL_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _child_exit(server: Any, worker: Any) -> None:
    """A web process ended: its live gauges leave the metrics (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
