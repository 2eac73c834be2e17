"""Database sessions that know their user, so that a user's sessions can be ended at once (R1.5)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        try:
            instance.user_id = int(user_id) if user_id is not None else None
        except (TypeError, ValueError):
            instance.user_id = None
        return instance


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware with the project's store (kept as a name for settings)."""
