"""Domain events: what happened, published in the transaction of the change that made it happen.

Apps of the upper layers (notifications in `channels`, `webhooks`) subscribe in AppConfig.ready and write
their outbox rows or deliveries in that same transaction, so a rolled-back change tells nobody and a
committed one is never forgotten. The publishing app imports none of its subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The events published today. Webhooks offer the public ones (R12.3); the others only notify.
TICKET_STATE_CHANGED = "ticket.state_changed"
TICKET_VENDOR_MESSAGE = "ticket.vendor_message"
TICKET_PARTNER_MESSAGE = "ticket.partner_message"
TICKET_BREACH_RISK = "ticket.breach_risk"
CONTRACT_QUOTA_THRESHOLD = "contract.quota_threshold"


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


class NotInTransaction(RuntimeError):
    """publish() was called outside a transaction: subscribers' rows would not be tied to the change."""


def subscribe(subscriber: Subscriber, *, names: Collection[str] | None = None) -> None:
    """Call `subscriber(event)` for each published event (of `names`, or all); registering twice is a no-op."""
    entry = (frozenset(names) if names is not None else None, subscriber)
    if entry not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(entry)


def unsubscribe(subscriber: Subscriber) -> None:
    _SUBSCRIBERS[:] = [(n, s) for n, s in _SUBSCRIBERS if s is not subscriber]


def publish(name: str, *, partner_id: int | None, data: Mapping[str, Any], actor_id: int | None = None) -> Event:
    """Hand the event to every subscriber now, inside the caller's transaction.

    A subscriber that raises rolls the change back with it: its rows belong to the change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"publish({name!r}) must run inside the transaction of the change")
    event = Event(name=name, partner_id=partner_id, data=dict(data), actor_id=actor_id)
    for names, subscriber in list(_SUBSCRIBERS):
        if names is None or name in names:
            subscriber(event)
    return event
