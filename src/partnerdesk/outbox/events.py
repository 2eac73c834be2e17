"""Domain events: what happened, published in the transaction of the change that made it happen.

Apps of the upper layers (notifications in `channels`, `webhooks`) subscribe in AppConfig.ready. A plain
subscriber runs inside the change's transaction and writes its rows there. A *deferred* subscriber (the
notifications, which read and render much) costs the change one row: the event is stored as a
`DeferredEvent` in the change's transaction, and the worker (`run_deferred`, a job of every round) hands it
to the deferred subscribers and deletes it in one transaction. Either way a rolled-back change tells nobody
and a committed one is heard exactly once. The publishing app imports none of its subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)

# The events published today. Webhooks offer the public ones (R12.3); the others only notify.
TICKET_STATE_CHANGED = "ticket.state_changed"
TICKET_VENDOR_MESSAGE = "ticket.vendor_message"
TICKET_PARTNER_MESSAGE = "ticket.partner_message"
TICKET_BREACH_RISK = "ticket.breach_risk"
CONTRACT_QUOTA_THRESHOLD = "contract.quota_threshold"
APPOINTMENT_CHANGED = "appointment.changed"


@dataclass(frozen=True)
class Event:
    name: str
    # The partner whose data this is (None for events of the vendor alone).
    partner_id: int | None
    data: Mapping[str, Any]
    actor_id: int | None = None
    at: datetime = field(default_factory=timezone.now)


Subscriber = Callable[[Event], object]
_SUBSCRIBERS: list[tuple[frozenset[str] | None, Subscriber]] = []
_DEFERRED: list[tuple[frozenset[str] | None, Subscriber]] = []
# A deferred event whose subscriber fails is tried again after this many seconds times its attempts.
RETRY_SECONDS = 60


class NotInTransaction(RuntimeError):
    """publish() was called outside a transaction: subscribers' rows would not be tied to the change."""


def subscribe(subscriber: Subscriber, *, names: Collection[str] | None = None, deferred: bool = False) -> None:
    """Call `subscriber(event)` for each published event (of `names`, or all): in the change's transaction, or
    with `deferred` in the worker's after the change committed. Registering twice is a no-op."""
    entry = (frozenset(names) if names is not None else None, subscriber)
    registry = _DEFERRED if deferred else _SUBSCRIBERS
    if entry not in registry:
        registry.append(entry)


def unsubscribe(subscriber: Subscriber) -> None:
    for registry in (_SUBSCRIBERS, _DEFERRED):
        registry[:] = [(n, s) for n, s in registry if s is not subscriber]


def _wanted(registry: list[tuple[frozenset[str] | None, Subscriber]], name: str) -> list[Subscriber]:
    return [subscriber for names, subscriber in list(registry) if names is None or name in names]


def publish(name: str, *, partner_id: int | None, data: Mapping[str, Any], actor_id: int | None = None) -> Event:
    """Hand the event to every subscriber now, inside the caller's transaction.

    A subscriber that raises rolls the change back with it: its rows belong to the change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"publish({name!r}) must run inside the transaction of the change")
    event = Event(name=name, partner_id=partner_id, data=dict(data), actor_id=actor_id)
    for subscriber in _wanted(_SUBSCRIBERS, name):
        subscriber(event)
    if _wanted(_DEFERRED, name):
        from partnerdesk.accounts import request_context

        from .models import DeferredEvent

        DeferredEvent.objects.create(
            name=name,
            partner_id=partner_id,
            actor_id=actor_id,
            data=event.data,
            at=event.at,
            request_id=request_context.current_request_id(),
        )
    return event


def run_deferred(*, limit: int = 500, now: datetime | None = None) -> int:
    """Hand stored events to the deferred subscribers, oldest first, each in its own transaction with the
    event's deletion (so each is heard once, also with several workers); returns how many were handled.

    A failing subscriber rolls its event's work back; the event is kept, with the error, for a later round.
    """
    from partnerdesk.accounts import request_context

    from . import locks
    from .models import DeferredEvent

    handled = 0
    now = now or timezone.now()
    for _round in range(limit):
        with transaction.atomic():
            row = locks.claim_deferred_event(now=now)
            if row is None:
                break
            event = Event(name=row.name, partner_id=row.partner_id, data=row.data, actor_id=row.actor_id, at=row.at)
            try:
                with transaction.atomic(), request_context.acting_for(row.request_id):
                    for subscriber in _wanted(_DEFERRED, row.name):
                        subscriber(event)
            except Exception as error:
                logger.exception("deferred event %s (%s) failed; kept for a later round", row.pk, row.name)
                DeferredEvent.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1,
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                    next_attempt_at=now + timedelta(seconds=RETRY_SECONDS * (row.attempts + 1)),
                )
                continue
            row.delete()
            handled += 1
    return handled
