"""The worker's side of the outbox: claim due messages, send them through Django's mail backend, record the result.

The one module that hands mail to Django's mail backends. A message is delivered in two steps:

1. Claim: due rows (queued, or retrying whose next attempt has come) are locked with SKIP LOCKED, marked
   `sending` with their attempt counted, and committed; a second worker never takes a claimed row.
2. Send, per row, in one transaction: the producer's pre-send check (which may lock its own rows and
   refuse), the SMTP hand-off, the new state and the producer's outcome callback. If recording fails after
   the server accepted the mail, it is recorded again in a fresh transaction, so a mail that left is `sent`.

A worker that dies between claim and record leaves the row `sending`; after
PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS it returns to `retrying`. A mail the server accepted just before
the crash is then sent twice, with the same Message-ID, by which the receiver can tell.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import encoders
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from partnerdesk.accounts import request_context

from . import events, locks
from .choices import OutboxState, Outcome
from .models import OutboxMessage

logger = logging.getLogger(__name__)

PreSendCheck = Callable[[OutboxMessage], "str | None"]
OutcomeCallback = Callable[[OutboxMessage, str], None]

_CHECKS: dict[str, PreSendCheck] = {}
_OUTCOMES: dict[str, OutcomeCallback] = {}


def register_check(kind: str, check: PreSendCheck) -> None:
    """`check(row)` runs right before sending, in the sending transaction; a returned reason refuses the mail."""
    _CHECKS[kind] = check


def register_outcome(kind: str, callback: OutcomeCallback) -> None:
    """`callback(row, outcome)` runs in the transaction that records `sent`, `failed` or `refused`.

    When recording `sent` failed once after the server had accepted the mail, it runs again in a fresh
    transaction and `row.recorded_after` names the first failure.
    """
    _OUTCOMES[kind] = callback


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    recovered: int = 0

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed) + len(self.refused)


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: base * 2^(attempts-1), capped."""
    seconds = settings.PARTNERDESK_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.PARTNERDESK_OUTBOX_MAX_BACKOFF_SECONDS))


def permanent_refusal(error: BaseException) -> str | None:
    """The reason when the server refused for good (5xx), else None (try again later)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return "; ".join(f"{code} {_text(msg)}" for code, msg in error.recipients.values())
        return None
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return None  # the operator's configuration, not the message: retried once it is fixed
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {_text(error)}"[:2000]


def build_message(row: OutboxMessage) -> EmailMultiAlternatives:
    """The mail as the producer enqueued it, with its fixed Message-ID."""
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        reply_to=row.reply_to,
        headers={**row.headers, "Message-ID": row.message_id},
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    message.mixed_subtype = row.mixed_subtype  # type: ignore[attr-defined]
    for part in row.attachments:
        content = base64.b64decode(part["content"])
        if part.get("content_id") or part.get("disposition") == "inline":
            maintype, _slash, subtype = part["content_type"].partition("/")
            mime = MIMEBase(maintype, subtype or "octet-stream")
            mime.set_payload(content)
            encoders.encode_base64(mime)
            if part.get("content_id"):
                mime.add_header("Content-ID", part["content_id"])
            mime.add_header("Content-Disposition", part.get("disposition") or "inline", filename=part["filename"])
            message.attach(mime)
        else:
            message.attach(part["filename"] or None, content, part["content_type"])
    return message


def recover_stuck(*, now: datetime) -> int:
    """Rows left `sending` by a worker that died: back to `retrying` (or `failed` when out of attempts)."""
    cutoff = now - timedelta(seconds=settings.PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS)
    stuck = OutboxMessage.objects.filter(state=OutboxState.SENDING, claimed_at__lt=cutoff)
    recovered = 0
    for row in stuck.only("pk", "attempts", "kind"):
        if row.attempts >= settings.PARTNERDESK_OUTBOX_MAX_ATTEMPTS:
            with transaction.atomic():
                if _finish(row, OutboxState.FAILED, "the worker stopped while sending; no attempts left", now):
                    _report(row, Outcome.FAILED)
        else:
            recovered += OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.SENDING).update(
                state=OutboxState.RETRYING,
                next_attempt_at=now,
                last_error="the worker stopped while sending; the server may have the mail already",
            )
    return recovered


def hand_back(ids: list[int]) -> int:
    """Claimed rows this worker will not send after all (it is stopping): due again at once, attempt uncounted."""
    return OutboxMessage.objects.filter(pk__in=ids, state=OutboxState.SENDING).update(
        state=OutboxState.RETRYING, next_attempt_at=timezone.now(), claimed_at=None, attempts=F("attempts") - 1
    )


def deliver_due(
    *, limit: int = 100, now: datetime | None = None, should_stop: Callable[[], bool] | None = None
) -> DeliveryReport:
    """Deliver up to `limit` due messages; never raises for a message's failure.

    `should_stop` is asked after each message: when it says yes (SIGTERM), the message in hand has been
    recorded and the rest of the batch is handed back (`hand_back`) for the next worker, never lost.

    First the deferred events are handed to their subscribers (outbox.events), so the notifications of what
    happened since the last round go out in this one.
    """
    now = now or timezone.now()
    events.run_deferred(now=now)
    report = DeliveryReport(recovered=recover_stuck(now=now))
    with transaction.atomic():
        ids = locks.claim_due(now=now, limit=limit)
        OutboxMessage.objects.filter(pk__in=ids).update(
            state=OutboxState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    if not ids:
        return report
    connection = get_connection()
    done: set[int] = set()
    try:
        for row in OutboxMessage.objects.filter(pk__in=ids).order_by("pk"):
            if should_stop is not None and should_stop():
                handed = hand_back([pk for pk in ids if pk not in done])
                logger.info("stopping: %s claimed outbox messages handed back", handed)
                break
            done.add(row.pk)
            try:
                with request_context.acting_for(row.request_id):
                    result = _deliver_one(row, connection)
                    logger.info("outbox message %s (%s): %s", row.pk, row.kind, result)
            except Exception:  # the row stays `sending` and comes back after the timeout
                logger.exception("outbox message %s: could not record its delivery", row.pk)
                continue
            getattr(report, result).append(row.pk)
            if result == "retrying":
                # The connection may be broken (server gone mid-batch): a fresh one for the next message.
                _close(connection)
                connection = get_connection()
    finally:
        _close(connection)
    return report


def _close(connection: object) -> None:
    try:
        connection.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a broken connection is dropped either way
        logger.debug("closing the mail connection failed", exc_info=True)


def _finish(
    row: OutboxMessage, state: str, error: str, now: datetime, *, next_attempt_at: datetime | None = None
) -> bool:
    """Record the row's new state (only while it is still ours: `sending`)."""
    changes: dict[str, object] = {"state": state, "last_error": error, "next_attempt_at": next_attempt_at}
    if state == OutboxState.SENT:
        changes["sent_at"] = now
    updated = OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.SENDING).update(**changes)
    if updated:
        row.state, row.last_error, row.next_attempt_at = state, error, next_attempt_at
        if state == OutboxState.SENT:
            row.sent_at = now
    return bool(updated)


def _report(row: OutboxMessage, outcome: str) -> None:
    callback = _OUTCOMES.get(row.kind)
    if callback is not None:
        callback(row, outcome)


def _deliver_one(row: OutboxMessage, connection: object) -> str:
    accepted = False
    try:
        with transaction.atomic():
            check = _CHECKS.get(row.kind)
            refusal = check(row) if check is not None else None
            if refusal:
                _finish(row, OutboxState.FAILED, f"refused: {refusal}", timezone.now())
                _report(row, Outcome.REFUSED)
                return "refused"
            try:
                connection.send_messages([build_message(row)])  # type: ignore[attr-defined]
            except Exception as error:  # the server's answer decides: later, or never
                return _record_failure(row, error)
            accepted = True
            _finish(row, OutboxState.SENT, "", timezone.now())
            _report(row, Outcome.SENT)
        return "sent"
    except Exception as error:
        if not accepted:
            logger.exception("outbox message %s: delivery not attempted", row.pk)
            with transaction.atomic():
                return _record_failure(row, error)
        logger.warning("outbox message %s left, recording it again after %s", row.pk, type(error).__name__)
        row.recorded_after = type(error).__name__  # type: ignore[attr-defined]  # told to the outcome callback
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    _finish(row, OutboxState.SENT, "", timezone.now())
                    _report(row, Outcome.SENT)
                return "sent"
            except Exception:  # noqa: S112 - tried again; the last failure is logged below
                continue
        logger.error("outbox message %s left but its delivery could not be recorded", row.pk)
        return "sent"


def _record_failure(row: OutboxMessage, error: BaseException) -> str:
    now = timezone.now()
    permanent = permanent_refusal(error)
    if permanent is not None or row.attempts >= settings.PARTNERDESK_OUTBOX_MAX_ATTEMPTS:
        reason = _describe(error) if permanent is None else f"{type(error).__name__}: {permanent}"
        logger.warning("outbox message %s failed: %s", row.pk, type(error).__name__)
        _finish(row, OutboxState.FAILED, reason, now)
        _report(row, Outcome.FAILED)
        return "failed"
    logger.info("outbox message %s not delivered (%s), retrying", row.pk, type(error).__name__)
    _finish(row, OutboxState.RETRYING, _describe(error), now, next_attempt_at=now + backoff(row.attempts))
    return "retrying"


def record_bounce(message_id: str, *, recipients: list[str], reason: str) -> OutboxMessage | None:
    """A delivery report came back for one of our messages: it failed for those addresses (R7.5).

    The row becomes `failed` with the report's reason, and its producer hears `failed` as for a refusal
    at sending. Returns the row, or None when the Message-ID is not one of ours. Call inside a transaction.
    """
    pk = OutboxMessage.objects.filter(message_id=message_id).values_list("pk", flat=True).first()
    if pk is None:
        return None
    row = locks.lock_message(pk)
    addresses = ", ".join(recipients) or ", ".join(row.recipients)
    row.state = OutboxState.FAILED
    row.next_attempt_at = None
    row.last_error = f"bounced: {addresses}: {reason}".strip()[:2000]
    row.save(update_fields=["state", "next_attempt_at", "last_error"])
    _report(row, Outcome.FAILED)
    return row
