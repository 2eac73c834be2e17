"""`Idempotency-Key` on API POSTs (R13.3): a retry returns the first result and changes nothing.

The record and the request's own writes commit in one transaction, so a crash between them cannot
leave a write without its record (a retry would double it) or a record without its write.
Concurrent retries with the same key wait on the record's unique constraint and then replay.

The caller is authenticated before any stored response is returned, in the same way the API will
authenticate it (bearer token, else the session with its CSRF check): a revoked token replays
nothing, and a request nobody is authenticated for stores nothing. Keys belong to the user, and a
record counts for PARTNERDESK_IDEMPOTENCY_TTL_HOURS; `prune_expired` (or the command
`partnerdesk prune_idempotency_keys`) deletes the older ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.utils import check_csrf

from partnerdesk.accounts.services import user_for_api_token

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


class _Failed(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class _Duplicate(Exception):
    pass


def authenticated_user(request: HttpRequest) -> Any:
    """The user the API will authenticate the request as, or None; mirrors partnerdesk.api.auth."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = user_for_api_token(token.strip())
        if user is not None:
            return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and check_csrf(request) is None:
        return user
    return None


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """Records created at or before this moment are expired."""
    return (now or timezone.now()) - timedelta(hours=settings.PARTNERDESK_IDEMPOTENCY_TTL_HOURS)


def prune_expired() -> int:
    """Delete expired records; returns how many. For the task worker's schedule or the command."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lte=expiry_cutoff()).delete()
    return deleted


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message, "errors": [{"field": HEADER, "message": message}]}, status=status)


def _replay(record: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if record.request_hash != request_hash:
        return _error(_("This Idempotency-Key was already used for a different request."), 422)
    if record.status_code == 0:
        return _error(_("A request with this Idempotency-Key is still in progress."), 409)
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 255:
            return _error(_("Use between 1 and 255 characters."), 422)
        user = authenticated_user(request)
        if user is None:
            return self.get_response(request)  # authentication will refuse it; nothing is stored
        request_hash = hashlib.sha256(
            json.dumps([request.method, request.get_full_path()]).encode() + b"\0" + request.body
        ).hexdigest()
        cutoff = expiry_cutoff()
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is not None and existing.created_at > cutoff:
            return _replay(existing, request_hash)
        try:
            with transaction.atomic():
                if existing is not None:  # expired: it makes room for this request's first result
                    IdempotencyRecord.objects.filter(pk=existing.pk, created_at__lte=cutoff).delete()
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(user=user, key=key, request_hash=request_hash)
                except IntegrityError:
                    raise _Duplicate from None
                response = self.get_response(request)
                if response.status_code >= 500 or response.streaming:
                    raise _Failed(response)
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except _Failed as failed:
            return failed.response
        except _Duplicate:
            return _replay(IdempotencyRecord.objects.get(user=user, key=key), request_hash)
