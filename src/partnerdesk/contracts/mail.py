"""Mail of the contracts app: written to the outbox in the caller's transaction (the worker sends it)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage

from partnerdesk.outbox.services import enqueue


def enqueue_mails(kind: str, messages: Sequence[tuple[EmailMessage, str]]) -> None:
    """Each (message, reference) becomes an outbox row in the current transaction."""
    for message, reference in messages:
        enqueue(kind=kind, message=message, reference=reference)
