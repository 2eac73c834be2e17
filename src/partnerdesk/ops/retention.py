"""Retention (issue 17 item 8, R13.2): closed tickets' attachments and inbound mail originals are removed once
they are older than the configured days after the ticket ended; each run is recorded (ops.RetentionRun).

A ticket has ended when it is closed, or resolved and past its reopening window (TICKET_REOPEN_DAYS); the time
counted from is when it was resolved (or last changed, for a ticket closed without resolution). The rows stay
(file name, size, the mail's text on the ticket): only the stored bytes go. 0 days keeps them for ever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.utils import timezone

from partnerdesk.channels.models import InboundMail
from partnerdesk.tickets.choices import TicketState
from partnerdesk.tickets.models import Attachment, Ticket

from .models import RetentionRun

logger = logging.getLogger(__name__)
BATCH = 500


def _ended_before(cutoff: datetime, now: datetime) -> Q:
    reopen_limit = now - timedelta(days=settings.TICKET_REOPEN_DAYS)
    ended = Q(state=TicketState.CLOSED) | Q(state=TicketState.RESOLVED, resolved_at__lt=reopen_limit)
    return ended & Q(ended_at__lt=cutoff)


def _ended_tickets(days: int, now: datetime):  # type: ignore[no-untyped-def]
    cutoff = now - timedelta(days=days)
    return (
        Ticket.objects.annotate(ended_at=Coalesce("resolved_at", "updated_at"))
        .filter(_ended_before(cutoff, now))
        .values("pk")
    )


def _remove_attachments(days: int, now: datetime) -> tuple[int, int]:
    removed = size = 0
    due = Attachment.objects.filter(removed_at__isnull=True, ticket__in=_ended_tickets(days, now)).order_by("pk")
    while batch := list(due[:BATCH]):
        for attachment in batch:
            name = attachment.file.name
            with transaction.atomic():
                if Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(removed_at=now):
                    removed += 1
                    size += attachment.size
                    # The file goes after the row says so: a crash leaves a file too many, never a row without file.
                    storage = attachment.file.storage
                    transaction.on_commit(lambda s=storage, n=name: s.delete(n) if n else None)
    return removed, size


def _remove_originals(days: int, now: datetime) -> tuple[int, int]:
    due = InboundMail.objects.filter(original_removed_at__isnull=True, ticket__in=_ended_tickets(days, now))
    removed = size = 0
    while batch := list(due.annotate(bytes=Length("raw")).values_list("pk", "bytes")[:BATCH]):
        ids = [pk for pk, _bytes in batch]
        removed += InboundMail.objects.filter(pk__in=ids).update(raw=b"", original_removed_at=now)
        size += sum(b or 0 for _pk, b in batch)
    return removed, size


def run_retention(*, now: datetime | None = None) -> RetentionRun | None:
    """Remove what is past retention and record the run; None when both settings keep everything."""
    now = now or timezone.now()
    attachment_days = settings.PARTNERDESK_RETENTION_ATTACHMENT_DAYS
    mail_days = settings.PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS
    if not attachment_days and not mail_days:
        return None
    attachments, attachment_bytes = _remove_attachments(attachment_days, now) if attachment_days else (0, 0)
    originals, original_bytes = _remove_originals(mail_days, now) if mail_days else (0, 0)
    run = RetentionRun.objects.create(
        ran_at=now,
        attachment_days=attachment_days,
        mail_original_days=mail_days,
        attachments_removed=attachments,
        attachment_bytes=attachment_bytes,
        mail_originals_removed=originals,
        mail_original_bytes=original_bytes,
    )
    logger.info("retention: %s attachments and %s mail originals removed", attachments, originals)
    return run
