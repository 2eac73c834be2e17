"""The worker's side of the webhooks: claim due deliveries, sign and POST them, record each attempt.

Like the outbox (outbox/delivery.py), in steps:

1. Claim: due deliveries (pending, or retrying whose next attempt has come) are locked with SKIP LOCKED,
   marked `sending` with their attempt counted, and committed; another worker never takes a claimed row.
2. Send, outside any transaction: resolve the host and refuse loopback and private addresses (unless
   PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE), connect to the address that was checked, POST the body with fresh
   Standard Webhooks headers; redirects are not followed.
3. Record, in one transaction: the attempt (status code, duration, response excerpt, error) and the new
   state: `delivered` on a 2xx answer, else `retrying` after a backoff of base x 2^(n-1), or `failed` after
   PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS.

A worker that dies between claim and record leaves the row `sending`; after
PARTNERDESK_WEBHOOKS_SENDING_TIMEOUT_SECONDS it returns to `retrying` with that attempt logged as
interrupted. The receiver may then get it twice, with the same webhook-id, by which it can tell.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import destinations, locks, signing
from .choices import ERROR_CHARS, RESPONSE_EXCERPT_CHARS, RESPONSE_READ_BYTES, DeliveryState
from .destinations import Destination, Refused
from .models import Attempt, Delivery

logger = logging.getLogger(__name__)

USER_AGENT = "partnerdesk-webhooks/1"
BATCH = 20  # per claim: each row's claim is renewed right before it is sent, so a slow batch is not "stuck"


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)  # taken over by another worker, or deleted meanwhile
    recovered: int = 0

    @property
    def handled(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed) + len(self.stale)


@dataclass(frozen=True)
class Answer:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: base x 2^(attempts-1), capped."""
    seconds = settings.PARTNERDESK_WEBHOOKS_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.PARTNERDESK_WEBHOOKS_MAX_BACKOFF_SECONDS))


def attempt_limit(delivery: Delivery) -> int:
    return delivery.attempt_limit or settings.PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS


# --- HTTP ----------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to by now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is verified for the host name of the URL."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_CHARS]


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST the body to the destination (resolved and checked now); never raises for the network's faults."""
    try:
        addresses = destinations.resolve(destination)
    except Refused as refused:
        return Answer(error=f"refused: {refused.message}"[:ERROR_CHARS])
    timeout = settings.PARTNERDESK_WEBHOOKS_TIMEOUT_SECONDS
    kind = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = kind(destination.host, destination.port, address=addresses[0], timeout=timeout)
    try:
        connection.request(
            "POST",
            destination.target,
            body=body,
            headers={
                "Host": destination.host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_READ_BYTES).decode("utf-8", "replace")[:RESPONSE_EXCERPT_CHARS]
        return Answer(status_code=response.status, excerpt=excerpt)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Answer(error=_describe(error))
    finally:
        connection.close()


# --- claiming, sending, recording -----------------------------------------------------------------


def recover_stuck(*, now: datetime) -> int:
    """Deliveries left `sending` by a worker that died: the attempt is logged as interrupted, and they go back
    to `retrying` (or `failed` when out of attempts)."""
    cutoff = now - timedelta(seconds=settings.PARTNERDESK_WEBHOOKS_SENDING_TIMEOUT_SECONDS)
    stuck = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff).order_by("pk")
    recovered = 0
    for pk in list(stuck.values_list("pk", flat=True)[:100]):
        with transaction.atomic():
            row = locks.lock_delivery(pk)
            if row is None or row.state != DeliveryState.SENDING or row.claimed_at is None or row.claimed_at >= cutoff:
                continue
            Attempt.objects.get_or_create(
                delivery=row,
                number=row.attempts,
                defaults={
                    "started_at": row.claimed_at,
                    "error": "interrupted: the worker stopped while sending; the receiver may have it already",
                    "redelivery": row.redelivery_requested,
                },
            )
            row.redelivery_requested = False
            if row.attempts >= attempt_limit(row):
                row.state, row.next_attempt_at = DeliveryState.FAILED, None
            else:
                row.state, row.next_attempt_at = DeliveryState.RETRYING, now
            row.save(update_fields=["state", "next_attempt_at", "redelivery_requested"])
            recovered += 1
    return recovered


def deliver_due(*, limit: int = BATCH, now: datetime | None = None) -> DeliveryReport:
    """Deliver up to `limit` due deliveries; never raises for a delivery's failure."""
    now = now or timezone.now()
    report = DeliveryReport(recovered=recover_stuck(now=now))
    with transaction.atomic():
        ids = locks.claim_due(now=now, limit=limit)
        Delivery.objects.filter(pk__in=ids).update(
            state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        claimed = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    for pk in sorted(claimed):
        try:
            result = _deliver_one(pk, claimed[pk])
        except Exception:  # the row stays `sending` and comes back after the timeout
            logger.exception("webhook delivery %s: could not record its attempt", pk)
            continue
        getattr(report, result).append(pk)
    return report


def deliver_backlog(*, rounds: int = 5) -> DeliveryReport:
    """The worker's job: a few full batches per round while more are due."""
    total = DeliveryReport()
    for _round in range(rounds):
        report = deliver_due()
        for name in ("delivered", "retrying", "failed", "stale"):
            getattr(total, name).extend(getattr(report, name))
        total.recovered += report.recovered
        if report.handled < BATCH:
            break
    return total


def _deliver_one(pk: int, number: int) -> str:
    # Renew the claim right before sending: a row is presumed stuck only when its own send hangs.
    renewed = Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING, attempts=number).update(
        claimed_at=timezone.now()
    )
    row = Delivery.objects.select_related("endpoint").filter(pk=pk).first()
    if not renewed or row is None:
        return "stale"
    started_at = timezone.now()
    started = time.monotonic()
    try:
        destination = destinations.parse(row.endpoint.url)
    except ValidationError as error:
        answer = Answer(error=f"refused: {' '.join(error.messages)}"[:ERROR_CHARS])
    else:
        headers = signing.signed_headers(secret=row.endpoint.secret, message_id=row.message_id, body=row.body)
        answer = post(destination, body=row.body.encode("utf-8"), headers=headers)
    duration_ms = round((time.monotonic() - started) * 1000)
    return _record(pk, number, answer, started_at=started_at, duration_ms=duration_ms)


def _record(pk: int, number: int, answer: Answer, *, started_at: datetime, duration_ms: int) -> str:
    now = timezone.now()
    with transaction.atomic():
        row = locks.lock_delivery(pk)
        if row is None:
            return "stale"  # the endpoint was deleted while the attempt was under way
        ours = row.state == DeliveryState.SENDING and row.attempts == number
        values: dict[str, object] = {
            "started_at": started_at,
            "duration_ms": duration_ms,
            "status_code": answer.status_code,
            "response_excerpt": answer.excerpt,
            "error": answer.error or ("" if answer.succeeded else f"HTTP {answer.status_code}"),
        }
        if ours:
            values["redelivery"] = row.redelivery_requested
        Attempt.objects.update_or_create(delivery=row, number=number, defaults=values)
        if answer.succeeded:
            if row.state != DeliveryState.DELIVERED:
                row.state, row.delivered_at, row.next_attempt_at = DeliveryState.DELIVERED, now, None
            result = "delivered"
        elif not ours:
            return "stale"  # another worker took the row over after a timeout; its own attempt decides
        elif number >= attempt_limit(row):
            logger.warning("webhook delivery %s failed after %s attempts", pk, number)
            row.state, row.next_attempt_at = DeliveryState.FAILED, None
            result = "failed"
        else:
            row.state, row.next_attempt_at = DeliveryState.RETRYING, now + backoff(number)
            result = "retrying"
        row.redelivery_requested = False if ours else row.redelivery_requested
        row.save(update_fields=["state", "delivered_at", "next_attempt_at", "redelivery_requested"])
        return result
