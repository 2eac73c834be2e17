"""Middleware of the pages and the API: every request gets an id (in every log line, on the response,
shown with a server error), and page input no database can store is refused before any view sees it.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

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


# NUL cannot be stored by PostgreSQL (and is never meant): a text with it is a forged request.
_FORBIDDEN = "\x00"


class RefuseNullCharacters:
    """A page request whose query string or form carries a NUL character answers 400 (the API
    answers 422 naming the field on its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            self._check(request)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest) -> None:
        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if _FORBIDDEN in key or any(_FORBIDDEN in value for value in values):
                    raise BadRequest(
                        _("The field “%(field)s” contains a character that is not allowed.")
                        % {"field": key.replace(_FORBIDDEN, "")}
                    )
        uploads = getattr(request, "_files", None)
        for upload in uploads.values() if uploads else ():
            if _FORBIDDEN in (upload.name or ""):
                raise BadRequest(_("The file name contains a character that is not allowed."))


class TwoFactorMiddleware:
    """A signed-in page user with an authenticator app is asked for its code before any page; vendor staff,
    when the vendor requires it, first add an app (accounts.two_factor). The API is untouched: a token is its
    own credential, and a session that still owes its code is no user to the API."""

    OPEN_PREFIXES = ("/login/", "/logout/", "/profile/two-factor/", "/static/", "/i18n/", "/language/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.shortcuts import redirect
        from django.utils.http import urlencode

        from partnerdesk.accounts import two_factor

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.OPEN_PREFIXES)
            and not user.is_verified()
        ):
            needs_code, required = two_factor.sign_in_state(user)
            if request.path.startswith("/api/"):
                if needs_code or required:
                    # The session is not signed in yet: the API sees no user (a token still works).
                    from django.contrib.auth.models import AnonymousUser

                    request.user = AnonymousUser()
                return self.get_response(request)
            query = urlencode({"next": request.get_full_path()})
            if needs_code:
                return redirect(f"/login/verify/?{query}")
            if required:
                return redirect(f"/profile/two-factor/?{query}")
        return self.get_response(request)
