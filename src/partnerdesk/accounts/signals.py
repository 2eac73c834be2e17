"""Every login attempt is logged with who, what and when in UTC (R1.5)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .choices import SecurityEvent
from .models import normalise_login_name
from .services import log_security_event


def _address(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _path(request: Any) -> str:
    return getattr(request, "path", "") if request is not None else ""


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    log_security_event(
        event=SecurityEvent.LOGIN_SUCCEEDED, user=user, ip_address=_address(request), path=_path(request)
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        log_security_event(event=SecurityEvent.LOGOUT, user=user, ip_address=_address(request), path=_path(request))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    log_security_event(
        event=SecurityEvent.LOGIN_FAILED,
        username=normalise_login_name(credentials.get("username") or credentials.get("email")),
        ip_address=_address(request),
        path=_path(request),
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any) -> None:
    log_security_event(
        event=SecurityEvent.LOGIN_LOCKED_OUT,
        username=username or "",
        ip_address=ip_address,
        path=_path(request),
    )
