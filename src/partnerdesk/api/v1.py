"""The REST API under /api/v1 (R12.2): each app contributes its router; the document is generated."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema

from partnerdesk.accounts.api import router as accounts_router
from partnerdesk.billing.api import router as billing_router
from partnerdesk.channels.api import appointments_router
from partnerdesk.channels.api import router as channels_router
from partnerdesk.channels.scheduling import SlotRefused
from partnerdesk.contact.api import router as contact_router
from partnerdesk.contracts.api import router as contracts_router
from partnerdesk.manual.api import router as manual_router
from partnerdesk.ops.api import router as ops_router
from partnerdesk.reports.api import router as reports_router
from partnerdesk.tickets.api import router as tickets_router
from partnerdesk.webhooks.api import router as webhooks_router
from partnerdesk.worklog.api import router as worklog_router

from .auth import api_auth
from .errors import declare_error_responses, error_body, install_error_handlers


class PartnerdeskAPI(NinjaAPI):
    """Ninja's API whose document declares the shared error responses on every operation."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return declare_error_responses(document)


api = PartnerdeskAPI(
    title="partnerdesk API",
    version="1",
    description=(
        "Tickets, contracts, time accounting and invoices between a software vendor and its partners. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `partnerdesk token create EMAIL` "
        "or on your profile page). Errors have the shape "
        '`{"detail": ..., "errors": [{"field": ..., "message": ...}]}`. '
        "POST requests accept an `Idempotency-Key` header: a retry with the same key returns the first result."
    ),
    auth=api_auth,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


@api.exception_handler(SlotRefused)
def _slot_refused(request: HttpRequest, exc: SlotRefused) -> HttpResponse:
    """A time outside support hours or when the agent is taken (R6.4): the field, and the next open slots."""
    body = error_body(_("The request has invalid fields."), [{"field": exc.field, "message": m} for m in exc.messages])
    body["slots"] = [{"start": start.isoformat(), "end": end.isoformat()} for start, end in exc.slots]
    return api.create_response(request, body, status=422)


health = Router(tags=["meta"])


class HealthOut(Schema):
    status: str


@health.get("/health", auth=None, response=HealthOut, summary="Liveness check")
def get_health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


api.add_router("", health)
api.add_router("", accounts_router)
api.add_router("", contracts_router)
api.add_router("", tickets_router)
api.add_router("", worklog_router)
api.add_router("", contact_router)
api.add_router("", webhooks_router)
api.add_router("", channels_router)
api.add_router("", ops_router)
api.add_router("", appointments_router)
api.add_router("", billing_router)
api.add_router("", manual_router)
# After the manual: its /reports/manual-deflection comes before /reports/{name}.
api.add_router("", reports_router)
