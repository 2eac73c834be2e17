"""Row locks of the webhooks (ARCHITECTURE 6): only here, each naming its own row."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from .choices import DeliveryState
from .models import Delivery, Endpoint


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction")


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of due deliveries that no other worker holds (skipped, not waited for)."""
    _in_transaction("claim_due")
    due = Q(state=DeliveryState.PENDING) | Q(state=DeliveryState.RETRYING, next_attempt_at__lte=now)
    rows = (
        Delivery.objects.filter(due)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:limit]
    )
    return list(rows)


def lock_delivery(pk: int) -> Delivery | None:
    """The delivery, locked; None when it is gone (its endpoint was deleted meanwhile)."""
    _in_transaction("lock_delivery")
    return Delivery.objects.select_for_update(of=("self",)).filter(pk=pk).first()


def lock_endpoint(pk: int) -> Endpoint | None:
    _in_transaction("lock_endpoint")
    return Endpoint.objects.select_for_update(of=("self",)).filter(pk=pk).first()
