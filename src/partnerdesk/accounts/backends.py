"""Authentication that refuses disabled users and users of disabled partners (R1.5)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import normalise_login_name


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The user name django-axes counts failures under (AXES_USERNAME_CALLABLE): normalised like the
    lookup, so guesses spread over letter cases and surrounding space count against one user (R1.5)."""
    if credentials:
        return normalise_login_name(credentials.get("username") or credentials.get("email"))
    data = getattr(request, "POST", None) or {}
    return normalise_login_name(data.get("username") or data.get("email"))


class OrganisationAwareBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        partner = getattr(user, "partner", None)
        return partner is None or partner.is_active

    def get_user(self, user_id: Any) -> Any:
        from .models import User

        try:
            user = User.objects.select_related("partner").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
