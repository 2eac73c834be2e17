"""Issue 17 item 2 (R13.2): /healthz answers while the process runs; /readyz is ready only with the database
reachable, every migration applied, a fresh worker heartbeat and no stuck outbox; neither needs a login
nor shows any data."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from partnerdesk.ops import health
from partnerdesk.outbox.models import OutboxMessage, WorkerHeartbeat
from tests.contact.conftest import free_port
from tests.outbox.conftest import notice

SRC = Path(__file__).resolve().parents[2] / "src"


def _fresh_heartbeat() -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="test:1", started_at=now, beat_at=now)


def test_r13_2_healthz_answers_without_login_or_database():
    response = Client().get("/healthz")  # no django_db mark: any query would raise
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_r13_2_readyz_ready_with_a_fresh_heartbeat_and_nothing_stuck():
    _fresh_heartbeat()
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok", "outbox": "ok"},
    }


@pytest.mark.django_db
def test_r13_2_readyz_unready_without_a_worker_or_with_a_stale_one():
    assert Client().get("/readyz").json()["checks"]["worker"] == "stale"
    old = timezone.now() - timedelta(hours=1)
    WorkerHeartbeat.objects.create(name="test:2", started_at=old, beat_at=old)
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["worker"] == "stale"


@pytest.mark.django_db
def test_r13_2_readyz_unready_when_the_outbox_is_stuck():
    _fresh_heartbeat()
    row = notice(to="someone@a.example")
    assert Client().get("/readyz").status_code == 200  # just queued: the worker has time
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=2))
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["outbox"] == "stuck"
    assert b"someone" not in response.content  # no data revealed


@pytest.mark.django_db
def test_r13_2_readyz_unready_with_a_pending_migration(monkeypatch):
    _fresh_heartbeat()
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", lambda self, targets: [("pending", False)]
    )
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["migrations"] == "pending"


def _readyz_in_process(database_url: str, tmp_path: Path) -> tuple[int, dict]:
    code = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/readyz'); print(json.dumps([r.status_code, r.json()]))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
            "DATABASE_URL": database_url,
            "PARTNERDESK_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "readyz-test",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    return status, body


def test_r13_2_readyz_unready_when_the_database_does_not_answer(tmp_path):
    """A process whose DATABASE_URL points at a closed port: 503, "unreachable", never a 500."""
    status, body = _readyz_in_process(f"postgres://nobody@127.0.0.1:{free_port()}/nothing", tmp_path)
    assert status == 503
    assert body == {
        "status": "unready",
        "checks": {"database": "unreachable", "migrations": "unknown", "worker": "unknown", "outbox": "unknown"},
    }


class _Proxy:
    """A TCP forwarder to PostgreSQL that can be stopped (all connections cut) and started again on its port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        for sock in self.open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r13_2_readyz_of_a_running_server_turns_unready_when_the_database_goes_and_ready_when_it_returns(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(f"the server process runs on PostgreSQL (this run uses {connection.vendor})")
    import urllib.request

    _fresh_heartbeat()
    WorkerHeartbeat.objects.filter(name="test:1").update(beat_at=timezone.now() + timedelta(hours=1))
    db = connection.settings_dict
    proxy = _Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "partnerdesk",
            "serve",
            f"127.0.0.1:{port}",
            "--no-worker",
            "--no-migrate",
            "--workers",
            "1",
            "--threads",
            "1",
        ],
        env={
            **os.environ,
            "PYTHONPATH": str(SRC),
            "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
            "CONN_MAX_AGE": "60",
            "PARTNERDESK_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "readyz-test",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def readyz() -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as r:  # noqa: S310
                return r.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def wait_for(status: int, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if readyz() == status:
                return True
            time.sleep(0.3)
        return False

    try:
        assert wait_for(200), "never ready"
        proxy.stop()  # the database is gone for the server
        assert wait_for(503), "still ready without its database"
        assert readyz() == 503
        proxy.start()  # and back
        assert wait_for(200), "not ready again after the database returned"
    finally:
        server.terminate()
        server.wait(timeout=40)
        proxy.stop()
