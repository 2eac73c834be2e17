"""Mail of the contracts app, sent after commit (the outbox replaces this)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger("partnerdesk.contracts")


def send_mails(messages: Sequence[EmailMessage]) -> None:
    """Mail after commit; a down mail server must not fail the booking (the outbox comes later)."""
    try:
        get_connection().send_messages(list(messages))
    except Exception:  # noqa: BLE001 - any mail failure is logged, never raised into the request
        logger.exception("could not send %s mail(s)", len(messages))
