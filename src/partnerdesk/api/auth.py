"""API authentication: personal bearer tokens, or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer, SessionAuth

from partnerdesk.accounts.choices import SecurityEvent
from partnerdesk.accounts.services import log_security_event, user_for_api_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_token(token)
        if user is None:
            log_security_event(
                event=SecurityEvent.TOKEN_REFUSED,
                ip_address=request.META.get("REMOTE_ADDR"),
                method=request.method or "",
                path=request.path,
                detail=f"token {token[:10]}…" if token else "empty token",
                kind="token",
            )
            return None
        request.user = user
        if user.language:
            translation.activate(user.language)
        return user


class ActiveSession(SessionAuth):
    """Django's session (the web pages use the API too); CSRF is checked on writes."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api_auth = [BearerToken(), ActiveSession()]
