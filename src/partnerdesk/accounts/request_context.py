"""What the current request is (its id, method, path, address), for logs and the security log.

The web layer binds it for each request (partnerdesk.web.middleware.RequestIdMiddleware); the domain
layer only reads it, so that a refusal found deep in a selector is still logged with its route (R1.5)
and every log line of a request carries its id. A context variable, so threads and async tasks each
see their own request. No Django imports: the logging configuration loads this module early.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestFacts:
    request_id: str
    method: str = ""
    path: str = ""
    ip_address: str | None = None
    route: str = ""  # the URL pattern once resolved (`api/v1/partners/<partner_id>`), else empty


_current: ContextVar[RequestFacts | None] = ContextVar("partnerdesk_request", default=None)


def current() -> RequestFacts | None:
    return _current.get()


def bind(facts: RequestFacts) -> Token[RequestFacts | None]:
    return _current.set(facts)


def unbind(token: Token[RequestFacts | None]) -> None:
    _current.reset(token)


def current_request_id() -> str:
    """The current request's id, or "" outside a request (stored on rows a request enqueues)."""
    facts = _current.get()
    return facts.request_id if facts is not None else ""


@contextmanager
def acting_for(request_id: str) -> Iterator[None]:
    """The worker handles a row a request enqueued: its log lines (and rows it enqueues) carry that id."""
    if not request_id:
        yield
        return
    token = _current.set(RequestFacts(request_id=request_id))
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Puts `request_id` on every log record ("-" outside a request), for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            facts = _current.get()
            record.request_id = facts.request_id if facts is not None else "-"
        return True
