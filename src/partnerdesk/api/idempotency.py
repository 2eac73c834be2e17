"""`Idempotency-Key` on API POSTs (R13.3): a retry returns the first result and changes nothing.

The record and the request's own writes commit in one transaction, so a crash between them cannot
leave a write without its record (a retry would double it) or a record without its write.
Concurrent retries with the same key wait on the record's unique constraint and then replay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import ApiToken

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


class _Failed(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class _Duplicate(Exception):
    pass


def _principal(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return "t:" + ApiToken.hash_of(authorization[7:].strip())
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return None


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
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # authentication will refuse it
        request_hash = hashlib.sha256(
            json.dumps([request.method, request.get_full_path()]).encode() + b"\0" + request.body
        ).hexdigest()
        existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if existing is not None:
            return _replay(existing, request_hash)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            principal=principal, key=key, request_hash=request_hash
                        )
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
            return _replay(IdempotencyRecord.objects.get(principal=principal, key=key), request_hash)
