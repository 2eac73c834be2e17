"""Every request gets an id: in every log line, on the response, and shown with a server error."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from partnerdesk.accounts import request_context

HEADER = "X-Request-ID"
# An incoming id (from a proxy or a client) is kept when it is short and plain: it goes into log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")


def request_id_for(request: HttpRequest) -> str:
    incoming = request.headers.get(HEADER, "")
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that even a server error's response carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_context.bind(
            request_context.RequestFacts(
                request_id=request_id,
                method=request.method or "",
                path=request.path,
                ip_address=request.META.get("REMOTE_ADDR") or None,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.unbind(token)
        response[HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        """Add the resolved route, so that refusals of many ids on one route count as repeats (R1.5).

        The value set here is undone by the reset in __call__, which restores the state before the request.
        """
        facts = request_context.current()
        route = getattr(request.resolver_match, "route", "") or ""
        if facts is not None and route:
            request_context.bind(dataclasses.replace(facts, route=route))
