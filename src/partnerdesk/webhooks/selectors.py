"""Reads of the webhooks: a partner's endpoints and deliveries belong to that partner alone (R1.1)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User

from .models import Attempt, Delivery, Endpoint


def may_manage_webhooks(user: User) -> bool:
    """Partner administrators register, delete and redeliver; nobody else sees the pages or routes."""
    return user.is_active and user.is_partner and user.role == Role.PARTNER_ADMIN


def endpoints_visible_to(user: User) -> QuerySet[Endpoint]:
    """The partner's own endpoints for its users (the services refuse all but its administrators); the
    vendor sees none: they are the partner's systems."""
    if not user.is_active or not user.is_partner or user.partner_id is None:
        return Endpoint.objects.none()
    return Endpoint.objects.filter(partner_id=user.partner_id)


def deliveries_visible_to(user: User, endpoint: Endpoint | None = None) -> QuerySet[Delivery]:
    """Deliveries of the asker's endpoints (of one, when given), newest first, with their attempts."""
    deliveries = Delivery.objects.filter(endpoint__in=endpoints_visible_to(user))
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return deliveries.prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("number"))).order_by(
        "-created_at", "-pk"
    )
