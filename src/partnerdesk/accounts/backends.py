"""Authentication that refuses disabled users and users of disabled partners (R1.5)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


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
