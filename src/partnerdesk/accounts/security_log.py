"""Writing the security log (R1.5): every login attempt and refused access, complete but bounded.

Refusals are what a client can repeat at will (every foreign id it tries, every bad token, every
attempt while locked out). Identical repeats in one minute (same event, user or name, address, method,
route and kind) are one row whose `count` goes up, so a flood writes one row a minute per route
instead of one per request, and nothing is left out of the record. The route is the URL pattern
(`api/v1/partners/<partner_id>`), so trying many ids on one route counts in one row; `path` and
`detail` keep the first of them. Any other event is a row of its own.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import request_context
from .choices import SecurityEvent
from .models import SecurityLog

REPEATABLE_EVENTS = frozenset(
    {SecurityEvent.ACCESS_REFUSED, SecurityEvent.TOKEN_REFUSED, SecurityEvent.LOGIN_LOCKED_OUT}
)


def log_security_event(
    *,
    event: str,
    user: Any = None,
    username: str = "",
    ip_address: str | None = None,
    method: str = "",
    path: str = "",
    detail: str = "",
    kind: str | None = None,
) -> SecurityLog | None:
    """Log one event; the request's method, route and address come from the request being served.

    `kind` says which repeats count as identical (for example the model of a refused id); it defaults
    to `detail`. Returns the new row, or None when a repeat was counted in an existing one.
    """
    facts = request_context.current()
    route = ""
    if facts is not None:
        ip_address = ip_address or facts.ip_address
        method = method or facts.method
        path = path or facts.path
        route = facts.route if path == facts.path else ""
    fields: dict[str, Any] = {
        "event": event,
        "user": user,
        "username": (username or (user.email if user is not None else ""))[:254],
        "ip_address": ip_address or None,
        "method": method[:10],
        "path": path[:500],
        "route": route[:300],
        "detail": detail[:500],
    }
    if event not in REPEATABLE_EVENTS:
        return SecurityLog.objects.create(**fields)
    minute = timezone.now().replace(second=0, microsecond=0)
    identity = [
        event,
        user.pk if user is not None else None,
        fields["username"],
        fields["ip_address"],
        fields["method"],
        fields["route"] or fields["path"],
        (detail if kind is None else kind)[:500],
        minute.isoformat(),
    ]
    repeat_key = hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()
    if SecurityLog.objects.filter(repeat_key=repeat_key).update(count=F("count") + 1):
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent first writer wins, this one counts
            return SecurityLog.objects.create(**fields, repeat_key=repeat_key)
    except IntegrityError:
        SecurityLog.objects.filter(repeat_key=repeat_key).update(count=F("count") + 1)
        return None
