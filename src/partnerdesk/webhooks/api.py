"""Webhooks API (R12.3): a partner admin's endpoints, their deliveries, redelivery."""

# No `from __future__ import annotations` here: ninja's @paginate reads the wrapped view's annotations
# from its own module, where a name such as ObjectId is unknown.
import json
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints, WithJsonSchema

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user

from . import selectors, services
from .choices import MAX_URL_LENGTH, DeliveryState, WebhookEvent
from .models import Attempt, Delivery, Endpoint

router = Router(tags=["webhooks"])

# Any text passes the parser, so that an unknown name is refused by the service naming `events`; the
# document lists the names.
EventName = Annotated[
    str,
    StringConstraints(max_length=100),
    WithJsonSchema({"type": "string", "enum": list(WebhookEvent.values), "maxLength": 100}),
]


class EndpointIn(Strict):
    url: str = Field(
        ...,
        max_length=MAX_URL_LENGTH,
        description="https:// to a public address (plain http and private addresses only where the operator "
        "allows them: PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE).",
    )
    events: list[EventName] = Field(..., max_length=20, description="The events this endpoint receives.")


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(
        ...,
        description="The signing secret (`whsec_...`) for verifying `webhook-signature` with any Standard "
        "Webhooks library. Shown only in this answer.",
    )


class AttemptOut(Schema):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    response_excerpt: str = Field(..., description="The first 1,000 characters of the receiver's answer.")
    error: str
    redelivery: bool


class DeliveryOut(Schema):
    id: int
    webhook_id: str = Field(..., description="The `webhook-id` header: the same on every attempt.")
    event: str
    state: DeliveryState
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    status_code: int | None = Field(..., description="Of the last attempt.")
    duration_ms: int | None = Field(..., description="Of the last attempt.")
    response_excerpt: str = Field(..., description="Of the last attempt.")
    error: str = Field(..., description="Of the last attempt.")
    payload: dict[str, Any]
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_webhook_id(obj: Delivery) -> str:
        return obj.message_id

    @staticmethod
    def resolve_attempt_count(obj: Delivery) -> int:
        return obj.attempts

    @staticmethod
    def resolve_status_code(obj: Delivery) -> int | None:
        last = obj.last_attempt
        return last.status_code if last else None

    @staticmethod
    def resolve_duration_ms(obj: Delivery) -> int | None:
        last = obj.last_attempt
        return last.duration_ms if last else None

    @staticmethod
    def resolve_response_excerpt(obj: Delivery) -> str:
        last = obj.last_attempt
        return last.response_excerpt if last else ""

    @staticmethod
    def resolve_error(obj: Delivery) -> str:
        last = obj.last_attempt
        return last.error if last else ""

    @staticmethod
    def resolve_payload(obj: Delivery) -> dict[str, Any]:
        return json.loads(obj.body)  # type: ignore[no-any-return]

    @staticmethod
    def resolve_attempts(obj: Delivery) -> list[Attempt]:
        return list(obj.attempt_log.all())


def _endpoint(request: HttpRequest, webhook_id: int) -> Endpoint:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.endpoints_visible_to(user), webhook_id, user=user)


@router.get("/webhooks", response=list[EndpointOut], summary="Your partner's webhook endpoints (partner admins)")
@paginate(LimitOffset)
def list_webhooks(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = _user(request)
    services.ensure_may_manage(user)
    return selectors.endpoints_visible_to(user).order_by("-created_at", "-pk")


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut},
    summary="Register an endpoint for chosen events; the answer carries its signing secret, shown only now",
)
def create_webhook(request: HttpRequest, payload: EndpointIn):  # type: ignore[no-untyped-def]
    endpoint, secret = services.register_endpoint(acting_user=_user(request), url=payload.url, events=payload.events)
    return Status(
        201,
        EndpointCreatedOut(
            id=endpoint.pk, url=endpoint.url, events=endpoint.events, created_at=endpoint.created_at, secret=secret
        ),
    )


@router.delete(
    "/webhooks/{webhook_id}",
    response={204: None},
    summary="Delete an endpoint with its deliveries (waiting ones are not sent)",
)
def delete_webhook(request: HttpRequest, webhook_id: ObjectId):  # type: ignore[no-untyped-def]
    endpoint = _endpoint(request, webhook_id)
    services.delete_endpoint(acting_user=_user(request), endpoint=endpoint)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=list[DeliveryOut],
    summary="An endpoint's deliveries, newest first, each with its attempts (status code, duration, answer)",
)
@paginate(LimitOffset)
def list_deliveries(request: HttpRequest, webhook_id: ObjectId):  # type: ignore[no-untyped-def]
    endpoint = _endpoint(request, webhook_id)
    user = _user(request)
    services.ensure_may_manage(user)
    return selectors.deliveries_visible_to(user, endpoint)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivery again, with the same webhook-id, at the worker's next round",
)
def redeliver(request: HttpRequest, webhook_id: ObjectId, delivery_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    endpoint = _endpoint(request, webhook_id)
    deliveries = selectors.deliveries_visible_to(user, endpoint)
    delivery = account_selectors.get_visible_or_404(deliveries, delivery_id, user=user)
    services.redeliver(acting_user=user, delivery=delivery)
    return Status(202, deliveries.get(pk=delivery.pk))
