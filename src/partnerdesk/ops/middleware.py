"""Per-route request metrics and the access log line (issue 17 items 3 and 4).

The route is the URL pattern (`api/v1/tickets/<ticket_id>`), never the path with its ids; the log line names
method, route, status and duration, never the query string or any body (no end-customer contact data).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("partnerdesk.access")


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # Imported when the application loads, not when the system checks import this module: `serve` chooses
        # prometheus-client's multiprocess mode before that.
        from .metrics import LATENCY, REQUESTS

        self.get_response = get_response
        self.requests, self.latency = REQUESTS, LATENCY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = (getattr(match, "route", "") or "unresolved") if match is not None else "unresolved"
        method = request.method or ""
        if method not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}:
            method = "other"
        self.requests.labels(method, route, str(response.status_code)).inc()
        self.latency.labels(method, route).observe(elapsed)
        logger.info(
            "request",
            extra={
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return response
