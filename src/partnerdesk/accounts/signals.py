"""Every login attempt is logged with who, what and when in UTC; every path that disables a user or a
partner ends its sessions and tokens (R1.5)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .choices import SecurityEvent
from .models import Partner, User, normalise_login_name
from .services import end_sessions_and_tokens, log_security_event


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


# --- disabling, whatever the path (services, Django admin, shell) -------------------------------------


def _remember_whether_active(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    instance._was_active = None
    if instance.pk is not None and (update_fields is None or "is_active" in update_fields):
        stored = sender._default_manager.filter(pk=instance.pk).values_list("is_active", flat=True)
        instance._was_active = stored.first()


@receiver(pre_save, sender=User)
def _user_before_save(sender: Any, instance: User, **kwargs: Any) -> None:
    _remember_whether_active(sender, instance, **kwargs)


@receiver(pre_save, sender=Partner)
def _partner_before_save(sender: Any, instance: Partner, **kwargs: Any) -> None:
    _remember_whether_active(sender, instance, **kwargs)


@receiver(post_save, sender=User)
def _user_disabled(sender: Any, instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", None) and not instance.is_active:
        end_sessions_and_tokens(User.objects.filter(pk=instance.pk))


@receiver(post_save, sender=Partner)
def _partner_disabled(sender: Any, instance: Partner, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", None) and not instance.is_active:
        end_sessions_and_tokens(User.objects.filter(partner=instance))
