"""Writes of the webhooks (R12.3): register and delete endpoints, redeliver, and write the deliveries of an
event in the transaction of the change that caused it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.locks import lock_partner
from partnerdesk.accounts.models import User
from partnerdesk.accounts.validation import FieldErrors, add_error, choose_one_of, merge_errors
from partnerdesk.outbox.events import Event

from . import destinations, locks, signing
from .choices import FINISHED_STATES, DeliveryState, WebhookEvent
from .models import Delivery, Endpoint
from .selectors import may_manage_webhooks


def ensure_may_manage(user: User) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(_("Only partner administrators can manage webhooks."))


def _ensure_own(user: User, endpoint: Endpoint) -> None:
    ensure_may_manage(user)
    if endpoint.partner_id != user.partner_id:  # callers fetch through the selectors; this is the second check
        raise PermissionDenied(_("Your role does not allow this action."))


def _chosen_events(events: object, errors: FieldErrors) -> list[str]:
    if not isinstance(events, list | tuple):
        add_error(errors, "events", _("Enter a list."))
        return []
    names = list(dict.fromkeys(str(name) for name in events))
    unknown = [name for name in names if name not in WebhookEvent.values]
    if unknown:
        add_error(
            errors,
            "events",
            _("Unknown event %(names)s.") % {"names": ", ".join(f"“{name[:60]}”" for name in unknown[:5])}
            + " "
            + choose_one_of(WebhookEvent.values),
        )
    elif not names:
        add_error(errors, "events", _("Choose at least one event."))
    return names


def register_endpoint(*, acting_user: User, url: str, events: Iterable[str]) -> tuple[Endpoint, str]:
    """A partner admin registers an HTTPS endpoint for the chosen events. Returns the endpoint and its
    signing secret, which is shown this once.

    The address is checked (and its host name resolved) before the transaction starts, so no write lock is
    held while DNS answers.
    """
    ensure_may_manage(acting_user)
    errors: FieldErrors = {}
    destination = None
    try:
        destination = destinations.check_for_registration(url)
    except ValidationError as error:
        merge_errors(errors, error)
    chosen = _chosen_events(events, errors)
    if errors or destination is None:
        raise ValidationError(errors)
    secret = signing.new_secret()
    with transaction.atomic():
        partner = lock_partner(acting_user.partner_id, no_key=True)  # type: ignore[arg-type]
        if Endpoint.objects.filter(partner=partner).count() >= settings.PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS:
            raise ValidationError(
                {
                    "__all__": [
                        _("A partner can register at most %(n)s endpoints; delete one first.")
                        % {"n": settings.PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS}
                    ]
                }
            )
        endpoint = Endpoint.objects.create(
            partner=partner, url=destination.url, events=chosen, secret=secret, created_by=acting_user
        )
    return endpoint, secret


@transaction.atomic
def delete_endpoint(*, acting_user: User, endpoint: Endpoint) -> None:
    """The endpoint, its deliveries (also those still waiting) and their attempts are deleted."""
    _ensure_own(acting_user, endpoint)
    row = locks.lock_endpoint(endpoint.pk)
    if row is not None:
        row.delete()


@transaction.atomic
def redeliver(*, acting_user: User, delivery: Delivery) -> Delivery:
    """Send a delivery again at the worker's next round, with the same webhook-id.

    A delivered or failed one gets one attempt more; a waiting one is simply due now.
    """
    _ensure_own(acting_user, delivery.endpoint)
    row = locks.lock_delivery(delivery.pk)
    if row is None:
        raise ValidationError({"__all__": [_("This delivery no longer exists.")]})
    if row.state == DeliveryState.SENDING:
        raise ValidationError({"state": [_("The delivery is being sent right now; try again in a moment.")]})
    if row.state in FINISHED_STATES:
        row.attempt_limit = row.attempts + 1
    row.state = DeliveryState.PENDING
    row.next_attempt_at = None
    row.redelivery_requested = True
    row.save(update_fields=["state", "attempt_limit", "next_attempt_at", "redelivery_requested"])
    return row


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload_of(event: Event) -> str:
    """The body every endpoint gets for the event: `{"type", "timestamp", "data"}` (Standard Webhooks)."""
    document = {"type": event.name, "timestamp": _timestamp(event.at), "data": dict(event.data)}
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def enqueue_deliveries(event: Event) -> list[Delivery]:
    """The events subscriber: one delivery per endpoint of the event's partner that chose the event, written
    in the transaction of the change (a rolled-back change delivers nothing). Other partners' endpoints
    never see the event."""
    if event.partner_id is None or event.name not in WebhookEvent.values:
        return []
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(partner_id=event.partner_id, partner__is_active=True).only(
            "pk", "events"
        )
        if event.name in endpoint.events
    ]
    if not endpoints:
        return []
    body = payload_of(event)
    return Delivery.objects.bulk_create(
        [
            Delivery(endpoint=endpoint, event=event.name, message_id=signing.new_message_id(), body=body)
            for endpoint in endpoints
        ]
    )


def prune_finished(*, now: datetime | None = None) -> int:
    """Delete delivered and failed deliveries older than PARTNERDESK_WEBHOOKS_KEEP_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PARTNERDESK_WEBHOOKS_KEEP_DAYS)
    old = Delivery.objects.filter(state__in=FINISHED_STATES, created_at__lt=cutoff)
    deleted, _rows = old.delete()
    return deleted
