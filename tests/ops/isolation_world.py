"""Operations' part of the tenant-isolation walk (tests/isolation.py): a worker is running, so /readyz is ready
(an unready installation answers 503 by design); the personal-data routes use the contact person id kind."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.utils import timezone

from partnerdesk.outbox.models import WorkerHeartbeat


def extend_world(world: Any) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name="isolation:1", defaults={"started_at": now, "beat_at": now})


def register(isolation: ModuleType) -> None:
    isolation.WORLD_EXTENSIONS.append(extend_world)
