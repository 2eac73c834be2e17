"""Reads of the outbox: only the vendor's administrators see it (it holds every tenant's mail)."""

from __future__ import annotations

from typing import Protocol

from django.db.models import QuerySet

from .models import OutboxMessage


class Asker(Protocol):
    """The asking user (accounts.User); the outbox sits beside accounts and may not import it."""

    @property
    def is_vendor_admin(self) -> bool: ...


def messages_visible_to(user: Asker) -> QuerySet[OutboxMessage]:
    if getattr(user, "is_vendor_admin", False):
        return OutboxMessage.objects.all()
    return OutboxMessage.objects.none()
