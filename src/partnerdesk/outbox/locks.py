"""Row locks of the outbox (ARCHITECTURE 6): only here, each naming its own row."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from .choices import OutboxState
from .models import DeferredEvent, OutboxMessage


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of due messages that no other worker holds (skipped, not waited for); call inside a transaction."""
    due = Q(state=OutboxState.QUEUED) | Q(state=OutboxState.RETRYING, next_attempt_at__lte=now)
    rows = (
        OutboxMessage.objects.filter(due)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:limit]
    )
    return list(rows)


def lock_message(pk: int) -> OutboxMessage:
    return OutboxMessage.objects.select_for_update(of=("self",)).get(pk=pk)


def claim_deferred_event(*, now: datetime) -> DeferredEvent | None:
    """The oldest due deferred event no other worker holds (skipped, not waited for); inside a transaction."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return DeferredEvent.objects.filter(due).order_by("pk").select_for_update(skip_locked=True, of=("self",)).first()
