"""Readiness (issue 17 item 2): is this installation able to serve and to get its work done?

Each check answers "ok" or a one-word reason, never data: /readyz is open to anyone who can reach it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.utils import timezone

from partnerdesk.outbox.choices import OutboxState
from partnerdesk.outbox.models import OutboxMessage, WorkerHeartbeat

# Once every migration was seen applied it stays so for this process (an upgrade restarts the processes).
_migrated = False


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "pending"
        _migrated = True
    return "ok"


def _worker() -> str:
    cutoff = timezone.now() - timedelta(seconds=settings.PARTNERDESK_READY_HEARTBEAT_SECONDS)
    return "ok" if WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).exists() else "stale"


def _outbox() -> str:
    """Stuck: a message due for longer than the limit (queued ones by age, retrying ones past their time)."""
    cutoff = timezone.now() - timedelta(seconds=settings.PARTNERDESK_READY_OUTBOX_STUCK_SECONDS)
    stuck = OutboxMessage.objects.filter(
        Q(state=OutboxState.QUEUED, created_at__lt=cutoff) | Q(state=OutboxState.RETRYING, next_attempt_at__lt=cutoff)
    )
    return "stuck" if stuck.exists() else "ok"


CHECKS = {"database": _database, "migrations": _migrations, "worker": _worker, "outbox": _outbox}


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, {check: "ok" | reason}); a database that does not answer makes every later check "unknown"."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except DatabaseError:
            results[name] = "unreachable"
            for rest in CHECKS:
                results.setdefault(rest, "unknown")
            break
    return all(value == "ok" for value in results.values()), results
