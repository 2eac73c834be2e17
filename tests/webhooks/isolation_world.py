"""The webhooks' part of the tenant-isolation walk (tests/isolation.py): endpoints and deliveries of A and B."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.db import transaction
from django.test import override_settings

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.outbox import events
from partnerdesk.webhooks import services
from partnerdesk.webhooks.choices import WebhookEvent


def extend_world(world: Any) -> None:
    """Partner A and B each register an endpoint and get one delivery on it."""
    for suffix, admin, partner in (
        ("a", world.users[Role.PARTNER_ADMIN], world.partner_a),
        ("b", world.outsider[Role.PARTNER_ADMIN], world.partner_b),
    ):
        with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True):
            endpoint, secret = services.register_endpoint(
                acting_user=admin, url=f"http://127.0.0.1:9/hooks-{suffix}-{partner.pk}", events=WebhookEvent.values
            )
        with transaction.atomic():
            events.publish(
                events.CONTRACT_QUOTA_THRESHOLD, partner_id=partner.pk, data={"contract": 0, "term": 0, "threshold": 75}
            )
        setattr(world, f"webhook_{suffix}", endpoint)
        setattr(world, f"webhook_secret_{suffix}", secret)
        setattr(world, f"webhook_delivery_{suffix}", endpoint.deliveries.get())


def _foreign(kind: str) -> Any:
    def foreign(world: Any, user: User) -> int:
        # Partner users must not reach B's; the vendor sees no partner's endpoints at all, so A's is foreign too.
        return getattr(world, f"{kind}_b" if user.is_partner else f"{kind}_a").pk

    return foreign


def _markers(world: Any, user: User) -> list[str]:
    if not hasattr(world, "webhook_a"):
        return []
    secrets = [world.webhook_secret_a, world.webhook_secret_b]  # never shown after registration
    if user.is_partner:
        return [*secrets, world.webhook_b.url, world.webhook_delivery_b.message_id]
    return [*secrets, world.webhook_a.url, world.webhook_delivery_a.message_id]


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault("webhook_id", kind(own=lambda w, u: w.webhook_a.pk, foreign=_foreign("webhook")))
    isolation.ID_KINDS.setdefault(
        "delivery_id", kind(own=lambda w, u: w.webhook_delivery_a.pk, foreign=_foreign("webhook_delivery"))
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
    isolation.MARKERS.append(_markers)
