"""Row locks of tickets and product defects; every ``select_for_update`` of the tickets app is here.

Only the named row is locked (``of=("self",)``): on PostgreSQL a plain FOR UPDATE with joins would
also lock the joined partner and end-customer rows, which every ticket of that partner shares.
"""

from __future__ import annotations

from django.db import transaction

from .models import ProductDefect, Ticket


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction")


def lock_ticket(ticket_id: int) -> Ticket:
    """Lock and re-read a ticket (with its partner and end customer, which stay unlocked)."""
    _in_transaction("lock_ticket")
    return Ticket.objects.select_for_update(of=("self",)).select_related("partner", "end_customer").get(pk=ticket_id)


def lock_defect(defect_id: int) -> ProductDefect:
    _in_transaction("lock_defect")
    return ProductDefect.objects.select_for_update(of=("self",)).get(pk=defect_id)


def lock_defect_by_key(key: str) -> ProductDefect | None:
    _in_transaction("lock_defect_by_key")
    return ProductDefect.objects.select_for_update(of=("self",)).filter(key=key).first()
