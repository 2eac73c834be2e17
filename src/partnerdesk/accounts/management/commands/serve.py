"""`partnerdesk serve`: the embedded server (gunicorn) for a single machine, with one outbox worker beside it.

In production run gunicorn behind a TLS proxy and `partnerdesk worker` (as many as you like) on their own.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, then serve partnerdesk with gunicorn on ADDRESS:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument("--no-worker", action="store_true", help="do not start `partnerdesk worker` beside it")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from partnerdesk.wsgi import application

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        bind = options["address"]
        workers = options["workers"]

        class Embedded(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", workers)
                self.cfg.set("accesslog", "-")

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
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
