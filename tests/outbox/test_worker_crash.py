"""kill -9 the worker mid-batch and start it again: nothing is lost (issue 11; R4.9, R6.3). PostgreSQL only:
the worker is a real `partnerdesk worker` process on the test database, the SMTP server a real aiosmtpd."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from partnerdesk.outbox.models import OutboxMessage

from .conftest import notice

SRC = Path(__file__).resolve().parents[2] / "src"


def _worker(mail_server, tmp_path, **env: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "partnerdesk", "worker", "--interval", "0.2", "--batch", "5", "--no-jobs"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")},
            "PYTHONPATH": str(SRC),
            "DATABASE_URL": url,
            "PARTNERDESK_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "crash-test",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_server.port),
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r4_9_kill_9_mid_batch_then_restart_loses_nothing(mail_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(f"the crash test runs a worker process on PostgreSQL (this run uses {connection.vendor})")
    rows = [notice(to=f"admin{i}@a.example", subject=f"notice {i}") for i in range(20)]
    mail_server.delay = 0.15
    first = _worker(mail_server, tmp_path)
    try:
        assert _wait(lambda: len(mail_server.envelopes) >= 4, 30), "the first worker delivered nothing"
    finally:
        os.kill(first.pid, signal.SIGKILL)  # mid-batch: some sent, some claimed, some still queued
        first.wait()
    states = set(OutboxMessage.objects.values_list("state", flat=True))
    assert "sending" in states or "queued" in states, states
    mail_server.delay = 0.0
    second = _worker(mail_server, tmp_path, PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS="1")
    try:
        assert _wait(lambda: not OutboxMessage.objects.exclude(state="sent").exists(), 60), list(
            OutboxMessage.objects.values_list("state", "last_error")
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    received = mail_server.message_ids
    assert set(received) == {r.message_id for r in rows}  # every message arrived
    # At most the mail in the server's hands at the kill went twice, under its one Message-ID.
    assert len(received) - len(set(received)) <= 1
