"""Writes of the outbox: enqueue a mail in the caller's transaction, retry one now, prune old sent ones."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from email.mime.base import MIMEBase
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts import request_context

from . import locks
from .choices import RETRYABLE_STATES, OutboxState
from .models import OutboxMessage, WorkerHeartbeat
from .selectors import Asker


class NotInTransaction(RuntimeError):
    """enqueue() was called outside a transaction: the mail would not be tied to the change causing it."""


def vendor_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">").strip() or "localhost"


def _attachment_rows(message: EmailMessage) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            payload = attachment.get_payload(decode=True) or b""
            rows.append(
                {
                    "content_type": attachment.get_content_type(),
                    "content": base64.b64encode(payload).decode("ascii"),  # type: ignore[arg-type]
                    "filename": attachment.get_filename() or "",
                    "content_id": str(attachment.get("Content-ID", "")),
                    "disposition": attachment.get_content_disposition() or "attachment",
                }
            )
            continue
        filename, content, mimetype = attachment
        data = content.encode("utf-8") if isinstance(content, str) else content
        rows.append(
            {
                "content_type": mimetype or "application/octet-stream",
                "content": base64.b64encode(data).decode("ascii"),
                "filename": filename or "",
                "content_id": "",
                "disposition": "attachment",
            }
        )
    return rows


def enqueue(*, kind: str, message: EmailMessage, reference: str = "", confidential: bool = False) -> OutboxMessage:
    """Write the mail as an outbox row in the caller's transaction; it never sends (the worker does).

    A rollback of the caller's transaction therefore leaves no mail behind. The Message-ID is fixed now:
    the message's own `Message-ID` header if it has one, else a new one in the vendor's domain.
    `confidential`: the mail carries end-customer contact data, which the outbox page must not show (R9.1).
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction("enqueue() must run inside the transaction of the change that causes the mail")
    headers = {str(k): str(v) for k, v in (message.extra_headers or {}).items()}
    message_id = headers.pop("Message-ID", "") or make_msgid(idstring=kind.replace("_", "-"), domain=vendor_domain())
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = str(content)
    return OutboxMessage.objects.create(
        kind=kind,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[str(a) for a in message.to],
        cc=[str(a) for a in message.cc],
        bcc=[str(a) for a in message.bcc],
        reply_to=[str(a) for a in message.reply_to],
        subject=str(message.subject),
        body=str(message.body),
        html=html,
        attachments=_attachment_rows(message),
        mixed_subtype=getattr(message, "mixed_subtype", "mixed"),
        headers=headers,
        message_id=message_id,
        state=OutboxState.QUEUED,
        reference=reference,
        confidential=confidential,
        request_id=request_context.current_request_id(),
    )


@transaction.atomic
def retry_now(*, acting_user: Asker, message: OutboxMessage) -> OutboxMessage:
    """A vendor admin sends a failed or retrying message again at the worker's next round."""
    if not getattr(acting_user, "is_vendor_admin", False):
        raise PermissionDenied(_("Your role does not allow this action."))
    row = locks.lock_message(message.pk)
    if row.state not in RETRYABLE_STATES:
        raise ValidationError({"state": [_("Only a failed or retrying message can be sent again.")]})
    row.state = OutboxState.QUEUED
    row.next_attempt_at = None
    row.save(update_fields=["state", "next_attempt_at"])
    return row


def prune_sent(*, now: datetime | None = None) -> int:
    """Delete sent messages older than PARTNERDESK_OUTBOX_KEEP_SENT_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PARTNERDESK_OUTBOX_KEEP_SENT_DAYS)
    deleted, _rows = OutboxMessage.objects.filter(state=OutboxState.SENT, sent_at__lt=cutoff).delete()
    return deleted


def beat(*, name: str, started_at: datetime, now: datetime | None = None) -> None:
    """The worker `name` finished a round: stamp its heartbeat (and forget workers silent for a day)."""
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(name=name).update(beat_at=now, rounds=F("rounds") + 1)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(name=name, defaults={"started_at": started_at, "beat_at": now})
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()


def stopped(*, name: str) -> None:
    """The worker `name` stopped cleanly: its heartbeat goes with it."""
    WorkerHeartbeat.objects.filter(name=name).delete()
