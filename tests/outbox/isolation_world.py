"""The outbox's part of the tenant-isolation walk (tests/isolation.py): only vendor admins see outbox messages."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction

from partnerdesk.accounts.models import User
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.outbox.services import enqueue


def _a_message() -> int:
    """The walk's message: an end-customer mail when the world has one (the page must hide it), else a notice."""
    row = OutboxMessage.objects.order_by("-confidential", "-pk").first()
    if row is None:
        with transaction.atomic():
            row = enqueue(
                kind="quota_notice",
                message=EmailMessage("Walker notice", "Included time used.", to=["walker@vendor.example"]),
            )
    return row.pk


def extend_world(world: Any) -> None:
    _a_message()


def _foreign(world: Any, user: User) -> int | None:
    return None if user.is_vendor_admin else _a_message()


def register(isolation: ModuleType) -> None:
    isolation.ID_KINDS.setdefault(
        "outbox_message_id", isolation.IdKind(own=lambda w, u: _a_message(), foreign=_foreign)
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
