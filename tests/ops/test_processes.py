"""Issue 17 item 1 (R13.2): the worker stops cleanly on SIGTERM (nothing in hand is lost), stamps a heartbeat
each round, and `partnerdesk serve` with a separate `partnerdesk worker` survives a SIGKILLed worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.services import create_api_token
from partnerdesk.outbox import schedule
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage, WorkerHeartbeat
from partnerdesk.outbox.services import beat, stopped
from tests.contact.conftest import free_port
from tests.factories import UserFactory
from tests.outbox.conftest import mail_server, notice  # noqa: F401 - the fixture

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.django_db
def test_r13_2_a_stopping_worker_records_the_message_in_hand_and_hands_the_rest_back(mail_server):  # noqa: F811
    rows = [notice(to=f"admin{i}@a.example") for i in range(4)]
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # SIGTERM arrives while the first message is being sent

    report = deliver_due(should_stop=should_stop)
    assert report.sent == [rows[0].pk]
    rest = OutboxMessage.objects.filter(pk__in=[r.pk for r in rows[1:]])
    # Handed back: due at once for the next worker, the attempt not counted, nothing left `sending`.
    assert {(r.state, r.attempts, r.claimed_at) for r in rest} == {("retrying", 0, None)}
    assert deliver_due().sent == [r.pk for r in rows[1:]]
    assert len(mail_server.envelopes) == 4


def test_r13_2_a_stopping_worker_starts_no_further_job():
    ran: list[str] = []
    saved = dict(schedule.JOBS)
    schedule.JOBS.clear()
    try:
        schedule.register_job("one", lambda: ran.append("one"), every=timezone.timedelta(seconds=1))
        schedule.register_job("two", lambda: ran.append("two"), every=timezone.timedelta(seconds=1))
        assert schedule.run_due_jobs(force=True, should_stop=lambda: bool(ran)) == ["one"]
    finally:
        schedule.JOBS.clear()
        schedule.JOBS.update(saved)


@pytest.mark.django_db
def test_r13_2_each_round_stamps_the_heartbeat_and_a_clean_stop_removes_it():
    started = timezone.now()
    beat(name="host:1", started_at=started)
    beat(name="host:1", started_at=started)
    hb = WorkerHeartbeat.objects.get(name="host:1")
    assert hb.rounds == 1 and hb.beat_at >= started
    stopped(name="host:1")
    assert not WorkerHeartbeat.objects.exists()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")},
        "PYTHONPATH": str(SRC),
        "DATABASE_URL": url,
        "PARTNERDESK_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "ops-process-test",
        **extra,
    }


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r13_2_serve_and_worker_as_processes_sigkill_mid_task_then_restart_every_mail_once(
    mail_server,  # noqa: F811
    tmp_path,
):
    """Requests to the production server enqueue mail; the worker is killed with SIGKILL mid-batch and started
    again: every mail arrives, at most the one in the server's hands at the kill twice (same Message-ID)."""
    if connection.vendor != "postgresql":
        pytest.skip(f"the process test runs on PostgreSQL (this run uses {connection.vendor})")
    admin = UserFactory(role=Role.VENDOR_ADMIN, email="ops-admin@vendor.example")
    _, token = create_api_token(acting_user=admin, name="ops")
    port = free_port()
    smtp = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mail_server.port)}
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
            "2",
            "--threads",
            "2",
        ],
        env=_env(tmp_path, ALLOWED_HOSTS="127.0.0.1"),
        stdout=(tmp_path / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        assert _wait(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30), (
            tmp_path / "serve.log"
        ).read_text()[-3000:]
        for i in range(12):  # each new partner's first admin is invited by mail (through the outbox)
            body = json.dumps({"name": f"Ops {i} GmbH", "admin_email": f"first{i}@ops{i}.example"}).encode()
            request = urllib.request.Request(  # noqa: S310
                f"http://127.0.0.1:{port}/api/v1/partners",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 201
        expected = set(OutboxMessage.objects.values_list("message_id", flat=True))
        assert len(expected) == 12
        mail_server.delay = 0.2
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "partnerdesk", "worker", "--batch", "4", "--interval", "0.2"],
            env=_env(tmp_path, **smtp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert _wait(lambda: len(mail_server.envelopes) >= 3, 30), "the first worker delivered nothing"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert OutboxMessage.objects.exclude(state="sent").exists()
        mail_server.delay = 0.0
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "partnerdesk", "worker", "--batch", "4", "--interval", "0.2"],
            env=_env(tmp_path, PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS="1", **smtp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert _wait(lambda: not OutboxMessage.objects.exclude(state="sent").exists(), 60)
        # SIGTERM: the worker stops cleanly (exit 0) and takes its heartbeat with it.
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        worker = None
        received = mail_server.message_ids
        assert set(received) == expected
        assert len(received) - len(set(received)) <= 1
        # The server stops gracefully on SIGTERM too.
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
    finally:
        for process in (worker, server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
